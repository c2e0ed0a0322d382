"""The IPC vocabulary: every request a tool may send is a frozen dataclass the codec carries,
and a frame that does not decode to one is refused with the codec's reason."""

from __future__ import annotations

import json
import typing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hacluster.common import Code, DecodeError, NodeId, Problem
from hacluster.events import (
    IPC_CODEC,
    PUSHED_EVENTS,
    AttrdQuery,
    AttrdRefresh,
    AttrUpdate,
    AttrValue,
    AttrValues,
    CibQuery,
    CibText,
    CibWrite,
    CibWritten,
    CmapEntry,
    ConfigChange,
    CpgConfigChange,
    CpgDeliver,
    CpgJoinRequest,
    CpgLeaveRequest,
    CpgSendRequest,
    DaemonIdentity,
    DaemonPid,
    DaemonPing,
    DaemonReport,
    DaemonRequest,
    DaemonShutdown,
    DaemonStatus,
    Deliver,
    FenceEvent,
    FenceOutcome,
    FenceRequest,
    FencerReport,
    FencerStatusQuery,
    IpcReply,
    IpcRequest,
    NodeRequest,
    NodeStatusQuery,
    ProcessExited,
    PushedEvent,
    QuorumNotice,
    ReplyBody,
    RingId,
    RingView,
    SendRequest,
    Subscribe,
    Subscribed,
)

EXAMPLES = [
    NodeStatusQuery(), SendRequest(b"\x00raw", safe=True), CpgJoinRequest("g", 7),
    CpgLeaveRequest("g", 7), CpgSendRequest("g", 7, b"data\x00"), ProcessExited(9),
    CibQuery(), CibWrite(b'{"operation":"replace","xml":"<cib/>"}'),
    AttrUpdate("", "pingd", "100", "reboot", 5000), AttrUpdate("node2", "pingd", None),
    AttrUpdate("", "x", "1", private=True), AttrdRefresh(),
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


REPLIES = [
    CibText("<cib/>"), CibWritten("0.5.2"), DaemonPid(41), Subscribed(("CpgDeliver", "*")),
    AttrValues("node1", (AttrValue("node2", "pingd", "100", "reboot"),)),
    FencerReport(("f",), 9000, (FenceEvent("node2", "off", True, "node1", "node3", "f", 8000),)),
    FenceOutcome(False, "", "no device can fence node2"),
    RingView("1.5", (1, 2), "OPERATIONAL", True, 3, 3, 2, 2, ("Quorate",), {1: 1, 2: 1},
             "0.5.2", "abc", False),
    DaemonReport(DaemonIdentity(1, "127.0.0.1", 5405, "lab", 1000, (1, 2), {1: "127.0.0.1"},
                                {1: "node-1"}, True, "aes256", "sha256", "/etc/c.conf",
                                (CmapEntry("totem.token", "u32", 1000),
                                 CmapEntry("totem.crypto_cipher", "str", "aes256"),
                                 CmapEntry("quorum.two_node", "flag", True),
                                 CmapEntry("x", "str", None))),
                 None, {"stats.srp.udp.sent": 3}, {"sent": 3}, 10, 2, 0, 41),
]


def test_every_reply_body_kind_is_registered_and_has_an_example() -> None:
    kinds = set(typing.get_args(ReplyBody))
    assert kinds == {type(r) for r in REPLIES}
    assert kinds <= set(IPC_CODEC.classes.values())


@pytest.mark.parametrize("body", [None, *REPLIES], ids=lambda b: type(b).__name__)
def test_every_reply_body_round_trips_in_its_envelope(body: object) -> None:
    reply = IpcReply(3, True, body)  # type: ignore[arg-type]
    assert IPC_CODEC.decode(IPC_CODEC.encode(reply), IpcReply) == reply


def test_a_refusal_carries_its_problems_and_no_body() -> None:
    reply = IpcReply(3, False, None, (Problem(Code.IPC_BAD_REQUEST, "bad pid"),))
    assert IPC_CODEC.decode(IPC_CODEC.encode(reply)) == reply


@pytest.mark.parametrize("frame,why", [
    (b'{"@":"ipc.reply","id":1,"ok":true,"body":{"xml":"<cib/>"},"problems":[]}',
     "matches no member"),  # an untagged JSON body is no longer a reply
    (b'{"@":"ipc.reply","id":1,"ok":true,"body":{"@":"cib.text","xml":7},"problems":[]}',
     "CibText.xml: expected a string"),
    (b'{"@":"ipc.reply","id":1,"ok":true,"body":{"@":"daemon.pid"},"problems":[]}',
     "DaemonPid fields [] do not match"),
    (b'{"@":"ipc.reply","id":1,"ok":true,"body":{"@":"cib.query"},"problems":[]}',
     "matches no member"),  # a request class is not a reply body
])
def test_a_reply_that_does_not_decode_is_refused_with_a_reason(frame: bytes, why: str) -> None:
    result = IPC_CODEC.check(frame, IpcReply)
    assert isinstance(result, DecodeError) and why in result.reason, result


_text = st.text(max_size=20)
_json = st.recursive(st.none() | st.booleans() | st.integers() | _text,
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_text, inner, max_size=3), max_leaves=10)
_bodies = st.one_of(
    st.none(), st.builds(CibText, _text), st.builds(CibWritten, _text),
    st.builds(DaemonPid, st.integers(0, 2**31)),
    st.builds(Subscribed, st.lists(_text, max_size=3).map(tuple)),
    st.builds(AttrValues, _text, st.lists(st.builds(AttrValue, _text, _text, _text, _text),
                                          max_size=3).map(tuple)),
    st.builds(FencerReport, st.lists(_text, max_size=2).map(tuple), st.integers(),
              st.lists(st.builds(FenceEvent, _text, _text, st.booleans(), _text, _text, _text,
                                 st.integers(), _text), max_size=2).map(tuple)),
    st.builds(FenceOutcome, st.booleans(), _text, _text),
    st.builds(RingView, _text, st.lists(st.integers(0, 2**32), max_size=3).map(tuple), _text,
              st.booleans(), st.integers(0, 9), st.integers(0, 9), st.integers(0, 9),
              st.integers(0, 9), st.lists(_text, max_size=2).map(tuple),
              st.dictionaries(st.integers(0, 9), st.integers(0, 9), max_size=3), _text, _text,
              st.none() | st.booleans()))


