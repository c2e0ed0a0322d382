"""Which reason a stop names when a chain of orderings starts at a start that cannot run
(here: no quorum, no-quorum-policy=freeze), as crm_simulate 2.1.5 prints it (expected
summaries read from the real tool on the same CIBs). A start blocked from the outset of a
resource not running stays optional, so it requires nothing of what follows it (B reads
it as unrunnable); the next resource reads B's start as required, since B's stop must
happen and its start with it (unless a colocation placed B elsewhere first)."""

from __future__ import annotations

import cibkit
from lxml import etree

from hacluster.scheduler import schedule

NODES = ("node1", "node2")
DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"
BLOCKED_A = "* Start A ( node1 ) due to quorum freeze (blocked)"
CHAIN = '<rsc_order id="o1" first="A" then="B"/><rsc_order id="o2" first="B" then="C"/>'


def dummy(rid: str) -> str:
    return f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy"/>'


def started(rid: str, call: int) -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_start_0" operation="start" '
            f'transition-key="{call}:1:0:x" transition-magic="0:0;{call}:1:0:x" '
            f'call-id="{call}" rc-code="0" op-status="0" interval="0" '
            f'op-digest="{DIGEST}"/></lrm_resource>')


def lines(constraints: str) -> list[str]:
    states = cibkit.node_states(NODES, {"node1": started("B", 2) + started("C", 3)})
    text = cibkit.cib_text(NODES, dummy("A") + dummy("B") + dummy("C"), constraints, states,
                           root='have-quorum="0"',
                           props='<nvpair id="nqp" name="no-quorum-policy" value="freeze"/>')
    summary = schedule(etree.fromstring(text.encode()), now_s=0).summary_lines()
    return sorted(" ".join(line.split()) for line in summary)


def test_a_plain_chain_reads_unrunnable_then_required() -> None:
    assert lines(CHAIN) == [BLOCKED_A, "* Stop B ( node1 ) due to unrunnable A start",
                            "* Stop C ( node1 ) due to required B start"]


def test_a_blocked_start_of_a_resource_colocated_with_b_requires_nothing_of_b() -> None:
    coloc = '<rsc_colocation id="col" rsc="A" with-rsc="B" score="INFINITY"/>'
    assert lines(CHAIN + coloc) == [BLOCKED_A, "* Stop B ( node1 ) due to unrunnable A start",
                                    "* Stop C ( node1 ) due to unrunnable B start"]


def test_with_sets_what_follows_b_reads_its_start_as_required() -> None:
    sets = ('<rsc_order id="o1"><resource_set id="s1"><resource_ref id="A"/>'
            '<resource_ref id="B"/><resource_ref id="C"/></resource_set></rsc_order>'
            '<rsc_colocation id="cs" score="INFINITY"><resource_set id="cs0">'
            '<resource_ref id="C"/><resource_ref id="B"/><resource_ref id="A"/>'
            "</resource_set></rsc_colocation>")
    assert lines(sets) == [BLOCKED_A, "* Stop B ( node1 ) due to unrunnable A start",
                           "* Stop C ( node1 ) due to required B start"]
