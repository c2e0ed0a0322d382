"""No client can stop the daemon: a failing request handler or an unencodable reply answers
that client with a coded error, and the loop goes on serving the others."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hacluster import events
from hacluster.common import Code, Problem, ipcwire
from hacluster.drivers.ipc import Connection
from hacluster.drivers.loop import DaemonLoop


class BrokenCore:
    """Answers a status query; a CibQuery trips an assertion, as a bug in a core would."""

    def step(self, now_ms: int, event: Any) -> list[Any]:
        if isinstance(event, events.ClientRequest):
            assert not isinstance(event.request, events.CibQuery), "a bug while handling this"
            if isinstance(event.request, events.NodeStatusQuery):
                return [events.Reply(event.request_id, True, events.RingView("", (), "up"))]
            if isinstance(event.request, events.AttrdQuery):  # a bug: an untyped body
                return [events.Reply(event.request_id, True, {"pong": True})]
            return [events.Reply(event.request_id, False, None,
                                 (Problem(Code.IPC_UNKNOWN_REQUEST, "no such request"),))]
        return []

    def next_deadline_ms(self) -> int | None:
        return None

    def status(self) -> Any:
        return None


class RecordingConnection:
    number = 1

    def __init__(self) -> None:
        self.replies: list[tuple[Any, bool, Any, Any]] = []
        self.groups: set[tuple[str, int]] = set()
        self.subscriptions: set[str] = set()

    def reply(self, client_id: Any, ok: bool, body: Any = None, problems: Any = None) -> None:
        self.replies.append((client_id, ok, body, problems))


def run_queued(loop: DaemonLoop) -> None:
    while loop._queue:
        loop.step(loop._queue.popleft())


def test_a_request_that_trips_a_core_assertion_gets_an_error_and_the_loop_goes_on(
        tmp_path: Any) -> None:
    loop = DaemonLoop(BrokenCore(), None, str(tmp_path), dict)  # type: ignore[arg-type]
    client = RecordingConnection()
    loop.on_request(client, 1, events.CibQuery())  # type: ignore[arg-type]
    loop.on_request(client, 2, events.NodeStatusQuery())  # type: ignore[arg-type]
    loop.on_request(client, 3, events.FencerStatusQuery())  # type: ignore[arg-type]
    loop.on_request(client, 4, events.AttrdQuery("x"))  # type: ignore[arg-type]
    run_queued(loop)
    (first, ok1, _, problems1), (second, ok2, body2, _), (third, ok3, _, problems3), \
        (fourth, ok4, body4, problems4) = client.replies
    assert (first, ok1, problems1[0].code) == (1, False, Code.INTERNAL_ERROR)
    assert (second, ok2, body2) == (2, True, events.RingView("", (), "up"))
    assert (third, ok3, problems3[0].code) == (3, False, Code.IPC_UNKNOWN_REQUEST)
    assert (fourth, ok4, body4, problems4[0].code) == (4, False, None, Code.INTERNAL_ERROR)


def test_a_daemon_local_request_that_fails_gets_an_error(tmp_path: Any) -> None:
    def broken_describe() -> events.DaemonIdentity:
        raise RuntimeError("describe failed")

    loop = DaemonLoop(BrokenCore(), None, str(tmp_path), broken_describe)  # type: ignore[arg-type]
    client = RecordingConnection()
    loop.on_request(client, 4, events.DaemonStatus())  # type: ignore[arg-type]
    assert client.replies[0][:2] == (4, False)
    assert client.replies[0][3][0].code is Code.INTERNAL_ERROR


class FakeTransport:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def get_write_buffer_size(self) -> int:
        return 0


class FakeWriter:
    def __init__(self) -> None:
        self.transport = FakeTransport()
        self.data = b""

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass


def replies_written(data: bytes) -> list[events.IpcReply]:
    out, at, assembler = [], 0, ipcwire.MessageAssembler()
    while at < len(data):
        (length,) = ipcwire.FRAME_HEADER.unpack_from(data, at)
        whole = assembler.add(data[at + 4:at + 4 + length])
        at += 4 + length
        if isinstance(whole, bytes):
            message = events.IPC_CODEC.decode(whole, events.IpcReply)
            assert message is not None
            out.append(message)
    return out


def test_a_reply_too_large_to_send_becomes_a_coded_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ipcwire, "FRAME_MAX", 100)
    monkeypatch.setattr(ipcwire, "MAX_IPC_MESSAGE_BYTES", 1000)
    writer = FakeWriter()

    async def answer() -> None:
        connection = Connection(1, writer, 0)  # type: ignore[arg-type]
        connection.reply(5, True, events.CibText("x" * 500))  # split into parts
        connection.reply(6, True, events.CibText("x" * 5000))  # over the limit
        connection.reply(7, True, {"bad": object()})  # not encodable at all
        await asyncio.sleep(0)

    asyncio.run(answer())
    five, six, seven = replies_written(writer.data)
    assert five.ok and five.body == events.CibText("x" * 500)
    assert not six.ok and six.problems[0].code is Code.IPC_MESSAGE_TOO_LARGE
    assert not seven.ok and seven.problems[0].code is Code.INTERNAL_ERROR
