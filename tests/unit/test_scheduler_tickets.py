"""rsc_ticket: a resource runs only while its ticket is granted (and not in standby); a lost
ticket's loss-policy decides what happens to it where it runs (Pacemaker Explained,
"Multi-Site Clusters and Tickets"). Expected summaries are what crm_simulate 2.1.5 prints
for the same CIBs."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"
FENCE = '<primitive id="fence" class="stonith" type="fence_dummy"/>'


def op(rid: str, task: str, rc: int = 0, interval: int = 0, call: int = 2) -> str:
    return (f'<lrm_rsc_op id="{rid}_{task}_{interval}" operation_key="{rid}_{task}_{interval}" '
            f'operation="{task}" interval="{interval}" op-status="0" rc-code="{rc}" '
            f'call-id="{call}" transition-key="1:1:0:x" op-digest="{DIGEST}"/>')


def history(rid: str, role: str = "Started", agent: str = "Dummy") -> str:
    ops = op(rid, "start") if role == "Started" else op(rid, "promote", call=3) \
        if role == "Promoted" else op(rid, "start") if role == "Unpromoted" \
        else op(rid, "monitor", rc=7)
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="{agent}">'
            f"{ops}</lrm_resource>")


def cib(resources: str, constraints: str, lrm: dict[str, str], tickets: str = "",
        fencing: bool = False, nodes: tuple[str, ...] = ("node1", "node2")) -> object:
    states = cibkit.node_states(nodes, lrm) + f"<tickets>{tickets}</tickets>"
    return cibkit.cib(nodes, f"{FENCE if fencing else ''}{resources}", constraints, states,
                      stonith=fencing)


def prim(rid: str) -> str:
    return f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy"/>'


def ticket(tid: str, granted: bool, standby: bool = False) -> str:
    return f'<ticket_state id="{tid}" granted="{str(granted).lower()}" ' \
           f'standby="{str(standby).lower()}"/>'


def needs(rid: str, policy: str = "", role: str = "") -> str:
    extra = (f' loss-policy="{policy}"' if policy else "") + (f' rsc-role="{role}"' if role else "")
    return f'<rsc_ticket id="t-{rid}" ticket="T" rsc="{rid}"{extra}/>'


def lines(root: object) -> list[str]:
    return sorted(" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines())


def scores(root: object, rid: str) -> list[str]:
    return [line for line in schedule(root, now_s=0).score_lines
            if line.startswith(f"pcmk__primitive_assign: {rid} ")]


def test_a_granted_ticket_changes_nothing() -> None:
    root = cib(prim("A") + prim("B"), needs("A"), {"node1": history("A")}, ticket("T", True))
    assert lines(root) == ["* Start B ( node2 )"]


def test_a_revoked_ticket_stops_its_resource_and_bans_it_everywhere() -> None:
    root = cib(prim("A"), needs("A"), {"node1": history("A")}, ticket("T", False))
    assert lines(root) == ["* Stop A ( node1 ) due to node availability"]
    assert scores(root, "A") == ["pcmk__primitive_assign: A allocation score on node1: -INFINITY",
                                 "pcmk__primitive_assign: A allocation score on node2: -INFINITY"]


def test_a_ticket_never_granted_keeps_a_stopped_resource_stopped() -> None:
    root = cib(prim("A") + prim("B"), needs("A", "freeze"), {})
    assert lines(root) == ["* Start B ( node1 )"]


def test_loss_policy_freeze_leaves_the_resource_where_it_runs() -> None:
    root = cib(prim("A"), needs("A", "freeze") + '<rsc_location id="l" rsc="A" node="node2" '
               'score="100"/>', {"node1": history("A")}, ticket("T", False))
    assert lines(root) == []


def test_loss_policy_fence_fences_the_node_it_ran_on_and_moves_the_rest() -> None:
    root = cib(prim("A") + prim("C"), needs("A", "fence"),
               {"node1": history("A") + history("C")}, ticket("T", False), fencing=True)
    assert lines(root) == ["* Fence (reboot) node1 'deadman ticket was lost'",
                           "* Move C ( node1 -> node2 )",
                           "* Start fence ( node2 )",
                           "* Stop A ( node1 ) due to node availability"]


def test_loss_policy_fence_without_fencing_acts_as_stop() -> None:
    root = cib(prim("A") + prim("C"), needs("A", "fence"),
               {"node1": history("A") + history("C")}, ticket("T", False))
    assert lines(root) == ["* Stop A ( node1 ) due to node availability"]


def test_a_ticket_in_standby_stops_without_applying_the_loss_policy() -> None:
    root = cib(prim("A"), needs("A", "fence"), {"node1": history("A")},
               ticket("T", True, standby=True), fencing=True)
    assert lines(root) == ["* Start fence ( node1 )",
                           "* Stop A ( node1 ) due to node availability"]


def stateful(lrm_role: dict[str, str]) -> tuple[str, dict[str, str]]:
    clone = ('<clone id="ms"><primitive id="S" class="ocf" provider="pacemaker" '
             'type="Stateful"/><meta_attributes id="ms-m"><nvpair id="ms-p" '
             'name="promotable" value="true"/></meta_attributes></clone>')
    return clone, {n: history("S", role, "Stateful") for n, role in lrm_role.items()}


def test_a_promoted_dependency_loses_only_its_promotion_by_default() -> None:
    clone, lrm = stateful({"node1": "Promoted", "node2": "Unpromoted"})
    root = cib(clone, needs("ms", role="Promoted"), lrm, ticket("T", False))
    assert lines(root) == ["* Demote S:0 ( Promoted -> Unpromoted node1 )"]


def test_a_promoted_dependency_with_loss_policy_stop_stops_every_instance() -> None:
    clone, lrm = stateful({"node1": "Promoted", "node2": "Unpromoted"})
    root = cib(clone, needs("ms", "stop", "Promoted"), lrm, ticket("T", False))
    assert lines(root) == ["* Stop S:0 ( Promoted node1 ) due to node availability",
                           "* Stop S:1 ( Unpromoted node2 ) due to node availability"]


def test_a_ticket_set_applies_to_each_member() -> None:
    sets = ('<rsc_ticket id="ts" ticket="T"><resource_set id="s1"><resource_ref id="A"/>'
            '<resource_ref id="B"/></resource_set></rsc_ticket>')
    root = cib(prim("A") + prim("B") + prim("C"), sets, {"node1": history("A")})
    assert lines(root) == ["* Start C ( node1 )", "* Stop A ( node1 ) due to node availability"]
