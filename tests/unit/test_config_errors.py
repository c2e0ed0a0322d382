"""Bad corosync.conf inputs: each one reports its stable code at the right line and column,
every problem is reported at once, and no text ever escapes as anything but HaError."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hacluster.common import Code, HaError, Problem, Severity
from hacluster.config import load_config, parse_config


def conf(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


NODES3 = """
nodelist {
    node {
        ring0_addr: 127.0.0.1
        nodeid: 1
    }
    node {
        ring0_addr: 127.0.0.2
        nodeid: 2
    }
    node {
        ring0_addr: 127.0.0.3
        nodeid: 3
    }
}
"""


def totem(*lines: str, transport: str = "udpu") -> str:
    body = "".join(f"    {line}\n" for line in lines)
    return f"totem {{\n    version: 2\n    transport: {transport}\n{body}}}\n" + NODES3.lstrip("\n")


# (id, text, code, line, column or None, severity)
CASES: list[tuple[str, str, Code, int, int | None, Severity]] = [
    ("token not a number", totem("token: abc"), Code.CONFIG_BAD_VALUE, 4, 12, Severity.ERROR),
    ("negative token", totem("token: -5"), Code.CONFIG_BAD_VALUE, 4, 12, Severity.ERROR),
    ("token under 30 ms", totem("token: 10"), Code.CONFIG_VALUE_OUT_OF_RANGE, 4, 12,
     Severity.ERROR),
    ("token beyond u32", totem("token: 99999999999"), Code.CONFIG_VALUE_OUT_OF_RANGE, 4, 12,
     Severity.ERROR),
    ("unicode digits are not a number", totem("join: \u0661\u0662\u0663"),
     Code.CONFIG_BAD_VALUE, 4, 11, Severity.ERROR),
    ("unclosed totem", "# head\ntotem {\n    version: 2\n", Code.CONFIG_UNCLOSED_SECTION, 2, 1,
     Severity.ERROR),
    # the interface takes totem's brace, so totem (line 1) is the one left open
    ("unclosed nested interface", totem("interface {", "  mcastport: 5405"),
     Code.CONFIG_UNCLOSED_SECTION, 1, 1, Severity.ERROR),
    ("stray closing brace", totem() + "}\n", Code.CONFIG_UNEXPECTED_CLOSE, 19, 1,
     Severity.ERROR),
    ("key without colon", totem("token 3000"), Code.CONFIG_SYNTAX, 4, 5, Severity.ERROR),
    ("section name with a space", "to tem {\n}\n", Code.CONFIG_SYNTAX, 1, 1, Severity.ERROR),
    ("empty key", totem(": 3000"), Code.CONFIG_SYNTAX, 4, 5, Severity.ERROR),
    ("one-line section", "quorum {}\n" + totem(), Code.CONFIG_SYNTAX, 1, 1, Severity.ERROR),
    ("unknown transport", totem(transport="tcp"), Code.CONFIG_BAD_VALUE, 3, 16,
     Severity.ERROR),
    ("misspelt key", totem("tokn: 3000"), Code.CONFIG_UNKNOWN_KEY, 4, 5, Severity.WARNING),
    ("quorum key in totem", totem("two_node: 1"), Code.CONFIG_UNKNOWN_KEY, 4, 5,
     Severity.WARNING),
    ("misspelt section", "totme {\n}\n" + totem(), Code.CONFIG_UNKNOWN_SECTION, 1, 1,
     Severity.WARNING),
    ("obsolete vsftype", totem("vsftype: none"), Code.CONFIG_OBSOLETE_KEY, 4, 5,
     Severity.INFO),
    ("key set twice", totem("token: 3000", "token: 4000"), Code.CONFIG_DUPLICATE_KEY, 5, 5,
     Severity.WARNING),
    ("duplicate node id", totem().replace("nodeid: 3", "nodeid: 2"),
     Code.CONFIG_DUPLICATE_NODEID, 14, 5, Severity.ERROR),
    ("duplicate address", totem().replace("127.0.0.3", "127.0.0.1"),
     Code.CONFIG_DUPLICATE_ADDRESS, 14, 5, Severity.ERROR),
    ("node without ring0_addr", totem().replace("ring0_addr: 127.0.0.2", "name: two"),
     Code.CONFIG_MISSING_KEY, 10, 5, Severity.ERROR),
    ("knet needs node ids", totem(transport="knet").replace("        nodeid: 1\n", ""),
     Code.CONFIG_MISSING_KEY, 6, 5, Severity.ERROR),
    ("hostname cannot give a node id",
     totem().replace("ring0_addr: 127.0.0.1\n        nodeid: 1", "ring0_addr: node-1"),
     Code.CONFIG_MISSING_KEY, 6, 5, Severity.ERROR),
    ("node id zero is reserved", totem().replace("nodeid: 1", "nodeid: 0"),
     Code.CONFIG_VALUE_OUT_OF_RANGE, 8, 17, Severity.ERROR),
    ("consensus under 1.2 token with 3 nodes", totem("token: 3000", "consensus: 3600"),
     Code.CONFIG_CONSENSUS_TOO_SMALL, 5, 5, Severity.WARNING),
    ("secauth not a boolean", totem("secauth: maybe"), Code.CONFIG_BAD_VALUE, 4, 14,
     Severity.ERROR),
    ("clear_node_high_bit not a boolean", totem("clear_node_high_bit: perhaps"),
     Code.CONFIG_BAD_VALUE, 4, 26, Severity.ERROR),
    ("mcastport beyond 65535", totem("interface {", "    mcastport: 70000", "}"),
     Code.CONFIG_VALUE_OUT_OF_RANGE, 5, 20, Severity.ERROR),
    ("ringnumber beyond 7", totem("interface {", "    ringnumber: 9", "}"),
     Code.CONFIG_VALUE_OUT_OF_RANGE, 5, 21, Severity.ERROR),
    ("version 1", totem().replace("version: 2", "version: 1"),
     Code.CONFIG_VALUE_OUT_OF_RANGE, 2, 14, Severity.ERROR),
    ("unknown quorum provider", totem() + "quorum {\n    provider: corosync_quorum\n}\n",
     Code.CONFIG_BAD_VALUE, 20, 15, Severity.ERROR),
    ("expected_votes zero", totem() + "quorum {\n    expected_votes: 0\n}\n",
     Code.CONFIG_VALUE_OUT_OF_RANGE, 20, 21, Severity.ERROR),
    ("bad logging timestamp", totem() + "logging {\n    timestamp: sometimes\n}\n",
     Code.CONFIG_BAD_VALUE, 20, 16, Severity.ERROR),
    ("cipher without hash", totem("crypto_cipher: aes256", "crypto_hash: none"),
     Code.CONFIG_CONFLICT, 4, 5, Severity.ERROR),
    ("retransmit const too high for the token",
     totem("token: 3000", "token_retransmits_before_loss_const: 200"),
     Code.CONFIG_VALUE_OUT_OF_RANGE, 4, 5, Severity.ERROR),
    ("member without memberaddr",
     "totem {\n    transport: udpu\n    interface {\n        member {\n        }\n    }\n}\n",
     Code.CONFIG_MISSING_KEY, 4, 9, Severity.ERROR),
    ("memberaddr that is a hostname",
     "totem {\n    transport: udpu\n    interface {\n        member {\n"
     "            memberaddr: node-1\n        }\n    }\n}\n",
     Code.CONFIG_MISSING_KEY, 4, 9, Severity.ERROR),
    ("two interfaces on one link",
     totem("interface {", "    linknumber: 0", "}", "interface {", "    linknumber: 0", "}"),
     Code.CONFIG_CONFLICT, 7, 5, Severity.ERROR),
    ("logger_subsys without subsys",
     totem() + "logging {\n    logger_subsys {\n        debug: on\n    }\n}\n",
     Code.CONFIG_MISSING_KEY, 20, 5, Severity.ERROR),
    ("max_messages beyond the send buffer", totem("max_messages: 500"),
     Code.CONFIG_VALUE_OUT_OF_RANGE, 4, 5, Severity.WARNING),
    ("key outside any section", "token: 3000\n" + totem(), Code.CONFIG_UNKNOWN_KEY, 1, 1,
     Severity.WARNING),
    ("two_node with three nodes", totem() + "quorum {\n    two_node: 1\n}\n",
     Code.CONFIG_CONFLICT, 20, 5, Severity.WARNING),
]


def matching(problems: tuple[Problem, ...], code: Code, line: int,
             column: int | None) -> list[Problem]:
    return [p for p in problems if p.code is code and p.details.get("line") == line
            and (column is None or p.details.get("column") == column)]


@pytest.mark.parametrize("name,text,code,line,column,severity", CASES,
                         ids=[c[0] for c in CASES])
def test_bad_input_reports_its_code_line_and_column(
    name: str, text: str, code: Code, line: int, column: int | None, severity: Severity
) -> None:
    _, problems = load_config(text, "bad.conf")
    found = matching(problems, code, line, column)
    assert found, f"{name}: want {code} at {line}:{column}, got:\n" + "\n".join(
        str(p) for p in problems)
    assert found[0].severity is severity
    assert found[0].message.startswith(f"bad.conf:{line}")
    if severity is Severity.ERROR:
        with pytest.raises(HaError) as raised:
            parse_config(text, "bad.conf")
        assert any(p.code is code for p in raised.value.problems)
    else:
        parse_config(text, "bad.conf")


def test_every_problem_is_reported_at_once() -> None:
    text = totem("token: abc", "join: xyz", "tokn: 1") + "quorum {\n    two_node: maybe\n}\n"
    with pytest.raises(HaError) as raised:
        parse_config(text, "many.conf")
    lines = sorted(int(p.details["line"]) for p in raised.value.problems)
    assert lines == [4, 5, 6, 23]
    assert raised.value.exit_status == 78


def test_no_members_with_udpu_is_an_error() -> None:
    _, problems = load_config("totem {\n    transport: udpu\n}\n", "empty.conf")
    assert [p.code for p in problems if p.severity is Severity.ERROR] == [Code.CONFIG_NO_MEMBERS]


def test_udp_multicast_needs_no_member_list() -> None:
    config = parse_config("totem {\n    transport: udp\n}\n")
    assert config.nodes == () and config.totem.ip_version == "ipv4"


def test_unknown_key_suggests_the_closest_known_key() -> None:
    _, problems = load_config(totem("consensu: 5000"))
    unknown = [p for p in problems if p.code is Code.CONFIG_UNKNOWN_KEY]
    assert unknown and "did you mean 'consensus'" in unknown[0].message
    assert unknown[0].details["suggestion"] == "consensus"


def test_quorum_key_in_totem_says_where_it_belongs() -> None:
    _, problems = load_config(totem("expected_votes: 3"))
    assert any("belongs in quorum" in p.message for p in problems)


FRAGMENTS = st.sampled_from([
    "totem {", "}", "nodelist {", "node {", "interface {", "member {", "quorum {",
    "logging {", "logger_subsys {", "token: 3000", "token: abc", "nodeid: 1", "nodeid: 0",
    "ring0_addr: 127.0.0.1", "ring0_addr: 10.0.0.2", "memberaddr: 127.0.0.9",
    "transport: udpu", "transport: knet", "two_node: 1", "secauth: on", "# comment", "",
    "clear_node_high_bit: yes", "consensus: 10", "x: y", ":", "{", "linknumber: 9",
    "quorum_votes: 4294967296", "expected_votes: 2", "subsys: QUORUM", "ring1_addr: ::1",
    "token_retransmits_before_loss_const: 0", "netmtu: 576", "max_messages: 1",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=40))
def test_any_assembled_text_gives_a_model_or_an_haerror(lines: list[str]) -> None:
    try:
        parse_config("\n".join(lines))
    except HaError as error:
        assert error.problems


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_gives_a_model_or_an_haerror(text: str) -> None:
    try:
        parse_config(text)
    except HaError as error:
        assert error.problems
