"""The IPC vocabulary: every request a tool may send is a frozen dataclass the codec carries,
and a frame that does not decode to one is refused with the codec's reason."""

from __future__ import annotations

import typing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hacluster.common import Code, DecodeError, Problem
from hacluster.events import (
    IPC_CODEC,
    AttrdQuery,
    AttrUpdate,
    CibQuery,
    CibWrite,
    CpgJoinRequest,
    CpgLeaveRequest,
    CpgSendRequest,
    DaemonPing,
    DaemonRequest,
    DaemonShutdown,
    DaemonStatus,
    FenceRequest,
    FencerStatusQuery,
    IpcEvent,
    IpcReply,
    IpcRequest,
    NodeRequest,
    NodeStatusQuery,
    ProcessExited,
    SendRequest,
    Subscribe,
)

EXAMPLES = [
    NodeStatusQuery(), SendRequest(b"\x00raw", safe=True), CpgJoinRequest("g", 7),
    CpgLeaveRequest("g", 7), CpgSendRequest("g", 7, b"data\x00"), ProcessExited(9),
    CibQuery(), CibWrite(b'{"operation":"replace","xml":"<cib/>"}'),
    AttrUpdate("", "pingd", "100", "reboot", 5000), AttrUpdate("node2", "pingd", None),
    AttrdQuery("pingd", all_nodes=True), FenceRequest("node2", "off"), FencerStatusQuery(),
    DaemonPing(), DaemonStatus(), DaemonShutdown(), Subscribe(("CpgDeliver",)),
]


def test_every_request_kind_is_registered_and_has_an_example() -> None:
    kinds = set(typing.get_args(NodeRequest)) | set(typing.get_args(DaemonRequest))
    assert kinds == {type(e) for e in EXAMPLES}
    assert kinds <= set(IPC_CODEC.classes.values())


@pytest.mark.parametrize("request_", EXAMPLES, ids=lambda r: type(r).__name__)
def test_every_request_round_trips_in_its_envelope(request_: object) -> None:
    frame = IPC_CODEC.encode(IpcRequest(42, request_))  # type: ignore[arg-type]
    assert IPC_CODEC.decode(frame, IpcRequest) == IpcRequest(42, request_)  # type: ignore[arg-type]


def test_replies_and_events_carry_problems_and_json_bodies() -> None:
    reply = IpcReply(3, False, {"why": [1, "x"]}, (Problem(Code.IPC_BAD_REQUEST, "bad pid"),))
    assert IPC_CODEC.decode(IPC_CODEC.encode(reply)) == reply
    event = IpcEvent("CpgDeliver", {"group": "g", "data": "x"})
    assert IPC_CODEC.decode(IPC_CODEC.encode(event)) == event


@pytest.mark.parametrize("frame,why", [
    (b'{"@":"ipc.request","id":1,"request":{"@":"cpg.join","group":"g","pid":"7"}}',
     "CpgJoinRequest.pid: expected an integer"),
    (b'{"@":"ipc.request","id":1,"request":{"@":"cpg.join","group":"g"}}',
     "CpgJoinRequest fields ['group'] do not match"),
    (b'{"@":"ipc.request","id":"1","request":{"@":"daemon.ping"}}', "IpcRequest.id"),
    (b'{"@":"ipc.request","id":1,"request":{"@":"no.such"}}', "matches no member"),
    (b'{"@":"ipc.reply","id":1,"ok":true,"body":null,"problems":[]}', "expected"),
    (b'{"id":1,"name":"daemon.ping"}', "tag"),
])
def test_a_request_that_does_not_decode_is_refused_with_a_reason(frame: bytes, why: str) -> None:
    result = IPC_CODEC.check(frame, IpcRequest)
    assert isinstance(result, DecodeError) and why in result.reason


@given(st.binary(max_size=200))
def test_garbage_never_raises(data: bytes) -> None:
    assert IPC_CODEC.decode(data, IpcRequest) is None or isinstance(
        IPC_CODEC.decode(data, IpcRequest), IpcRequest)
