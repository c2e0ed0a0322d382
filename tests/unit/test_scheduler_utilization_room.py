"""Utilization with mandatory colocations (Pacemaker Explained, "Utilization and Placement
Strategy"): a resource is placed where it and what must run with it fit; a dependent
counts even when it is disabled; when no node fits them all, a node with more of every
capacity left wins a tie, and a node that is only better in some capacities does not
move a resource. Expected results are what crm_simulate 2.1.5 prints for the same CIBs."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"


def util(set_id: str, cpu: int, mem: int) -> str:
    return (f'<utilization id="{set_id}"><nvpair id="{set_id}-c" name="cpu" value="{cpu}"/>'
            f'<nvpair id="{set_id}-m" name="mem" value="{mem}"/></utilization>')


def prim(rid: str, cpu: int, mem: int, disabled: bool = False) -> str:
    meta = (f'<meta_attributes id="{rid}-m"><nvpair id="{rid}-t" name="target-role" '
            'value="Stopped"/></meta_attributes>') if disabled else ""
    return (f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">{meta}'
            f"{util(rid + '-u', cpu, mem)}</primitive>")


def history(rid: str) -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_start_0" operation="start" '
            f'interval="0" op-status="0" rc-code="0" call-id="2" transition-key="1:1:0:x" '
            f'op-digest="{DIGEST}"/></lrm_resource>')


def cib(strategy: str, capacity: dict[str, tuple[int, int]], resources: str,
        constraints: str, running: dict[str, str]) -> object:
    nodes = "".join(f'<node id="{n}" uname="{n}">{util(n + "-cap", *c)}</node>'
                    for n, c in capacity.items())
    lrm = {n: "".join(history(r) for r, where in running.items() if where == n)
           for n in capacity}
    return cibkit.cib(capacity, resources, constraints, cibkit.node_states(capacity, lrm),
                      node_xml=nodes,
                      props=f'<nvpair id="p" name="placement-strategy" value="{strategy}"/>')


def with_(dep: str, primary: str, score: str = "INFINITY") -> str:
    return f'<rsc_colocation id="c-{dep}" rsc="{dep}" with-rsc="{primary}" score="{score}"/>'


def lines(root: object) -> list[str]:
    return sorted(" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines())


def test_a_disabled_dependent_still_needs_room_beside_its_primary() -> None:
    root = cib("minimal", {"node1": (8, 1024), "node2": (8, 4096)},
               prim("A", 3, 256, disabled=True) + prim("B", 3, 256)
               + prim("C", 2, 1024, disabled=True), with_("B", "A", "500") + with_("C", "B"),
               {})
    assert lines(root) == ["* Start B ( node2 )"]


def test_a_node_better_only_in_some_capacities_does_not_pull_a_resource_away() -> None:
    root = cib("utilization", {"node1": (4, 4096), "node2": (8, 1024)},
               prim("A", 3, 1024) + prim("B", 2, 1024) + prim("C", 2, 1024),
               with_("B", "A"), {"A": "node2", "C": "node1"})
    assert lines(root) == []


def test_a_group_with_room_for_only_its_first_members_starts_those() -> None:
    """No node has room for the whole group G (cpu 3): it goes where its first member
    fits, and members start there while each has room of its own; the first member
    without room stops the rest (member by member, as crm_simulate 2.1.5 places it)."""
    group = f'<group id="G">{prim("a", 1, 1)}{prim("b", 1, 1)}{prim("c", 1, 1)}</group>'
    root = cib("balanced", {"node1": (2, 10), "node2": (1, 10)}, group, "", {})
    assert lines(root) == ["* Start a ( node1 )", "* Start b ( node1 )"]
