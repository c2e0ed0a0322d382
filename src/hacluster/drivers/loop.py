"""The daemon's single task loop: wait for the earliest of deadline, packet or request; step.

Owns the event queue, the clock (monotonic ms), running the core's outputs in list order
(Send/Multicast to the transport, Reply to the IPC connection, Persist to an atomic file,
cib.xml through CIBStore with its digest and backups,
Log to logging, anything else published to subscribed IPC clients) and the daemon-local
requests (ping, status, subscribe). Must never make a protocol decision: that is the core's.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
import typing
from collections import deque
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring_ascii as _json_string
from types import MappingProxyType
from typing import Any, Protocol

from hacluster import events
from hacluster.common import Code, NodeId, Problem, ipcwire
from hacluster.drivers.cibapply import ApplyFailed, CIBApplier
from hacluster.drivers.cibfile import CIB_NAME, CIBStore, CIBWriter
from hacluster.drivers.ipc import Connection
from hacluster.drivers.stats import stats_map, totem_counters
from hacluster.drivers.udp import UdpStats
from hacluster.node import RING_SEQ_FILE, ApplyJob

log = logging.getLogger(__name__)

LOG_LEVELS: Mapping[str, int] = MappingProxyType({
    "debug": logging.DEBUG, "info": logging.INFO, "notice": logging.INFO,
    "warning": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL})
EVENT_BATCH_MAX = 512
# Packets beyond this many queued inputs are dropped (counted): UDP may lose them anyway and
# Totem retransmits, while an unbounded queue would only turn overload into memory growth.
QUEUE_PACKETS_MAX = 20_000
# A step (with its outputs) longer than this is logged: the loop is Totem's only thread, and
# a step that long holds the token back.
SLOW_STEP_MS = 250


class Core(Protocol):
    """The contract of DESIGN.md §2, as the daemon sees hacluster.node.Node."""

    def step(self, now_ms: int, event: Any) -> list[Any]: ...

    def next_deadline_ms(self) -> int | None: ...

    def status(self) -> Any: ...


class Agents(Protocol):
    def start(self, run: events.RunAgent) -> None: ...


class Scheduler(Protocol):
    def start(self, request: events.RunScheduler) -> None: ...


class Transport(Protocol):
    def send(self, dst: NodeId, data: bytes) -> None: ...

    def multicast(self, data: bytes) -> None: ...

    def stats(self) -> Any: ...


def monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


StatusView = Callable[[Any], events.RingView]


def reply_body(body: Any, status_view: StatusView | None) -> events.ReplyBody | None:
    """A core's Reply body as it crosses the socket: the typed bodies as they are; the core's
    status (NodeStatusQuery's NodeStatus) as the RingView `status_view` makes of it. Any
    other body is a core bug: an AssertionError, which the reply turns into INTERNAL_ERROR."""
    if body is None or isinstance(body, REPLY_BODIES):
        return body
    assert status_view is not None, f"untyped reply body {type(body).__name__}"
    return status_view(body)


REPLY_BODIES = typing.get_args(events.ReplyBody)


CPG_DELIVER_TAG = events.IPC_CODEC.tag_of(events.CpgDeliver)


def encode_event(output: events.PushedEvent) -> bytes:
    """The pushed-event frame of `output`: IPC_CODEC's bytes exactly. CpgDeliver's (sent once
    per CPG message to every subscriber) are written directly: the JSON head with json's C
    string escaper for the group, then NUL and the payload's bytes as they are."""
    if type(output) is events.CpgDeliver and type(output.pid) is int:
        data = output.data
        head = (f'{{"@":"{CPG_DELIVER_TAG}","group":{_json_string(output.group)},'
                f'"node_id":{int(output.node_id)},"pid":{output.pid},'
                f'"data":[0,{len(data)}]}}\x00').encode()
        size = len(head) + len(data)
        if size <= ipcwire.FRAME_MAX:
            return b"".join((ipcwire.FRAME_HEADER.pack(size), head, data))
    return ipcwire.frame(events.IPC_CODEC.encode(output))


class EventFrame:
    """One published output, encoded when the first connection flushes it, then shared:
    the loop's steps (and the token they pass on) never wait for JSON encoding."""

    __slots__ = ("_output", "_frame")

    def __init__(self, output: events.PushedEvent) -> None:
        self._output = output
        self._frame: bytes | None = None

    def __call__(self) -> bytes:
        if self._frame is None:
            self._frame = encode_event(self._output)
        return self._frame


def write_atomically(path: str, data: bytes) -> None:
    """Write-temp, fsync, rename, fsync the directory: readers see old or new, never half."""
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


RECORD_WIDTH = 32  # bytes of an overwritten record (a ring seq has at most 20 digits)


def overwrite_durably(path: str, data: bytes) -> None:
    """Save a small value rewritten often (Totem's ring seq, at every membership change,
    on the commit token's path through each node in turn): one fixed-width record (`data`
    right-aligned in spaces, which readers strip) overwritten in place and fdatasync'd, a
    single data sync where write_atomically costs two syncs and a journal commit. A write of
    a few bytes within one sector is atomic on the device. The first save (or a file of
    another size, or a longer value) goes through write_atomically."""
    record = data.rjust(RECORD_WIDTH)
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        write_atomically(path, record)
        return
    try:
        if len(record) == RECORD_WIDTH and os.fstat(fd).st_size == RECORD_WIDTH:
            os.pwrite(fd, record, 0)
            os.fdatasync(fd)
            return
    finally:
        os.close(fd)
    write_atomically(path, record)


class DaemonLoop:
    """Feeds one core from a queue and executes what it returns, in order."""

    def __init__(self, core: Core, transport: Transport, state_dir: str,
                 describe: Callable[[], events.DaemonIdentity],
                 clock_ms: Callable[[], int] = monotonic_ms,
                 status_view: StatusView | None = None,
                 defer_cib_saves: bool = False) -> None:
        self.core = core
        # True for the daemon: no Persist("cib.xml") is durable before the loop goes on;
        # every version is saved (a configuration one durably, with its backup) on the
        # writer's thread, newest first (see CIBWriter.save), as Pacemaker saves after it
        # acknowledged. A crash of every node within that moment can lose an acknowledged
        # write from the disks (as with Pacemaker); one node's crash loses nothing: the
        # others hold it and the node takes their copy when it joins again.
        self.defer_cib_saves = defer_cib_saves
        self.transport = transport
        self.state_dir = state_dir
        self.clock_ms = clock_ms
        self._describe = describe
        self._status_view = status_view
        self.agents: Agents | None = None  # RunAgent runner; without one they are published
        self.scheduler: Scheduler | None = None  # RunScheduler runner (a worker process)
        self.cib_applier: CIBApplier | None = None  # ApplyJob runner (a worker thread)
        self._cib_writer: CIBWriter | None = None  # one writer: it knows the last durable copy
        self._queue: deque[Any] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._pending: dict[int, tuple[Connection, Any]] = {}
        self._subscribers: dict[int, Connection] = {}
        self._next_request = 1
        self._stopping = False
        self._shutdown_stepped = False  # the core has been told (Shutdown went through step)
        self.steps = 0
        self.packets_dropped = 0
        self.unpublished = 0  # outputs that are neither executed here nor pushed events
        self.started_ms = clock_ms()

    # ------------------------------------------------------------------ inputs

    def put(self, event: Any) -> None:
        """Queue an input (called from transport/IPC/signal callbacks) and wake the loop."""
        self._queue.append(event)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def packet_in(self, data: bytes, src: str) -> None:
        if len(self._queue) >= QUEUE_PACKETS_MAX:
            self.packets_dropped += 1
            return
        self.put(events.PacketIn(data, src))

    def peer_unreachable(self, node_id: NodeId) -> None:
        self.put(events.PeerUnreachable(node_id))

    def shutdown(self) -> None:
        """SIGTERM: step Shutdown (the core sends its leave), then stop the loop."""
        if not self._stopping:
            self._stopping = True
            self.put(events.Shutdown())

    # -------------------------------------------------------------------- loop

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            if self.cib_applier is not None:
                self.cib_applier.close()
            if self._cib_writer is not None:
                self._cib_writer.close()  # the status version still pending, if any

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = 0
            while self._queue and batch < EVENT_BATCH_MAX:
                event = self._queue.popleft()
                self.step(event)
                batch += 1
                if type(event) is events.Shutdown:
                    self._shutdown_stepped = True
                if self._shutdown_stepped and self._has_left():
                    return
            deadline = self.core.next_deadline_ms()
            now = self.clock_ms()
            if deadline is not None and deadline <= now:
                self.step(events.Tick())
                if self._shutdown_stepped and self._has_left():
                    return
                await asyncio.sleep(0)  # a core always due must not starve packets and IPC
                continue
            if self._queue:
                await asyncio.sleep(0)  # let the transport and IPC read between batches
                continue
            await self._wait(loop, None if deadline is None else deadline - now)

    def _has_left(self) -> bool:
        """After Shutdown was stepped: has the core left? A core with resources stops them
        first; one without has_left has left once it was told (the events queued before the
        Shutdown are stepped first, so it always is told)."""
        has_left = getattr(self.core, "has_left", None)
        return True if has_left is None else bool(has_left())

    async def _wait(self, loop: asyncio.AbstractEventLoop, timeout_ms: int | None) -> None:
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiter = waiter
        handle = None
        if timeout_ms is not None:
            handle = loop.call_later(timeout_ms / 1000, _wake, waiter)
        try:
            await waiter
        finally:
            self._waiter = None
            if handle is not None:
                handle.cancel()

    def step(self, event: Any) -> None:
        if type(event) is ApplyFailed:
            raise RuntimeError(f"CIB apply job {event.job_id} failed") from event.error
        started = time.monotonic_ns()
        if type(event) is events.ClientRequest:
            outputs = self._step_request(event)
        else:
            outputs = self.core.step(self.clock_ms(), event)
        stepped = time.monotonic_ns()
        self.steps += 1
        for output in outputs:
            self.execute(output)
        took_ms = (time.monotonic_ns() - started) // 1_000_000
        if took_ms >= SLOW_STEP_MS:
            log.warning("slow step event=%s ms=%d step_ms=%d outputs=%s", _event_name(event),
                        took_ms, (stepped - started) // 1_000_000,
                        sorted({type(o).__name__ for o in outputs}))

    def _step_request(self, request: events.ClientRequest) -> list[Any]:
        """A client's request: if handling it fails (a bug), that client gets an error and
        the daemon goes on. A failure on peer input or time stays fatal: it is the core's
        own state that is then in doubt, and a clean restart is the safe answer."""
        try:
            return self.core.step(self.clock_ms(), request)
        except Exception:  # noqa: BLE001 - no client request may stop the daemon
            name = type(request.request).__name__
            log.exception("client request failed request=%d name=%s", request.request_id, name)
            return [events.Reply(request.request_id, False, None, (Problem(
                Code.INTERNAL_ERROR, f"haclusterd failed to handle {name} (see its log)"),))]

    # ----------------------------------------------------------------- outputs

    def execute(self, output: Any) -> None:
        match output:
            case events.Send(dst=dst, data=data):
                self.transport.send(dst, data)
            case events.Multicast(data=data):
                self.transport.multicast(data)
            case events.Reply():
                self._reply(output)
            case events.Persist(name=name, data=data):
                self._persist(name, data)
            case events.Log(level=level, message=message):
                log.log(LOG_LEVELS.get(level, logging.INFO), "%s", message)
            case events.RunAgent() if self.agents is not None:
                self.agents.start(output)
            case events.RunScheduler() if self.scheduler is not None:
                self.scheduler.start(output)
            case ApplyJob():
                if self.cib_applier is None:
                    # No presave: an applied write is acknowledged (and seen by the DC) as
                    # soon as it is applied; its cib.xml follows on the writer's thread, as
                    # Pacemaker's CIB manager writes to disk after it has answered. Waiting
                    # for five fsyncs held every configuration write (a move, a cleanup)
                    # and the DC's next transition for tens to hundreds of ms.
                    presave = None if self.defer_cib_saves else self._writer().presave
                    self.cib_applier = CIBApplier(self.put, presave)
                self.cib_applier.start(output)
            case _:
                self._publish(output)

    def _persist(self, name: str, data: bytes) -> None:
        assert "/" not in name and not name.startswith("."), f"bad state file name {name!r}"
        started = time.monotonic()
        if name == CIB_NAME:
            if not self._writer().save(data, defer=self.defer_cib_saves):
                return  # written by the writer's thread
        elif name == RING_SEQ_FILE:
            overwrite_durably(os.path.join(self.state_dir, name), data)
        else:
            write_atomically(os.path.join(self.state_dir, name), data)
        log.debug("persisted name=%s bytes=%d ms=%.1f", name, len(data),
                  (time.monotonic() - started) * 1000)

    def _writer(self) -> CIBWriter:
        if self._cib_writer is None:
            self._cib_writer = CIBWriter(CIBStore(self.state_dir))
        return self._cib_writer

    def _reply(self, reply: events.Reply) -> None:
        pending = self._pending.pop(reply.request_id, None)
        if pending is None:
            log.debug("reply for a gone client request=%d", reply.request_id)
            return
        connection, client_id = pending
        problems = tuple(p for p in reply.problems if isinstance(p, Problem))
        if len(problems) != len(reply.problems) or (not reply.ok and not problems):
            # A core bug: every refusal carries its Problems, and only Problems.
            log.error("refusal without proper problems request=%d", reply.request_id)
            problems = (*problems, Problem(Code.INTERNAL_ERROR, "request failed"))
        try:
            body = reply_body(reply.body, self._status_view)
        except AssertionError:  # a core bug: the client still hears back, with a code
            log.exception("untyped reply body request=%d", reply.request_id)
            connection.reply(client_id, False, None, (
                Problem(Code.INTERNAL_ERROR, "haclusterd could not send its answer"),))
            return
        connection.reply(client_id, reply.ok, body, problems)

    def _publish(self, output: Any) -> None:
        """A pushed event to the connections subscribed to its class; any other output is
        one no runner executes here (e.g. RunAgent without agents): logged, never sent."""
        if type(output) not in events.PUSHED_EVENTS:
            self.unpublished += 1
            log.debug("output not executed and not published: %s", type(output).__name__)
            return
        kind = type(output).__name__
        frame = EventFrame(output)
        for connection in list(self._subscribers.values()):
            if kind in connection.subscriptions or "*" in connection.subscriptions:
                connection.write_frame(frame)

    # -------------------------------------------------------------- requests

    def on_request(self, connection: Connection, client_id: int,
                   request: events.NodeRequest | events.DaemonRequest) -> None:
        try:
            self._on_request(connection, client_id, request)
        except Exception:  # noqa: BLE001 - no client request may stop the daemon
            name = type(request).__name__
            log.exception("client request failed request=%s", name)
            connection.reply(client_id, False, problems=(Problem(
                Code.INTERNAL_ERROR, f"haclusterd failed to handle {name} (see its log)"),))

    def _on_request(self, connection: Connection, client_id: int,
                    request: events.NodeRequest | events.DaemonRequest) -> None:
        match request:
            case events.DaemonPing():
                connection.reply(client_id, True, events.DaemonPid(os.getpid()))
            case events.DaemonStatus():
                connection.reply(client_id, True, self.describe())
            case events.DaemonShutdown():
                connection.reply(client_id, True, events.DaemonPid(os.getpid()))
                self.shutdown()
            case events.Subscribe(wanted):
                connection.subscriptions.update(wanted)
                self._subscribers[connection.number] = connection
                connection.reply(client_id, True,
                                 events.Subscribed(tuple(sorted(connection.subscriptions))))
            case _:
                self._forward(connection, client_id, request)

    def _forward(self, connection: Connection, client_id: int,
                 request: events.NodeRequest) -> None:
        """A request for the Node, which answers it with a Reply."""
        if isinstance(request, events.CpgJoinRequest):
            connection.groups.add((request.group, request.pid))
        elif isinstance(request, events.CpgLeaveRequest):
            connection.groups.discard((request.group, request.pid))
        request_id = self._next_request
        self._next_request += 1
        self._pending[request_id] = (connection, client_id)
        self.put(events.ClientRequest(request_id, request))

    def on_close(self, connection: Connection) -> None:
        """A client went away: its CPG processes leave their groups (procdown semantics)."""
        self._subscribers.pop(connection.number, None)
        for group, pid in sorted(connection.groups):
            if not self._stopping:
                self.put(events.CpgLeaveRequest(group, pid))
        gone = [rid for rid, (c, _) in self._pending.items() if c is connection]
        for request_id in gone:
            del self._pending[request_id]

    def describe(self) -> events.DaemonReport:
        """Everything the tools show: settings, the node's view, counters."""
        status = self.core.status()
        transport_stats = self.transport.stats()
        udp = transport_stats if isinstance(transport_stats, UdpStats) else None
        return events.DaemonReport(
            identity=self._describe(),
            view=None if self._status_view is None else self._status_view(status),
            stats=stats_map(udp, totem_counters(status), self.packets_dropped),
            transport_stats=counters_of(transport_stats),
            uptime_ms=self.clock_ms() - self.started_ms, steps=self.steps,
            packets_dropped_overload=self.packets_dropped, pid=os.getpid())


def counters_of(stats: Any) -> dict[str, int]:
    """The integer fields of a transport's stats dataclass (UdpStats), by name."""
    if not dataclasses.is_dataclass(stats) or isinstance(stats, type):
        return {}
    return {f.name: value for f in dataclasses.fields(stats)
            if type(value := getattr(stats, f.name)) is int}


def _event_name(event: Any) -> str:
    if type(event) is events.ClientRequest:
        return f"ClientRequest({type(event.request).__name__})"
    return type(event).__name__


def _wake(waiter: asyncio.Future[None]) -> None:
    with contextlib.suppress(asyncio.InvalidStateError):
        waiter.set_result(None)