@given(st.integers(0, 2**40) | st.none(), st.booleans(), _bodies)
def test_any_reply_round_trips(request_id: int | None, ok: bool, body: object) -> None:
    reply = IpcReply(request_id, ok, body)  # type: ignore[arg-type]
    assert IPC_CODEC.decode(IPC_CODEC.encode(reply), IpcReply) == reply


@given(st.binary(max_size=200) | _json.map(lambda v: json.dumps(
    {"@": "ipc.reply", "id": 1, "ok": True, "body": v, "problems": []}).encode()))
def test_reply_garbage_never_raises(data: bytes) -> None:
    result = IPC_CODEC.check(data, (IpcReply, *PUSHED_EVENTS))
    assert isinstance(result, DecodeError | IpcReply | PushedEvent)


_nodes = st.integers(1, 2**32 - 1).map(NodeId)
_node_tuple = st.lists(_nodes, max_size=4).map(tuple)
_ring = st.builds(RingId, _nodes, st.integers(0, 2**63))
_pushed = st.one_of(
    st.builds(Deliver, _ring, st.integers(0, 2**31), st.integers(0, 99), _nodes,
              st.binary(max_size=100), st.booleans()),
    st.builds(ConfigChange, st.sampled_from(["transitional", "regular"]), _ring, _node_tuple,
              _node_tuple, _node_tuple),
    st.builds(CpgDeliver, _text, _nodes, st.integers(0, 2**31), st.binary(max_size=100)),
    st.builds(CpgConfigChange, _text,
              st.lists(st.tuples(_nodes, st.integers(0, 2**31)), max_size=3).map(tuple),
              st.lists(st.tuples(_nodes, st.integers(0, 2**31), st.sampled_from(
                  ["join", "leave", "nodedown", "procdown"])), max_size=3).map(tuple)),
    st.builds(QuorumNotice, st.booleans(), _ring, _node_tuple, st.integers(0, 99),
              st.integers(0, 99)))


def test_every_pushed_event_kind_is_registered() -> None:
    assert set(PUSHED_EVENTS) == set(typing.get_args(PushedEvent))
    assert set(PUSHED_EVENTS) <= set(IPC_CODEC.classes.values())


@given(_pushed)
def test_any_pushed_event_round_trips_byte_exact(event: PushedEvent) -> None:
    assert IPC_CODEC.decode(IPC_CODEC.encode(event), PUSHED_EVENTS) == event


@given(_pushed, st.integers(0, 400), st.binary(max_size=8))
def test_a_damaged_pushed_event_never_raises(event: PushedEvent, cut: int, junk: bytes) -> None:
    data = IPC_CODEC.encode(event)
    for damaged in (data[:cut], data[:cut] + junk + data[cut:], junk + data):
        result = IPC_CODEC.check(damaged, (IpcReply, *PUSHED_EVENTS))
        assert isinstance(result, DecodeError | IpcReply | PushedEvent)


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


def test_a_cib_write_carries_its_request_in_the_codec_and_garbage_is_cib_diff_invalid() -> None:
    from hacluster.cib import CIBRequest, request_from_bytes
    from hacluster.common import HaError

    request = CIBRequest("modify", "<nodes/>", "nodes", None, frozenset({"allow-create"}),
                         (("update-client", "cibadmin"),), None)
    assert request_from_bytes(request.to_bytes()) == request
    for garbage in (b"", b"\xff", b'{"@":"cib.request"}', b'{"operation":"modify"}',
                    CIBRequest("drop", "").to_bytes(),
                    CIBRequest("modify", "", stamp=(("epoch", "9"),)).to_bytes()):
        with pytest.raises(HaError) as failure:
            request_from_bytes(garbage)
        assert failure.value.problems[0].code is Code.CIB_DIFF_INVALID, garbage
