"""Colocations that name a role while clone instances are placed (Pacemaker Explained:
colocation by role), as crm_simulate 2.1.5 prints them on the same CIBs: a colocation
with a Promoted/Unpromoted role of a promotable clone counts when the dependent's
instances are placed, whatever role the dependent side names (a negative one keeps the
instance off the primary's promoted node; a mandatory Unpromoted-with-Promoted one keeps
it on that node), except a mandatory Promoted-with-Promoted one, which waits for
promotion; a colocation naming the dependent's Promoted role is undone when it would
leave the instance nowhere to run; promotion then reads the primary clone's table with
the promotion scores it took in. What is colocated with a clone steers the clone's table
and its instances whatever role the colocation names."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

NODES = ("node1", "node2")


def op(rid: str, task: str, call: int) -> str:
    return cibkit.stateful_op(task, call, rsc=rid)


def history(rid: str, ops: str) -> str:
    return cibkit.stateful_history(ops, rsc=rid)


def promotable(cid: str, pid: str) -> str:
    return (f'<clone id="{cid}"><meta_attributes id="{cid}-m"><nvpair id="{cid}-p" '
            f'name="promotable" value="true"/></meta_attributes><primitive id="{pid}" '
            'class="ocf" provider="pacemaker" type="Stateful"/></clone>')


def cib(score: str, a_role: str, b_role: str, d_colocation: str = "") -> object:
    """b runs promoted on node1, unpromoted on node2 (master-b 10 on both); a runs
    promoted on node2 only (master-a 100 there); a-clone (a_role) with b-clone (b_role).
    `d_colocation`: a primitive d preferring node2 (50), colocated with b-clone so."""
    lrm = {"node1": history("b", op("b", "start", 1) + op("b", "promote", 2)),
           "node2": history("b", op("b", "start", 3))
           + history("a", op("a", "start", 4) + op("a", "promote", 5))}
    attrs = {"node1": {"master-b": 10}, "node2": {"master-b": 10, "master-a": 100}}
    states = "".join(cibkit.node_state(
        n, lrm=lrm[n],
        inner=f'<transient_attributes id="t{n}"><instance_attributes id="ta{n}">'
              + "".join(f'<nvpair id="{k}-{n}" name="{k}" value="{v}"/>'
                        for k, v in attrs[n].items())
              + "</instance_attributes></transient_attributes>") for n in NODES)
    constraint = (f'<rsc_colocation id="colo" rsc="a-clone" rsc-role="{a_role}" '
                  f'with-rsc="b-clone" with-rsc-role="{b_role}" score="{score}"/>')
    resources = promotable("a-clone", "a") + promotable("b-clone", "b")
    if d_colocation:
        resources += '<primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/>'
        constraint += (f'<rsc_colocation id="colo-d" rsc="d" {d_colocation}/>'
                       '<rsc_location id="loc-d" rsc="d" node="node2" score="50"/>')
    return cibkit.cib(NODES, resources, constraint, states)


def lines_of(root: object) -> list[str]:
    return [line for line in schedule(root, now_s=0).score_lines
            if "a:" in line and ("primitive_assign" in line or "promotion" in line)]


def test_a_negative_colocation_of_the_promoted_role_keeps_instances_off_its_node() -> None:
    # a:0 stays on node2 and may not go to node1 (b promoted there); a:1 would then have
    # nowhere to run (node2 holds a:0), so its colocation is undone: node1 0.
    # Promotion: a:0's 100 (master-a) less b-clone's table on node2 after b's promotion
    # (0 + b:1's promotion score 10): 90.
    assert lines_of(cib("-INFINITY", "Promoted", "Promoted")) == [
        "pcmk__primitive_assign: a:0 allocation score on node1: -INFINITY",
        "pcmk__primitive_assign: a:0 allocation score on node2: 101",
        "pcmk__primitive_assign: a:1 allocation score on node1: 0",
        "pcmk__primitive_assign: a:1 allocation score on node2: -INFINITY",
        "a:0 promotion score on node2: 90",
        "a:1 promotion score on node1: -INFINITY",
    ]


def test_a_mandatory_unpromoted_with_promoted_colocation_moves_the_instance() -> None:
    root = cib("INFINITY", "Unpromoted", "Promoted")
    lines = lines_of(root)
    assert "pcmk__primitive_assign: a:0 allocation score on node2: -INFINITY" in lines
    assert "pcmk__primitive_assign: a:0 allocation score on node1: 22" in lines
    summary = [" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines()]
    assert "* Move a:0 ( Promoted node2 -> Unpromoted node1 )" in summary


def test_a_mandatory_promoted_with_promoted_colocation_waits_for_promotion() -> None:
    lines = lines_of(cib("INFINITY", "Promoted", "Promoted"))
    assert "pcmk__primitive_assign: a:0 allocation score on node1: 0" in lines
    assert "a:1 promotion score on node1: INFINITY" in lines
    assert "a:0 promotion score on node2: -INFINITY" in lines


def test_what_names_its_promoted_role_still_steers_the_clone_it_is_colocated_with() -> None:
    # d (Promoted, which a primitive never is) with b-clone Unpromoted at INFINITY: d's
    # 50 on node2 enters b-clone's table, so b is promoted there instead (60 > 10) and d
    # follows the unpromoted b to node1 (10 + stickiness of b there).
    root = cib("-INFINITY", "Promoted", "Promoted",
               'rsc-role="Promoted" with-rsc="b-clone" with-rsc-role="Unpromoted" '
               'score="INFINITY"')
    lines = schedule(root, now_s=0).score_lines
    assert "pcmk__clone_allocate: b-clone allocation score on node2: 50" in lines
    assert "pcmk__primitive_assign: d allocation score on node1: 11" in lines
    summary = [" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines()]
    assert "* Promote b:1 ( Unpromoted -> Promoted node2 )" in summary
    assert "* Start d ( node1 )" in summary


def test_a_negative_colocation_by_role_reaches_the_instances_of_its_primary() -> None:
    # d (Promoted) against b-clone Promoted at -INFINITY: b's instances take d's 50 on
    # node2 at -1 (a negative colocation is always passed on to the instances).
    root = cib("-INFINITY", "Promoted", "Promoted",
               'rsc-role="Promoted" with-rsc="b-clone" with-rsc-role="Promoted" '
               'score="-INFINITY"')
    assert "pcmk__primitive_assign: b:0 allocation score on node2: -50" in \
        schedule(root, now_s=0).score_lines


def test_a_mandatory_promoted_with_promoted_colocation_leaves_a_primitive_free() -> None:
    # d can never be promoted: the colocation waits for a promotion that never comes, so
    # d goes where it prefers, and still pulls b-clone's table there.
    root = cib("-INFINITY", "Promoted", "Promoted",
               'rsc-role="Promoted" with-rsc="b-clone" with-rsc-role="Promoted" '
               'score="INFINITY"')
    lines = schedule(root, now_s=0).score_lines
    assert "pcmk__primitive_assign: d allocation score on node1: 0" in lines
    assert "pcmk__primitive_assign: d allocation score on node2: 50" in lines
    assert "pcmk__clone_allocate: b-clone allocation score on node2: 50" in lines
