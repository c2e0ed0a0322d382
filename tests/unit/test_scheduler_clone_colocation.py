"""Colocations between clones and with clones (Pacemaker Explained: colocation, clone
options), as crm_simulate 2.1.5 prints them on the same CIBs: an optional colocation
with a clone counts once per placed instance and is undone where it would leave the
dependent nowhere to run; a clone of groups honours its clone's mandatory colocation;
an instance cannot go where its clone's own score is negative; a dependent's shares in
a clone's own table never turn a node negative and leave an unusable node unusable."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

NODES = ("node1", "node2", "node3")


def cib(resources: str, constraints: str) -> object:
    return cibkit.cib(NODES, resources, constraints)


def dummy(rid: str) -> str:
    return f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy"/>'


def clone(cid: str, body: str, clone_max: int) -> str:
    return (f'<clone id="{cid}"><meta_attributes id="{cid}-m"><nvpair id="{cid}-max" '
            f'name="clone-max" value="{clone_max}"/></meta_attributes>{body}</clone>')


def clone_pair(score: str, dependent: str, clone_max: int) -> object:
    """clone1 (2 instances, not on node1) and clone2 of `dependent` (prefers node1),
    clone2 colocated with clone1 at `score`."""
    return cib(clone("clone1", dummy("r1"), 2) + clone("clone2", dependent, clone_max),
               '<rsc_location id="l1" rsc="clone1" node="node1" score="-100"/>'
               f'<rsc_colocation id="co" rsc="clone2" with-rsc="clone1" score="{score}"/>'
               '<rsc_location id="l2" rsc="clone2" node="node1" score="50"/>')


def result(root: object) -> tuple[list[str], set[str]]:
    transition = schedule(root, now_s=0)
    return ([" ".join(line.split()) for line in transition.summary_lines()],
            set(transition.score_lines))


def test_an_optional_anticolocation_with_a_clone_counts_per_instance_and_rolls_back(
        ) -> None:
    summary, lines = result(clone_pair("-100", dummy("a"), 3))
    assert "pcmk__primitive_assign: a:0 allocation score on node2: -100" in lines
    # a:1 (node1 taken): r1 on node3 as well would leave it nowhere, so only node2 counts
    assert "pcmk__primitive_assign: a:1 allocation score on node2: -100" in lines
    assert "pcmk__primitive_assign: a:1 allocation score on node3: 0" in lines
    assert {"* Start a:0 ( node1 )", "* Start a:1 ( node3 )",
            "* Start a:2 ( node2 )"} <= set(summary)


def test_a_clone_of_groups_honours_its_clones_mandatory_colocation() -> None:
    group = f'<group id="g">{dummy("a")}{dummy("b")}</group>'
    summary, lines = result(clone_pair("INFINITY", group, 2))
    assert "pcmk__primitive_assign: a:0 allocation score on node1: -INFINITY" in lines
    assert not any("node1" in line for line in summary if line.startswith("* Start a"))


def test_an_instance_cannot_go_where_its_clones_own_score_is_negative() -> None:
    # The clone's table on node1: -100 + the dependents' preference 50 = -50.
    _summary, lines = result(clone_pair("INFINITY", dummy("a"), 2))
    assert "pcmk__clone_allocate: clone1 allocation score on node1: -50" in lines
    assert "pcmk__primitive_assign: r1:0 allocation score on node1: -INFINITY" in lines


def test_a_dependents_share_in_a_clones_table_never_turns_a_node_negative() -> None:
    # P (-1000 on node2, 20 on node3) is colocated with C (10 on node2, -30 on node3),
    # Q (5000 on node2) with P: node2 becomes barely usable and stays so; node3, already
    # negative, takes P's share.
    root = cib(clone("C", dummy("cc"), 1) + dummy("P") + dummy("Q"),
               '<rsc_location id="l1" rsc="C" node="node2" score="10"/>'
               '<rsc_location id="l2" rsc="P" node="node2" score="-1000"/>'
               '<rsc_location id="l3" rsc="Q" node="node2" score="5000"/>'
               '<rsc_location id="l4" rsc="C" node="node3" score="-30"/>'
               '<rsc_location id="l5" rsc="P" node="node3" score="20"/>'
               '<rsc_colocation id="co1" rsc="P" with-rsc="C" score="INFINITY"/>'
               '<rsc_colocation id="co2" rsc="Q" with-rsc="P" score="INFINITY"/>')
    _summary, lines = result(root)
    assert "pcmk__clone_allocate: C allocation score on node2: 1" in lines
    assert "pcmk__clone_allocate: C allocation score on node3: -10" in lines
