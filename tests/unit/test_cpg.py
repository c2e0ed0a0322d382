"""Closed process groups applied by hand, as node.py feeds them in agreed order."""

from __future__ import annotations

from hacluster.common import NodeId
from hacluster.cpg import Cpg, CpgOp, CpgSync, Delivered, OpKind, Propose, decode_op
from hacluster.events import (
    ConfigChange,
    CpgConfigChange,
    CpgDeliver,
    CpgJoinRequest,
    CpgLeaveRequest,
    CpgSendRequest,
    ProcessExited,
    RingId,
)

A, B = NodeId(1), NodeId(2)


def test_join_message_and_leave_are_reported_to_local_members() -> None:
    cpg = Cpg(A)
    out = cpg.deliver(A, cpg.join_payload("g", 10))
    assert out == [CpgConfigChange("g", ((A, 10),), ((A, 10, "join"),), ())]
    other = Cpg(B)
    out = cpg.deliver(B, other.join_payload("g", 20))
    assert out[0].members == ((A, 10), (B, 20))
    assert cpg.deliver(B, other.message_payload("g", 20, b"x")) == [CpgDeliver("g", B, 20, b"x")]
    out = cpg.deliver(B, other.leave_payload("g", 20))
    assert out == [CpgConfigChange("g", ((A, 10),), (), ((B, 20, "leave"),))]


def test_groups_without_local_members_stay_silent_but_are_tracked() -> None:
    cpg = Cpg(A)
    other = Cpg(B)
    assert cpg.deliver(B, other.join_payload("g", 20)) == []
    assert cpg.deliver(B, other.message_payload("g", 20, b"x")) == []
    out = cpg.deliver(A, cpg.join_payload("g", 10))
    assert out[0].members == ((A, 10), (B, 20))


def test_node_down_removes_its_members_and_sync_brings_them_back() -> None:
    cpg = Cpg(A)
    other = Cpg(B)
    cpg.deliver(A, cpg.join_payload("g", 10))
    cpg.deliver(B, other.join_payload("g", 20))
    other.deliver(B, other.join_payload("g", 20))
    out, _sync = cpg.configuration([A])
    assert out == [CpgConfigChange("g", ((A, 10),), (), ((B, 20, "nodedown"),))]
    _, their_sync = other.configuration([A, B])
    out = cpg.deliver(B, their_sync)
    assert out[0].joined == ((B, 20, "join"),)


def test_garbage_payloads_are_dropped_and_counted() -> None:
    cpg = Cpg(A)
    for junk in (b"", b"\x01", b"\x09\x00\x00", b"\x01\x00\x00\x05ab", b"\x04\x00\x00\x00\x05"):
        assert cpg.deliver(B, junk) == []
    assert cpg.status().dropped == 5
    assert decode_op(b"\x03\x09\x00\x01g\x00\x00\x00\x01") is None


def test_a_restarted_node_loses_its_old_processes() -> None:
    cpg = Cpg(A)
    other = Cpg(B)
    cpg.deliver(A, cpg.join_payload("g", 10))
    cpg.deliver(B, other.join_payload("g", 20))
    out, _ = cpg.configuration([A, B], left=[B])  # B left and came back in one change
    assert out == [CpgConfigChange("g", ((A, 10),), (), ((B, 20, "nodedown"),))]


def test_step_turns_local_requests_into_proposals_and_deliveries_into_views() -> None:
    cpg = Cpg(A)
    [join] = cpg.step(0, CpgJoinRequest("g", 10))
    assert join == Propose(cpg.join_payload("g", 10))
    assert cpg.step(1, Delivered(A, join.payload)) == [
        CpgConfigChange("g", ((A, 10),), ((A, 10, "join"),), ())]
    [send] = cpg.step(2, CpgSendRequest("g", 10, b"x", safe=True))
    assert send.safe and cpg.step(3, Delivered(A, send.payload)) == [CpgDeliver("g", A, 10, b"x")]
    assert cpg.step(4, CpgLeaveRequest("g", 10)) == [Propose(cpg.leave_payload("g", 10))]
    assert cpg.next_deadline_ms() is None


def test_a_process_exit_leaves_each_of_its_groups_with_procdown() -> None:
    cpg = Cpg(A)
    for group in ("b", "a"):
        cpg.step(0, Delivered(A, cpg.join_payload(group, 10)))
    cpg.step(0, Delivered(A, cpg.join_payload("a", 11)))
    out = cpg.step(1, ProcessExited(10))
    assert out == [Propose(cpg.leave_payload("a", 10, "procdown")),
                   Propose(cpg.leave_payload("b", 10, "procdown"))]


def test_a_regular_configuration_ends_with_the_sync_proposal() -> None:
    cpg = Cpg(A)
    cpg.step(0, Delivered(A, cpg.join_payload("g", 10)))
    cpg.step(0, Delivered(B, Cpg(B).join_payload("g", 20)))
    change = ConfigChange("regular", RingId(A, 8), (A,), (), (B,))
    out = cpg.step(5, change)
    assert out[0] == CpgConfigChange("g", ((A, 10),), (), ((B, 20, "nodedown"),))
    assert isinstance(out[-1], Propose) and decode_op(out[-1].payload) == CpgSync((("g", 10),))
    assert cpg.step(6, ConfigChange("transitional", RingId(A, 8), (A,))) == []


def test_wire_ops_decode_to_frozen_values() -> None:
    cpg = Cpg(A)
    assert decode_op(cpg.message_payload("g", 7, b"hi")) == CpgOp(OpKind.MESSAGE, "g", 7, b"hi")
    assert decode_op(cpg.leave_payload("g", 7, "procdown")) == CpgOp(
        OpKind.LEAVE, "g", 7, b"", "procdown")
