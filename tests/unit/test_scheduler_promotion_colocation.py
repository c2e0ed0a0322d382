"""A promotable clone's Promoted role colocated with a plain clone, as crm_simulate 2.1.5
prints the promotion scores on the same CIBs: a mandatory colocation keeps instances to
the clone's nodes but leaves their priority as it was; an optional one adds its score
once per instance of the clone on the same node, and once more for every placement turn
the instance had (each turn leaves it the clone's colocations again)."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

NODES = ("node1", "node2")


def op(rid: str, task: str, call: int) -> str:
    return cibkit.stateful_op(task, call, rsc=rid)


def history(rid: str, agent: str, call: int) -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="{agent}">'
            f'{op(rid, "start", call)}</lrm_resource>')


def cib(score: str) -> object:
    """ms (p, master-p 5 on both nodes, Promoted location 100 on node1) and cl (q) both
    running unpromoted/started on both nodes; ms Promoted with cl at `score`."""
    states = "".join(cibkit.node_state(
        n, lrm=history("p", "Stateful", 2 * i + 1) + history("q", "Dummy", 2 * i + 2),
        inner=f'<transient_attributes id="t{n}"><instance_attributes id="ta{n}"><nvpair '
              f'id="m{n}" name="master-p" value="5"/></instance_attributes>'
              "</transient_attributes>") for i, n in enumerate(NODES))
    resources = ('<clone id="ms"><meta_attributes id="msm"><nvpair id="msp" name="promotable" '
                 'value="true"/></meta_attributes><primitive id="p" class="ocf" '
                 'provider="pacemaker" type="Stateful"/></clone><clone id="cl"><primitive '
                 'id="q" class="ocf" provider="pacemaker" type="Dummy"/></clone>')
    constraints = (f'<rsc_colocation id="colo" rsc="ms" rsc-role="Promoted" with-rsc="cl" '
                   f'score="{score}"/><rsc_location id="loc" rsc="ms"><rule id="r" '
                   'role="Promoted" score="100"><expression id="e" attribute="#uname" '
                   'operation="eq" value="node1"/></rule></rsc_location>')
    return cibkit.cib(NODES, resources, constraints, states)


def promotion(score: str) -> list[str]:
    return sorted(line for line in schedule(cib(score), now_s=0).score_lines
                  if "promotion score" in line)


def test_a_mandatory_colocation_with_a_clone_leaves_the_priority_alone() -> None:
    assert promotion("INFINITY") == ["p:0 promotion score on node1: 105",
                                     "p:1 promotion score on node2: 5"]


def test_a_negative_one_counts_once_per_placement_turn() -> None:
    # p:0 had two turns (its first, on node1, undone): 5 + 100 - 50 - 50; p:1 one turn.
    assert promotion("-50") == ["p:0 promotion score on node1: 5",
                                "p:1 promotion score on node2: -45"]
