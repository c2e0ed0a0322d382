"""A group with collocated=false (Pacemaker Explained: group options): its members are
placed each on its own table, the group's colocations hold for its first member only, and
the group steers what it is colocated with by its first member; as crm_simulate 2.1.5
places and scores them on the same CIBs."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

NODES = ("node1", "node2", "node3")


def dummy(rid: str) -> str:
    return f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy"/>'


def cib(colocation: str = "") -> object:
    """Group g (a, b, d; collocated=false) and primitive x; a prefers node1 by 100, b
    node2 by 100, x node3 by 50."""
    return cibkit.cib(
        NODES, dummy("x") + '<group id="g"><meta_attributes id="gm">'
        '<nvpair id="gc" name="collocated" value="false"/></meta_attributes>'
        + dummy("a") + dummy("b") + dummy("d") + "</group>",
        '<rsc_location id="l1" rsc="a" node="node1" score="100"/>'
        '<rsc_location id="l2" rsc="b" node="node2" score="100"/>'
        f'<rsc_location id="l3" rsc="x" node="node3" score="50"/>{colocation}')


def result(root: object) -> tuple[list[str], set[str]]:
    transition = schedule(root, now_s=0)
    return ([" ".join(line.split()) for line in transition.summary_lines()],
            set(transition.score_lines))


def test_members_of_a_group_not_collocated_start_each_where_it_prefers() -> None:
    summary, lines = result(cib())
    assert "* Start a ( node1 )" in summary
    assert "* Start b ( node2 )" in summary
    assert "pcmk__primitive_assign: b allocation score on node1: 0" in lines


def test_a_colocation_of_such_a_group_holds_for_its_first_member_only() -> None:
    summary, lines = result(cib('<rsc_colocation id="co" rsc="g" with-rsc="x" '
                                'score="INFINITY"/>'))
    # x learns the preference of the first member only (a's 100 on node1, not b's)
    assert "pcmk__primitive_assign: x allocation score on node1: 100" in lines
    assert "pcmk__primitive_assign: x allocation score on node2: 0" in lines
    assert {"* Start x ( node1 )", "* Start a ( node1 )", "* Start b ( node2 )"} \
        <= set(summary)
