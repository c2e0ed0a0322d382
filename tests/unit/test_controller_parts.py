"""The controller's pure parts stepped by hand: the graph executor, the op records, the
election and join, the CPG messages."""

from __future__ import annotations

from hacluster.cib import CIBRequest, apply_request, empty_cib
from hacluster.common import NodeId, duration_ms
from hacluster.controller import (
    CibChanged,
    CibWrite,
    Controller,
    LocalHistory,
    Membership,
    PeerMessage,
    PeerSend,
    TransitionRun,
    scheduling_bytes,
)
from hacluster.controller.messages import ExecuteRequest, JoinAck, decode, encode
from hacluster.controller.records import digest_of, op_request
from hacluster.events import (
    CancelOp,
    ExecuteOp,
    OpRequest,
    OpResult,
    RunScheduler,
    SchedulerDone,
    Tick,
)
from hacluster.scheduler import GraphAction, Synapse, Transition, op_digest


def action(aid: int, pseudo: bool = False) -> GraphAction:
    return GraphAction(aid, None if pseudo else "r", "start", None if pseudo else "n1",
                       pseudo, False, True, "")


def test_graph_fires_actions_whose_inputs_are_done_up_to_the_parallel_limit() -> None:
    run = TransitionRun(1, (Synapse(0, action(0), ()), Synapse(1, action(1), ()),
                            Synapse(2, action(2), (0, 1))), max_parallel=1)
    assert [a.id for a in run.ready()] == [0]
    run.fire(0, 100)
    assert run.ready() == []  # the limit: one running
    run.finish(0, True)
    assert [a.id for a in run.ready()] == [1]
    run.fire(1, 100)
    run.finish(1, True)
    assert [a.id for a in run.ready()] == [2]


def test_a_failed_action_aborts_and_the_transition_ends_when_nothing_runs() -> None:
    run = TransitionRun(1, (Synapse(0, action(0), ()), Synapse(1, action(1), ()),
                            Synapse(2, action(2), (0,))))
    run.fire(0, 100)
    run.fire(1, 100)
    run.finish(0, False)
    assert run.aborted and run.ready() == [] and not run.is_finished()
    assert run.expired(100) == [1]
    run.finish(1, False)
    assert run.is_finished() and run.status().failed == 2


def test_durations_follow_pacemaker_units() -> None:
    assert duration_ms("10s") == 10_000 and duration_ms("20") == 20_000
    assert duration_ms("500ms") == 500 and duration_ms("2min") == 120_000
    assert duration_ms("soon", 7) == 7


def result(op: OpRequest, rc: int, call: int = 1) -> OpResult:
    return OpResult(op, call, rc, 0, 1000, 12, 0)


def test_op_results_become_pacemakers_lrm_entries() -> None:
    history = LocalHistory("node1")
    start = OpRequest("d", "ocf", "heartbeat", "Dummy", "start", params=(("state", "/x"),),
                      transition_key="3:1:0:1")
    attrs = history.record(result(start, 0), 1_767_225_600)
    assert attrs["operation_key"] == "d_start_0" and attrs["transition-magic"] == "0:0;3:1:0:1"
    assert attrs["op-digest"] == op_digest({"state": "/x"})
    monitor = OpRequest("d", "ocf", "heartbeat", "Dummy", "monitor", 10_000, 20_000,
                        (("state", "/x"),), transition_key="3:1:0:1")
    history.record(result(monitor, 0, 2), 1_767_225_601)
    assert digest_of(monitor) == op_digest({"state": "/x", "CRM_meta_timeout": "20000"})
    assert history.active() == ["d"] and history.recurring("d") == [("monitor", 10_000)]
    xml = history.lrm_xml("1")
    assert 'id="d_last_0"' in xml and 'id="d_monitor_10000"' in xml
    stop = OpRequest("d", "ocf", "heartbeat", "Dummy", "stop", transition_key="4:1:0:1")
    history.record(result(stop, 0, 3), 1_767_225_602)
    assert history.active() == [] and "d_monitor_10000" not in history.lrm_xml("1")


def test_a_failed_start_is_kept_as_last_failure_and_counts_as_active() -> None:
    history = LocalHistory("node1")
    start = OpRequest("d", "ocf", "heartbeat", "Dummy", "start", transition_key="3:1:0:1")
    history.record(result(start, 1), 0)
    assert 'id="d_last_failure_0"' in history.lrm_xml("1")
    assert history.active() == ["d"]  # it may be half up: the cluster stops it


