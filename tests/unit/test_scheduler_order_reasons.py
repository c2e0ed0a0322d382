"""Which ordering a restart names ("due to required X start"), as crm_simulate 2.1.5 prints
it: a group's first member names what the group is ordered after, each later member the
member before it; between two ordered resource sets, a set counts as sequential only
with an explicit sequential="true" (otherwise every member is ordered against the other
set)."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"


def history(rid: str) -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_start_0" operation="start" '
            f'interval="0" op-status="0" rc-code="0" call-id="2" transition-key="1:1:0:x" '
            f'op-digest="{DIGEST}"/></lrm_resource>')


def prim(rid: str) -> str:
    return f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy"/>'


def cib(resources: str, constraints: str, on_node2: tuple[str, ...]) -> object:
    nodes = ("node1", "node2")
    lrm = {"node2": "".join(history(r) for r in on_node2)}
    return cibkit.cib(nodes, resources, constraints, cibkit.node_states(nodes, lrm))


def lines(root: object) -> list[str]:
    return sorted(" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines())


def sets(second: str) -> str:
    return ('<rsc_order id="o"><resource_set id="s1"><resource_ref id="A"/></resource_set>'
            f'<resource_set id="s2"{second}><resource_ref id="B"/><resource_ref id="C"/>'
            "</resource_set></rsc_order>")


def test_a_restarted_group_names_the_first_members_cause_then_each_previous_member() -> None:
    group = f'<group id="G">{prim("G1")}{prim("G2")}{prim("G3")}</group>'
    root = cib(prim("A") + group, '<rsc_order id="o" first="A" then="G"/>'
               '<rsc_location id="l" rsc="A" node="node1" score="10"/>', ("G1", "G2", "G3"))
    assert lines(root) == ["* Restart G1 ( node2 ) due to required A start",
                           "* Restart G2 ( node2 ) due to required G1 start",
                           "* Restart G3 ( node2 ) due to required G2 start",
                           "* Start A ( node1 )"]


def test_a_set_without_sequential_orders_every_member_after_the_previous_set() -> None:
    root = cib(prim("A") + prim("B") + prim("C"), sets(""), ("B", "C"))
    assert lines(root) == ["* Restart B ( node2 ) due to required A start",
                           "* Restart C ( node2 ) due to required A start",
                           "* Start A ( node1 )"]


def test_an_explicitly_sequential_set_is_ordered_through_its_first_member() -> None:
    root = cib(prim("A") + prim("B") + prim("C"), sets(' sequential="true"'), ("B", "C"))
    assert lines(root) == ["* Restart B ( node2 ) due to required A start",
                           "* Restart C ( node2 ) due to required B start",
                           "* Start A ( node1 )"]
