"""The corosync.conf model: the EayunStack seed, both dialects, Corosync's derived timings
(checked against a real corosync 3.1.7's runtime.config.totem values), node ids, the
local node, quorum, and parse → write → parse being the identity on the model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hacluster.common import Code, Severity
from hacluster.config import (
    ClusterConfig,
    NodeSource,
    derive_nodeid,
    find_local_node,
    load_config,
    parse_config,
    write_config,
)
from hacluster.config.schema import TOTEM_KEYS, Kind, render


def seed_text(shared: Path, name: str = "corosync.conf") -> str:
    return (shared / "eayunstack" / name).read_text()


def nodelist(*addresses: str, nodeids: bool = False) -> str:
    nodes = "".join(
        f"    node {{\n        ring0_addr: {a}\n"
        + (f"        nodeid: {i}\n" if nodeids else "") + "    }\n"
        for i, a in enumerate(addresses, start=1))
    return f"nodelist {{\n{nodes}}}\n"


# The seed's own member addresses: parsed only, never a traffic target.
SEED_ADDRESSES = ("172.16.101.3", "172.16.101.4", "172.16.101.5")  # seed, parse-only

SEED_TOTEM_AS_NODELIST = """
totem {
    version: 2
    token: 3000
    token_retransmits_before_loss_const: 10
    join: 60
    max_messages: 20
    clear_node_high_bit: yes
    secauth: off
    transport: udpu
    interface {
        ringnumber: 0
        bindnetaddr: @BIND@
        mcastport: 5405
    }
}
""".replace("@BIND@", SEED_ADDRESSES[0])


def test_seed_file_loads_exactly_as_written(shared: Path) -> None:
    config = parse_config(seed_text(shared))
    totem = config.totem
    assert (totem.token_ms, totem.consensus_ms, totem.token_retransmit_ms) == (3000, 3600, 294)
    assert (totem.join_ms, totem.max_messages, totem.hold_ms) == (60, 20, 225)
    assert (totem.merge_ms, totem.window_size, totem.downcheck_ms) == (200, 50, 1000)
    assert totem.transport == "udpu" and totem.secauth is False and totem.netmtu == 1500
    assert totem.token_retransmits_before_loss_const == 10
    assert config.node_source is NodeSource.MEMBERS
    assert [n.addresses for n in config.nodes] == [(a,) for a in SEED_ADDRESSES]
    # the first seed address is 0xAC106503; clear_node_high_bit: yes drops the top bit
    assert [n.nodeid for n in config.nodes] == [0x2C106503, 0x2C106504, 0x2C106505]
    assert totem.interfaces[0].bindnetaddr == SEED_ADDRESSES[0]
    assert totem.interfaces[0].mcastport == 5405


def test_seed_obsolete_keys_are_info_not_errors(shared: Path) -> None:
    _, problems = load_config(seed_text(shared))
    assert {p.code for p in problems} == {Code.CONFIG_OBSOLETE_KEY}
    assert all(p.severity is Severity.INFO for p in problems)
    assert sorted(p.details["key"] for p in problems) == ["rrp_mode", "threads", "vsftype"]


def test_loopback_seed_gives_loopback_node_ids(shared: Path) -> None:
    config = parse_config(seed_text(shared, "corosync.loopback.conf"))
    assert [n.nodeid for n in config.nodes] == [0x7F000001, 0x7F000002, 0x7F000003]
    assert config.quorum.expected_votes == 3 and config.quorum.quorum == 2


def test_same_cluster_as_three_node_nodelist_runs_token_3650() -> None:
    # Measured on corosync 3.1.7: runtime.config.totem.token 3650, token_retransmit 357,
    # hold 275, consensus 4380 when consensus is not set.
    text = SEED_TOTEM_AS_NODELIST + nodelist(*SEED_ADDRESSES)
    totem = parse_config(text).totem
    assert (totem.token_ms, totem.token_configured_ms) == (3650, 3000)
    assert (totem.token_retransmit_ms, totem.hold_ms, totem.consensus_ms) == (357, 275, 4380)


def test_explicit_consensus_is_kept_but_warned_about_with_three_nodes() -> None:
    text = SEED_TOTEM_AS_NODELIST.replace("join: 60", "join: 60\n    consensus: 3600")
    config, problems = load_config(text + nodelist("10.0.0.1", "10.0.0.2", "10.0.0.3"))
    assert config.totem.consensus_ms == 3600
    assert [p.code for p in problems] == [Code.CONFIG_CONSENSUS_TOO_SMALL]


def test_token_coefficient_zero_removes_the_scaling() -> None:
    text = SEED_TOTEM_AS_NODELIST.replace("join: 60", "join: 60\n    token_coefficient: 0")
    config = parse_config(text + nodelist(*(f"10.0.0.{i}" for i in range(1, 6))))
    assert config.totem.token_ms == 3000


def test_corosync3_defaults_for_a_two_node_knet_cluster() -> None:
    config = parse_config("totem {\n    cluster_name: c\n}\n"
                          + nodelist("10.0.0.1", "10.0.0.2", nodeids=True))
    totem = config.totem
    # corosync 3.1.7 defaults (runtime.config.totem.* on a 2-node cluster)
    assert (totem.token_ms, totem.token_retransmit_ms, totem.hold_ms) == (3000, 714, 561)
    assert (totem.consensus_ms, totem.join_ms, totem.merge_ms) == (3600, 50, 200)
    assert (totem.fail_recv_const, totem.seqno_unchanged_const, totem.miss_count_const) == (
        2500, 30, 5)
    assert (totem.window_size, totem.max_messages, totem.send_join_ms) == (50, 17, 0)
    assert (totem.max_network_delay_ms, totem.downcheck_ms) == (50, 1000)
    assert totem.transport == "knet" and totem.netmtu == 65536


def test_token_1000_derives_the_documented_238_and_180() -> None:
    config = parse_config("totem {\n    token: 1000\n    transport: udpu\n}\n"
                          + nodelist("10.0.0.1", "10.0.0.2"))
    assert (config.totem.token_retransmit_ms, config.totem.hold_ms) == (238, 180)
    assert config.totem.consensus_ms == 1200


def test_knet_ping_timers_follow_the_effective_token() -> None:
    text = ("totem {\n    token_retransmits_before_loss_const: 10\n    interface {\n"
            "        linknumber: 0\n    }\n}\n" + nodelist("127.0.0.1", "127.0.0.2",
                                                          "127.0.0.3", nodeids=True))
    interface = parse_config(text).totem.interfaces[0]
    # corosync 3.1.7: knet_ping_interval 912, knet_ping_timeout 1825 at token 3650
    assert (interface.knet_ping_interval_ms, interface.knet_ping_timeout_ms) == (912, 1825)


def test_secauth_on_implies_aes256_and_sha256() -> None:
    config = parse_config("totem {\n    secauth: on\n    transport: knet\n}\n"
                          + nodelist("10.0.0.1", nodeids=True))
    assert (config.totem.crypto_cipher, config.totem.crypto_hash) == ("aes256", "sha256")


def test_both_dialects_give_the_same_model_for_the_same_cluster() -> None:
    totem = SEED_TOTEM_AS_NODELIST
    members = totem.replace(
        "        mcastport: 5405\n",
        "        mcastport: 5405\n        member {\n            memberaddr: 10.1.0.1\n"
        "        }\n        member {\n            memberaddr: 10.1.0.2\n        }\n")
    old = parse_config(members)
    new = parse_config(totem + nodelist("10.1.0.1", "10.1.0.2"))
    assert old.node_source is NodeSource.MEMBERS and new.node_source is NodeSource.NODELIST
    assert dataclasses.replace(old, node_source=NodeSource.NODELIST) == new


def test_both_dialects_agree_on_nodes_and_quorum_for_three_nodes(shared: Path) -> None:
    old = parse_config(seed_text(shared))
    new = parse_config(SEED_TOTEM_AS_NODELIST
                       + nodelist(*SEED_ADDRESSES))
    assert old.nodes == new.nodes and old.quorum == new.quorum
    assert (old.totem.token_ms, new.totem.token_ms) == (3000, 3650)


def test_node_ids_derive_from_ipv4_with_and_without_the_high_bit() -> None:
    assert derive_nodeid("192.0.2.142", clear_node_high_bit=True) == 1073742478
    assert derive_nodeid("192.0.2.142", clear_node_high_bit=False) == 0xC000028E
    assert derive_nodeid(SEED_ADDRESSES[0], clear_node_high_bit=False) == 2886755587
    assert derive_nodeid("node-1", clear_node_high_bit=True) is None
    assert derive_nodeid("::1", clear_node_high_bit=True) is None
    assert derive_nodeid("0.0.0.0", clear_node_high_bit=False) is None


def test_explicit_nodeid_wins_over_the_address() -> None:
    config = parse_config("totem {\n    transport: udpu\n}\n"
                          + nodelist("10.0.0.1", "10.0.0.2", nodeids=True))
    assert [(n.nodeid, n.nodeid_derived) for n in config.nodes] == [(1, False), (2, False)]


NAMED = """
totem {
    transport: udpu
}
nodelist {
    node {
        ring0_addr: 127.0.0.1
        ring1_addr: 127.0.1.1
        name: node-1.domain.tld
        nodeid: 1
    }
    node {
        ring0_addr: 127.0.0.2
        name: node-2
        nodeid: 2
    }
}
"""


@pytest.mark.parametrize("kwargs,expected", [
    ({"override_address": "127.0.0.2"}, 2),
    ({"override_address": "127.0.1.1"}, 1),
    ({"override_address": "127.0.0.9"}, None),
    ({"hostname": "node-1.domain.tld"}, 1),
    ({"hostname": "node-2.domain.tld"}, 2),
    ({"hostname": "node-1"}, 1),
    ({"hostname": "elsewhere", "addresses": ["10.0.0.1", "127.0.0.2"]}, 2),
    ({"hostname": "elsewhere", "addresses": ["10.0.0.1"]}, None),
    ({"override_address": "127.0.0.1", "hostname": "node-2"}, 1),
])
def test_local_node_is_found_by_override_name_or_address(
    kwargs: dict[str, object], expected: int | None
) -> None:
    node = find_local_node(parse_config(NAMED), **kwargs)  # type: ignore[arg-type]
    assert (node.nodeid if node else None) == expected


def test_quorum_section_gives_expected_votes_and_two_node_rules() -> None:
    two = parse_config("totem {\n    transport: udpu\n}\n" + nodelist("10.0.0.1", "10.0.0.2")
                       + "quorum {\n    provider: corosync_votequorum\n    two_node: 1\n}\n")
    assert (two.quorum.expected_votes, two.quorum.quorum) == (2, 1)
    assert two.quorum.wait_for_all is True
    explicit = parse_config("totem {\n    transport: udp\n}\nquorum {\n"
                            "    expected_votes: 8\n    wait_for_all: 0\n}\n")
    assert (explicit.quorum.expected_votes, explicit.quorum.quorum) == (8, 5)
    assert explicit.quorum.wait_for_all is False


def test_logging_section_is_modelled() -> None:
    config = parse_config(
        "totem {\n    transport: udp\n}\nlogging {\n    to_logfile: yes\n"
        "    logfile: /var/log/corosync.log\n    to_syslog: no\n    timestamp: on\n"
        "    logger_subsys {\n        subsys: QUORUM\n        debug: on\n    }\n}\n")
    log = config.logging
    assert (log.to_logfile, log.logfile, log.to_syslog, log.timestamp) == (
        True, "/var/log/corosync.log", False, "on")
    assert log.logger_subsys[0].subsys == "QUORUM"
    assert log.logger_subsys[0].settings == (("debug", "on"),)


def test_seed_round_trips_through_the_writer(shared: Path) -> None:
    config = parse_config(seed_text(shared))
    text = write_config(config)
    assert parse_config(text) == config
    assert f"memberaddr: {SEED_ADDRESSES[1]}" in text and "vsftype" not in text


# ----------------------------------------------------------------- round trip property

ADDRESSES = st.lists(st.integers(1, 2**24), min_size=1, max_size=5, unique=True).map(
    lambda ns: [f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" for n in ns])


@st.composite
def totem_lines(draw: st.DrawFn) -> list[str]:
    keys = draw(st.lists(st.sampled_from(sorted(TOTEM_KEYS)), unique=True, max_size=12))
    lines = []
    for key in keys:
        spec = TOTEM_KEYS[key]
        if spec.kind is Kind.INT:
            value: int | bool | str = draw(st.integers(spec.minimum, min(spec.maximum,
                                                               spec.minimum + 100_000)))
        elif spec.kind is Kind.CHOICE:
            value = draw(st.sampled_from(spec.choices))
        elif spec.kind is Kind.TEXT:
            value = draw(st.from_regex(r"[A-Za-z0-9_/.\-]{1,12}", fullmatch=True))
        else:
            value = draw(st.booleans())
        lines.append(f"{key}: {render(spec, value) if not isinstance(value, str) else value}")
    return lines


@st.composite
def cluster_texts(draw: st.DrawFn) -> str:
    lines = draw(totem_lines())
    addresses = draw(ADDRESSES)
    dialect = draw(st.sampled_from(["nodelist", "members"]))
    interface = "    interface {\n        ringnumber: 0\n        mcastport: 5405\n"
    if dialect == "members":
        interface += "".join(f"        member {{\n            memberaddr: {a}\n        }}\n"
                             for a in addresses)
    text = "totem {\n" + "".join(f"    {line}\n" for line in lines) + interface + "    }\n}\n"
    if dialect == "nodelist":
        explicit = draw(st.booleans())
        names = draw(st.booleans())
        text += "nodelist {\n" + "".join(
            f"    node {{\n        ring0_addr: {a}\n"
            + (f"        nodeid: {i}\n" if explicit else "")
            + (f"        name: n{i}\n" if names else "") + "    }\n"
            for i, a in enumerate(addresses, start=1)) + "}\n"
    if draw(st.booleans()):
        text += "quorum {\n    provider: corosync_votequorum\n" + "".join(
            f"    {k}: {v}\n" for k, v in draw(st.dictionaries(
                st.sampled_from(["two_node", "wait_for_all", "last_man_standing",
                                 "auto_tie_breaker"]), st.sampled_from(["0", "1"]))).items()) + "}\n"
    if draw(st.booleans()):
        text += "logging {\n    to_syslog: yes\n    logger_subsys {\n        subsys: CPG\n"
        text += "        debug: trace\n    }\n}\nsystem {\n    sched_rr: no\n}\n"
    return text


@settings(max_examples=150, deadline=None)
@given(cluster_texts())
def test_parse_write_parse_is_the_identity_on_the_model(text: str) -> None:
    first, _ = load_config(text)
    written = write_config(first)
    second, _ = load_config(written)
    assert second == first
    assert write_config(second) == written


def test_an_empty_file_is_an_empty_knet_cluster() -> None:
    config, problems = load_config("")
    assert config == ClusterConfig() or config.nodes == ()
    assert [p.code for p in problems] == [Code.CONFIG_NO_MEMBERS]


def test_tab_indented_corosync3_config_with_logging_and_quorum_is_clean() -> None:
    text = ("totem {\n\tversion: 2\n\tcluster_name: tabs\n\tcrypto_cipher: none\n"
            "\tcrypto_hash: none\n}\nlogging {\n\tfileline: off\n\tto_logfile: yes\n"
            "\tlogfile: /var/log/corosync/corosync.log\n\tlogger_subsys {\n"
            "\t\tsubsys: QUORUM\n\t\tdebug: off\n\t}\n}\nquorum {\n"
            "\tprovider: corosync_votequorum\n}\nnodelist {\n\tnode {\n\t\tname: node1\n"
            "\t\tnodeid: 1\n\t\tring0_addr: 127.0.0.1\n\t}\n}\n")
    config, problems = load_config(text)
    assert problems == ()
    assert config.totem.cluster_name == "tabs" and config.nodes[0].name == "node1"
    assert (config.quorum.expected_votes, config.quorum.quorum) == (1, 1)
    assert find_local_node(config, hostname="node1") == config.nodes[0]
