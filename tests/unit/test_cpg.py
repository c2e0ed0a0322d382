"""Closed process groups applied by hand, as node.py feeds them in agreed order."""

from __future__ import annotations

from hacluster.common import NodeId
from hacluster.cpg import Cpg, decode_op
from hacluster.events import CpgConfigChange, CpgDeliver

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
