"""How a group colocated with a clone's Promoted role steers the clone (Pacemaker
Explained: colocation influence), as crm_simulate 2.1.5 prints it on the same CIBs:
the clone's own table takes the group in member by member and never a negative share;
promotion adds the group's preferences again, a node it would turn negative becoming
barely usable (1), or nothing at all when no node could run; a group member is placed
by the table printed for it."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

NODES = ("node1", "node2")


def op(task: str, call: int) -> str:
    return (f'<lrm_rsc_op id="s_{task}_{call}" operation_key="s_{task}_0" '
            f'operation="{task}" interval="0" op-status="0" rc-code="0" call-id="{call}" '
            'transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" '
            'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def cib(m1: int, m2: int) -> object:
    """Promotable clone ms (master-s 10 on both nodes, s running unpromoted on both);
    group g (m1, m2) with ms Promoted at INFINITY; m1 and m2 score m1/m2 on node2."""
    states = "".join(cibkit.node_state(
        n, lrm='<lrm_resource id="s" class="ocf" provider="pacemaker" type="Stateful">'
               f'{op("start", i)}</lrm_resource>',
        inner=f'<transient_attributes id="t{n}"><instance_attributes id="ta{n}"><nvpair '
              f'id="m{n}" name="master-s" value="10"/></instance_attributes>'
              "</transient_attributes>") for i, n in enumerate(NODES, 1))
    resources = ('<clone id="ms"><meta_attributes id="cm"><nvpair id="cp" '
                 'name="promotable" value="true"/></meta_attributes><primitive id="s" '
                 'class="ocf" provider="pacemaker" type="Stateful"/></clone><group id="g">'
                 '<primitive id="m1" class="ocf" provider="pacemaker" type="Dummy"/>'
                 '<primitive id="m2" class="ocf" provider="pacemaker" type="Dummy"/></group>')
    constraints = ('<rsc_colocation id="colo" rsc="g" with-rsc="ms" '
                   'with-rsc-role="Promoted" score="INFINITY"/>'
                   f'<rsc_location id="l1" rsc="m1" node="node2" score="{m1}"/>'
                   f'<rsc_location id="l2" rsc="m2" node="node2" score="{m2}"/>')
    return cibkit.cib(NODES, resources, constraints, states)


def score(root: object, prefix: str) -> str:
    lines = schedule(root, now_s=0).score_lines
    return next(line.rsplit(" ", 1)[1] for line in lines if line.startswith(prefix))


def test_the_clones_table_takes_the_group_member_by_member_never_negative() -> None:
    # m1's -20 cannot lower node2 below 0; m2's 15 is then added.
    assert score(cib(-20, 15), "pcmk__clone_allocate: ms allocation score on node2") == "15"


def test_promotion_adds_the_groups_preferences_again() -> None:
    # 15 (clone table) + 10 (master-s) - 20 (m1) + 15 (m2)
    assert score(cib(-20, 15), "s:1 promotion score on node2") == "20"
    assert score(cib(-5, 100), "s:1 promotion score on node2") == "205"


def test_a_node_the_group_would_turn_negative_stays_barely_usable() -> None:
    # 10 - 1000 would be negative: node2 is marked unusable, later shares do not count.
    assert score(cib(-1000, 5), "s:1 promotion score on node2") == "1"
    assert score(cib(0, -1000), "s:1 promotion score on node2") == "1"


def test_the_group_starts_where_its_members_printed_tables_allow() -> None:
    summary = [" ".join(line.split()) for line in schedule(cib(-20, 15), now_s=0)
               .summary_lines()]
    assert "* Start m1 ( node2 )" in summary
    assert "* Start m2 ( node2 )" in summary