def test_op_requests_come_from_the_configured_primitive() -> None:
    doc = apply_request(empty_cib(), CIBRequest("create", (
        '<primitive id="d" class="ocf" provider="heartbeat" type="Dummy">'
        '<instance_attributes id="d-i"><nvpair id="d-i-s" name="state" value="/x"/>'
        '</instance_attributes><operations><op id="d-m" name="monitor" interval="5s" '
        'timeout="9s"/><op id="d-s" name="start" interval="0" timeout="30s"/></operations>'
        '</primitive>'), "resources"))[0]
    op = op_request(doc.root, "d", "start", 0, "1:1:0:1")
    assert op is not None and op.timeout_ms == 30_000 and op.params == (("state", "/x"),)
    assert op_request(doc.root, "missing", "start", 0, "") is None


def test_op_requests_evaluate_rule_based_instance_attributes_for_the_target_node() -> None:
    """One CIB, a namespace name per node: sets with a #uname rule count only on their
    node (higher score first), the plain set fills in the rest, as Pacemaker does."""
    doc = apply_request(empty_cib(), CIBRequest("create", (
        '<node id="1" uname="node-1"><instance_attributes id="n1-a">'
        '<nvpair id="n1-a-site" name="site" value="east"/></instance_attributes></node>'),
        "nodes"))[0]
    doc = apply_request(doc, CIBRequest("create", (
        '<primitive id="v" class="ocf" provider="mirantis" type="ns_IPaddr2">'
        '<instance_attributes id="v-n1" score="2"><rule id="v-n1-r" score="0">'
        '<expression id="v-n1-e" attribute="#uname" operation="eq" value="node-1"/></rule>'
        '<nvpair id="v-n1-ns" name="ns" value="hcl-haproxy-1"/></instance_attributes>'
        '<instance_attributes id="v-east" score="1"><rule id="v-east-r" score="0">'
        '<expression id="v-east-e" attribute="site" operation="eq" value="east"/></rule>'
        '<nvpair id="v-east-ns" name="ns" value="east-ns"/>'
        '<nvpair id="v-east-gw" name="gateway" value="10.0.0.1"/></instance_attributes>'
        '<instance_attributes id="v-i"><nvpair id="v-i-ns" name="ns" value="haproxy"/>'
        '<nvpair id="v-i-ip" name="ip" value="10.0.0.2"/></instance_attributes>'
        '</primitive>'), "resources"))[0]
    on_1 = op_request(doc.root, "v", "start", 0, "1:1:0:1", "node-1")
    on_2 = op_request(doc.root, "v", "start", 0, "1:1:0:1", "node-2")
    assert on_1 is not None and on_2 is not None
    assert dict(on_1.params) == {"ns": "hcl-haproxy-1", "gateway": "10.0.0.1", "ip": "10.0.0.2"}
    assert dict(on_2.params) == {"ns": "haproxy", "ip": "10.0.0.2"}
    assert digest_of(on_1) != digest_of(on_2)


def test_messages_round_trip_and_garbage_is_dropped() -> None:
    op = OpRequest("d", "ocf", "heartbeat", "Dummy", "stop", params=(("a", "1"),))
    for message in (JoinAck("node2", 12), ExecuteRequest("node1", "node2", op)):
        assert decode(encode(message)) == message
    assert decode(b"\xff not json") is None


def cib_with_nodes() -> object:
    return apply_request(empty_cib(), CIBRequest(
        "replace", '<nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>',
        "nodes"))[0]


def test_the_lowest_member_is_dc_and_schedules_once_every_member_joined() -> None:
    dc, other = Controller(NodeId(1), "node1"), Controller(NodeId(2), "node2")
    doc = cib_with_nodes()
    out = []
    for c in (dc, other):
        c.step(0, Membership((NodeId(1), NodeId(2)), True, 8))
        out.append(c.step(1, CibChanged(doc, True)))
    assert dc.is_dc() and not other.is_dc() and other.status().dc == "node1"
    # each member writes its own history, then acks over CPG
    assert isinstance(out[1][0], CibWrite) and isinstance(out[1][-1], PeerSend)
    first = dc.step(2, PeerMessage(NodeId(1), encode(JoinAck("node1", 8))))
    assert not any(isinstance(o, RunScheduler) for o in first)  # node2 has not joined yet
    joined = dc.step(3, PeerMessage(NodeId(2), encode(JoinAck("node2", 8))))
    writes = [o.request for o in joined if isinstance(o, CibWrite)]
    assert any('in_ccm="true"' in w.xml and w.status_of == "2" for w in writes)
    assert any('dc-uuid="1"' in w.xml for w in writes)
    scheduled = [o for o in joined if isinstance(o, RunScheduler)]
    assert len(scheduled) == 1 and b'have-quorum="1"' in scheduling_bytes(scheduled[0])


