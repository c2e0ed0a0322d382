"""Clones that must stop (Pacemaker Explained: on-fail, target-role), checked against
crm_simulate 2.1.5 on the same CIBs: a demote without its own on-fail fails like the
Promoted monitor; on-fail=stop of an anonymous instance stops the whole clone, of a
unique instance only that instance; a stopped clone still prints each instance's
assignment, -INFINITY everywhere."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

NODES = ("node1", "node2", "node3")


def op(rid: str, task: str, rc: int, call: int) -> str:
    return (f'<lrm_rsc_op id="{rid}_{task}_{call}" operation_key="{rid}_{task}_0" '
            f'operation="{task}" interval="0" op-status="0" rc-code="{rc}" '
            f'call-id="{call}" transition-key="1:1:0:x" transition-magic="0:{rc};1:1:0:x" '
            'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def history(lrm_id: str, ops: str) -> str:
    return (f'<lrm_resource id="{lrm_id}" class="ocf" provider="pacemaker" type="Stateful">'
            f"{ops}</lrm_resource>")


def cib(unique: bool = False, demote_op: str = "", clone_meta: str = "",
        group: bool = False) -> object:
    """Clone sc of s (promotable unless `group`): s (or s:0) promoted on node1 then its
    demote failed (rc 1); s (s:1) runs on node2. The Promoted monitor has on-fail=stop."""
    first, second = ("s:0", "s:1") if unique else ("s", "s")
    lrm = {"node1": history(first, op(first, "start", 0, 1) + op(first, "promote", 0, 2)
                            + op(first, "demote", 1, 3)),
           "node2": history(second, op(second, "start", 0, 4))}
    prim = ('<primitive id="s" class="ocf" provider="pacemaker" type="Stateful"><operations>'
            '<op id="m10" name="monitor" interval="10s" role="Promoted" on-fail="stop"/>'
            f'<op id="m11" name="monitor" interval="11s" role="Unpromoted"/>{demote_op}'
            "</operations></primitive>")
    if group:
        prim = (f'<group id="g">{prim}<primitive id="t" class="ocf" provider="pacemaker" '
                'type="Dummy"/></group>')
    resources = ('<clone id="sc"><meta_attributes id="cm">'
                 '<nvpair id="cmax" name="clone-max" value="2"/>'
                 f'<nvpair id="cu" name="globally-unique" value="{str(unique).lower()}"/>'
                 f'<nvpair id="cp" name="promotable" value="{str(not group).lower()}"/>'
                 f"{clone_meta}</meta_attributes>{prim}</clone>")
    return cibkit.cib(NODES, resources, "", cibkit.node_states(NODES, lrm))


def summary(root: object) -> list[str]:
    return [" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines()]


def scores(root: object) -> set[str]:
    return set(schedule(root, now_s=0).score_lines)


def test_a_failed_demote_fails_like_the_promoted_monitor_and_stops_the_anonymous_clone(
        ) -> None:
    root = cib()
    assert summary(root) == ["* Stop s:0 ( Unpromoted node1 ) due to node availability",
                             "* Stop s:1 ( Unpromoted node2 ) due to node availability"]
    lines = scores(root)
    # The ban is the clone's: its own scores, not its instances', read -INFINITY.
    assert "pcmk__clone_allocate: sc allocation score on node2: -INFINITY" in lines
    assert "pcmk__clone_allocate: s:1 allocation score on node2: 1" in lines


def test_a_demote_with_its_own_on_fail_is_recovered() -> None:
    root = cib(demote_op='<op id="d" name="demote" interval="0" on-fail="restart"/>')
    assert summary(root) == ["* Recover s:0 ( Unpromoted node1 )"]


def test_on_fail_stop_of_a_unique_instance_stops_only_that_instance() -> None:
    assert summary(cib(unique=True)) == [
        "* Stop s:0 ( Unpromoted node1 ) due to node availability"]


def test_a_stopped_clone_prints_each_instances_assignment_at_minus_infinity() -> None:
    stopped = '<nvpair id="tr" name="target-role" value="Stopped"/>'
    lines = scores(cib(demote_op='<op id="d" name="demote" interval="0" on-fail="restart"/>',
                       clone_meta=stopped))
    for inst in ("s:0", "s:1"):
        for node in NODES:
            assert f"pcmk__primitive_assign: {inst} allocation score on {node}: -INFINITY" \
                in lines


def test_a_stopped_clone_of_groups_prints_its_groups_then_members() -> None:
    stopped = '<nvpair id="tr" name="target-role" value="Stopped"/>'
    lines = scores(cib(demote_op='<op id="d" name="demote" interval="0" on-fail="restart"/>',
                       clone_meta=stopped, group=True))
    assert "pcmk__group_assign: g:1 allocation score on node1: 0" in lines
    assert "pcmk__primitive_assign: t:1 allocation score on node3: -INFINITY" in lines
