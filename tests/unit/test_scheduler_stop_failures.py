"""Failed stops and fencing, as crm_simulate 2.1.5 decides on the same CIBs: without
quorum a node still in the membership can be fenced (a stop that failed there is then
recovered elsewhere); a stop that failed with a hard error on a node that cannot be
fenced blocks the instance there, and a mandatory colocation with its clone does not
count that instance; fencing enabled without any device leaves resources unmanaged
without pinning them to their node (no INFINITY in the printed scores)."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule


def op(rid: str, task: str, call: int, rc: int = 0) -> str:
    return (f'<lrm_rsc_op id="{rid}_{task}_{call}" operation_key="{rid}_{task}_0" '
            f'operation="{task}" interval="0" op-status="0" rc-code="{rc}" call-id="{call}" '
            f'transition-key="1:1:0:x" transition-magic="0:{rc};1:1:0:x" '
            'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def history(rid: str, ops: str, cls: str = "ocf") -> str:
    kind = 'class="stonith" type="fence_xvm"' if cls == "stonith" else \
        'class="ocf" provider="pacemaker" type="Dummy"'
    return f'<lrm_resource id="{rid}" {kind}>{ops}</lrm_resource>'


def summary(root: object) -> list[str]:
    return [" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines()]


def without_quorum(offline: tuple[str, ...] = ()) -> object:
    """No quorum, no-quorum-policy=freeze, a fencing device on node3; r's stop failed on
    node1 (an ordinary error: fencing recovers it)."""
    nodes = ("node1", "node2", "node3")
    lrm = {"node3": history("fence", op("fence", "start", 1), "stonith"),
           "node1": history("r", op("r", "start", 2) + op("r", "stop", 3, rc=1))}
    return cibkit.cib(nodes, '<primitive id="fence" class="stonith" type="fence_xvm"/>'
                      '<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"/>', "",
                      cibkit.node_states(nodes, lrm=lrm, offline=offline), stonith=True,
                      props='<nvpair id="nqp" name="no-quorum-policy" value="freeze"/>',
                      root='have-quorum="0"')


def test_without_quorum_a_member_whose_stop_failed_is_fenced() -> None:
    lines = summary(without_quorum())
    assert "* Fence (reboot) node1 'r failed there'" in lines
    assert "* Recover r ( node1 -> node2 )" in lines
    assert "* Recover r ( node1 -> node3 )" in summary(without_quorum(("node2",)))


def blocked_clone(stonith: bool, rc: int) -> object:
    """Clone cl of p: p:0's stop failed (rc) on node1, p runs on node2; d is colocated
    with cl at INFINITY and prefers nothing."""
    nodes = ("node1", "node2")
    lrm = {"node1": history("p", op("p", "start", 1) + op("p", "stop", 2, rc=rc)),
           "node2": history("p", op("p", "start", 3))}
    resources = ('<clone id="cl"><primitive id="p" class="ocf" provider="pacemaker" '
                 'type="Dummy"/></clone>'
                 '<primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/>')
    return cibkit.cib(nodes, resources,
                      '<rsc_colocation id="colo" rsc="d" with-rsc="cl" score="INFINITY"/>',
                      cibkit.node_states(nodes, lrm=lrm), stonith=stonith)


def scores(root: object) -> list[str]:
    return list(schedule(root, now_s=0).score_lines)


def test_an_instance_blocked_by_a_hard_stop_failure_does_not_hold_a_colocation() -> None:
    # Fencing enabled, no device: node1 cannot be fenced; rc 5 (not installed) blocks
    # p there, so d may only go where an unblocked instance runs.
    lines = scores(blocked_clone(True, 5))
    assert "pcmk__primitive_assign: d allocation score on node1: -INFINITY" in lines
    assert "pcmk__primitive_assign: d allocation score on node2: 0" in lines
    # Without fencing the same: the stop failure blocks p on node1 (on-fail=block).
    assert "pcmk__primitive_assign: d allocation score on node1: -INFINITY" in \
        scores(blocked_clone(False, 5))


def test_an_ordinary_stop_failure_waits_for_fencing_and_still_counts() -> None:
    lines = scores(blocked_clone(True, 1))
    assert "pcmk__primitive_assign: d allocation score on node1: 0" in lines


def test_no_fencing_device_leaves_scores_unpinned() -> None:
    # Unmanaged only when assigned: p:1 keeps its stickiness (1), not INFINITY.
    lines = scores(blocked_clone(True, 1))
    assert "pcmk__primitive_assign: p:1 allocation score on node2: 1" in lines


def fenced_with_a_stopped_failure(first: str, second: str) -> object:
    """On node1 a failed (monitor, on-fail=fence) and b failed (on-fail=stop), their
    histories read in the order `first`, `second`; a fencing device runs on node2."""
    nodes = ("node1", "node2")

    def failed(rid: str, call: int) -> str:
        return history(rid, op(rid, "start", call) + op(rid, "monitor", call + 1, rc=1)
                       .replace('interval="0"', 'interval="10000"')
                       .replace("_monitor_0", "_monitor_10000"))

    def prim(rid: str, on_fail: str) -> str:
        return (f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
                f'<operations><op id="{rid}-mon" name="monitor" interval="10s" '
                f'on-fail="{on_fail}"/></operations></primitive>')

    lrm = {"node2": history("fence", op("fence", "start", 1), "stonith"),
           "node1": failed(first, 2) + failed(second, 4)}
    return cibkit.cib(nodes, '<primitive id="fence" class="stonith" type="fence_xvm"/>'
                      + prim("a", "fence") + prim("b", "stop"), "",
                      cibkit.node_states(nodes, lrm=lrm), stonith=True)


def test_on_fail_stop_holds_on_a_node_fenced_for_another_failure() -> None:
    for order in (("a", "b"), ("b", "a")):
        lines = summary(fenced_with_a_stopped_failure(*order))
        assert "* Fence (reboot) node1 'a failed there'" in lines
        assert "* Recover a ( node1 -> node2 )" in lines
        assert "* Stop b ( node1 ) due to node availability" in lines


def blocked_then_fenced(block_first: bool) -> object:
    """On node2 b's monitor failed (on-fail=block) and s's stop failed (fencing
    recovers it); a fencing device runs on node1."""
    nodes = ("node1", "node2")
    blocked = history("b", op("b", "start", 2) + op("b", "monitor", 3, rc=1)
                      .replace('interval="0"', 'interval="10000"')
                      .replace("_monitor_0", "_monitor_10000"))
    stopped = history("s", op("s", "start", 4) + op("s", "stop", 5, rc=1))
    lrm = {"node1": history("fence", op("fence", "start", 1), "stonith"),
           "node2": blocked + stopped if block_first else stopped + blocked}
    resources = ('<primitive id="fence" class="stonith" type="fence_xvm"/>'
                 '<primitive id="b" class="ocf" provider="pacemaker" type="Dummy"><operations>'
                 '<op id="b-mon" name="monitor" interval="10s" on-fail="block"/></operations>'
                 '</primitive><primitive id="s" class="ocf" provider="pacemaker" type="Dummy"/>')
    return cibkit.cib(nodes, resources, "", cibkit.node_states(nodes, lrm=lrm), stonith=True)


def test_a_block_read_before_its_node_is_to_be_fenced_stays_blocked() -> None:
    lines = summary(blocked_then_fenced(True))
    assert "* Recover s ( node2 -> node1 )" in lines
    assert not any(" b " in line for line in lines)  # unmanaged: nothing done for it
    # Read after the node was marked for fencing, the block is moot: b just moves.
    assert "* Move b ( node2 -> node1 )" in summary(blocked_then_fenced(False))