def test_an_orphan_is_stopped_with_the_agent_its_history_names() -> None:
    """A resource deleted from the configuration while it has history: its stop runs the
    agent of its lrm_resource (without it the action could not fire, and the DC rescheduled
    the same transition in a tight loop)."""
    doc = apply_request(empty_cib(), CIBRequest("modify", (
        '<node_state id="1" uname="node1"><lrm id="1"><lrm_resources>'
        '<lrm_resource id="gone" class="ocf" provider="pacemaker" type="Dummy"/>'
        '</lrm_resources></lrm></node_state>'), "status", options=frozenset({"allow-create"})
    ))[0]
    op = op_request(doc.root, "gone", "stop", 0, "4:2:0:1")
    assert op is not None and (op.rsc_class, op.provider, op.agent_type) == (
        "ocf", "pacemaker", "Dummy") and op.params == () and op.action == "stop"
    assert op_request(doc.root, "never-seen", "stop", 0, "") is None


def joined_dc(resources: str = "") -> tuple[Controller, RunScheduler]:
    """A lone DC that joined its ring with `resources` configured, and its first request."""
    dc = Controller(NodeId(1), "node1")
    doc = cib_with_nodes()
    if resources:
        doc = apply_request(doc, CIBRequest("replace", f"<resources>{resources}</resources>",
                                            "resources"))[0]
    dc.step(0, Membership((NodeId(1),), True, 8))
    dc.step(1, CibChanged(doc, True))
    joined = dc.step(2, PeerMessage(NodeId(1), encode(JoinAck("node1", 8))))
    return dc, next(o for o in joined if isinstance(o, RunScheduler))


def loop_back(dc: Controller, now: int, out: list[object]) -> list[object]:
    """CPG delivers the DC's own messages to itself too."""
    back: list[object] = []
    for sent in [o for o in out if isinstance(o, PeerSend)]:
        back += dc.step(now, PeerMessage(NodeId(1), sent.data))
    return back


DUMMY_OPS = ('<primitive id="d" class="ocf" provider="heartbeat" type="Dummy"><operations>'
             '<op id="d-m" name="monitor" interval="10s" timeout="7s"/>'
             '<op id="d-p" name="monitor" interval="11s" role="Promoted"/>'
             '</operations></primitive>')


def test_the_graph_starts_recurring_monitors_and_waits_for_their_first_result() -> None:
    """The graph is the one source of recurring ops (as in Pacemaker): the monitor runs
    when its synapse fires (after the start), with its own transition key and timeout,
    and the transition completes only once its first result is in."""
    dc, request = joined_dc(DUMMY_OPS)
    start = GraphAction(0, "d", "start", "node1", False, False, True, "")
    monitor = GraphAction(1, "d", "monitor", "node1", False, False, True, "",
                          interval_ms=10_000)
    out = dc.step(3, SchedulerDone(request.cib_version, Transition(
        (Synapse(0, start, ()), Synapse(1, monitor, (0,))), (), ())))
    out += dc.step(4, Tick())
    ops = [o.op for o in out if isinstance(o, ExecuteOp)]
    assert [(op.action, op.interval_ms) for op in ops] == [("start", 0)]
    done = dc.step(5, result(ops[0], 0))
    monitors = [o.op for o in done if isinstance(o, ExecuteOp)]
    assert [(op.action, op.interval_ms, op.timeout_ms, op.transition_key)
            for op in monitors] == [("monitor", 10_000, 7_000, "1:1:0:1")]
    assert dc.run is not None  # waiting for the monitor's first result
    dc.step(6, result(monitors[0], 0, call=2))
    assert dc.run is None and dc.monitors.is_running("d", "monitor", 10_000)


def test_a_promoted_role_monitor_expects_rc_8_and_a_wrong_rc_fails_the_action() -> None:
    dc, request = joined_dc(DUMMY_OPS)
    monitor = GraphAction(0, "d", "monitor", "node1", False, False, True, "",
                          interval_ms=11_000)
    out = dc.step(3, SchedulerDone(request.cib_version, Transition(
        (Synapse(0, monitor, ()),), (), ())))
    op = next(o.op for o in out if isinstance(o, ExecuteOp))
    assert op.transition_key == "0:1:8:1"
    again = dc.step(4, result(op, 0))
    assert dc.run is None and dc.status().transition is None
    assert any(isinstance(o, RunScheduler) for o in again)  # failed: schedule again


def test_a_graph_cancel_ends_the_monitor_and_drops_it_from_the_history() -> None:
    dc, request = joined_dc(DUMMY_OPS)
    monitor = OpRequest("d", "ocf", "heartbeat", "Dummy", "monitor", 10_000, 7_000,
                        transition_key="9:0:0:1")
    dc.monitors.start(monitor)
    dc.history.record(result(monitor, 0), 0)
    cancel = GraphAction(0, "d", "cancel", "node1", False, False, True, "",
                         interval_ms=10_000, cancels="monitor")
    out = dc.step(3, SchedulerDone(request.cib_version, Transition(
        (Synapse(0, cancel, ()),), (), ())))
    assert [o for o in out if isinstance(o, CancelOp)] == [CancelOp("d", "monitor", 10_000)]
    writes = [o.request.xml for o in out if isinstance(o, CibWrite)]
    assert writes and "d_monitor_10000" not in writes[-1]
    assert dc.run is not None  # until the target confirms over CPG
    loop_back(dc, 4, out)
    assert dc.run is None and not dc.monitors.is_running("d", "monitor", 10_000)


def test_a_graph_of_recurring_ops_only_does_not_reschedule_in_a_loop() -> None:
    """A transition holding only a cancel of an op that runs nowhere (e.g. removed from
    the configuration) completes once the target confirms, and the DC stays idle: no new
    scheduler run while nothing changes."""
    dc, request = joined_dc()
    cancel = GraphAction(0, "d", "cancel", "node1", False, False, True, "",
                         interval_ms=30_000, cancels="monitor")
    out = dc.step(3, SchedulerDone(request.cib_version, Transition(
        (Synapse(0, cancel, ()),), (), ())))
    out += loop_back(dc, 3, out)
    for now in range(4, 600_000, 5_000):
        out += dc.step(now, Tick())
    assert dc.run is None and dc.status().transitions == 1
    assert not any(isinstance(o, (RunScheduler, ExecuteOp, CancelOp)) for o in out)


def two_node_dc() -> tuple[Controller, object]:
    dc = Controller(NodeId(1), "node1")
    doc = apply_request(cib_with_nodes(), CIBRequest(
        "replace", f"<resources>{DUMMY_OPS}</resources>", "resources"))[0]
    dc.step(0, Membership((NodeId(1), NodeId(2)), True, 8))
    dc.step(1, CibChanged(doc, True))
    dc.step(2, PeerMessage(NodeId(1), encode(JoinAck("node1", 8))))
    joined = dc.step(3, PeerMessage(NodeId(2), encode(JoinAck("node2", 8))))
    request = next(o for o in joined if isinstance(o, RunScheduler))
    start = GraphAction(0, "d", "start", "node2", False, False, True, "")
    out = dc.step(4, SchedulerDone(request.cib_version, Transition(
        (Synapse(0, start, ()),), (), ())))
    sent = next(decode(o.data) for o in out if isinstance(o, PeerSend))
    assert isinstance(sent, ExecuteRequest)
    history = LocalHistory("node2")
    history.record(result(sent.op, 0), 0)
    with_result = apply_request(doc, CIBRequest(
        "modify", f'<node_state id="2" uname="node2">{history.lrm_xml("2")}</node_state>',
        "status", options=frozenset({"allow-create"}), status_of="2"))[0]
    return dc, with_result


def test_the_dc_rescans_only_the_node_states_a_change_touched() -> None:
    """16 nodes x 1000 resources made a full status scan per CIB change cost ~0.7 s: the
    DC looks only at the node_states the replica says changed."""
    dc, with_result = two_node_dc()
    dc.step(5, CibChanged(with_result, True, frozenset({"1"})))
    assert dc.run is not None  # node2's result is not in a node_state said to change
    dc.step(6, CibChanged(with_result, True, frozenset({"2"})))
    assert dc.run is None


def test_after_a_change_the_dc_did_not_look_at_its_next_look_is_a_full_one() -> None:
    dc, with_result = two_node_dc()
    dc.step(5, Membership((NodeId(1), NodeId(2)), True, 9))  # a new ring: joining again
    dc.step(6, CibChanged(with_result, True, frozenset()))
    dc.step(7, PeerMessage(NodeId(1), encode(JoinAck("node1", 9))))
    assert dc.seen_ops["2"]  # the join looked at everything
    dc2, with_result2 = two_node_dc()
    dc2.ops_stale = True  # e.g. a CibChanged while it was not DC
    dc2.step(5, CibChanged(with_result2, True, frozenset()))
    assert dc2.run is None
