"""Runs the DC's scheduler in a worker process: events.RunScheduler in, SchedulerDone out.

Owns the worker (one forked process, started at daemon start so the first failover pays no
process start), the socket pair to it (length-prefixed frames of the controller's
WORKER_CODEC: no pickle crosses it) and the queue in front of it: one run at a time, and of
the requests that arrive meanwhile only the newest is kept (the core discards results for a
CIB that is no longer current anyway). A big CIB therefore never holds the event loop, and
Totem's token keeps moving. A small one (INLINE_MAX_BYTES: about a millisecond of
scheduling) runs at once in the loop: the worker's round trip costs more than the run, on
the recovery path. The DC's request holds its parsed CIB: it is serialized on a thread
(lxml does it without the interpreter lock), never on the loop, and the DC's view of it is
laid over in the worker. A worker that dies is replaced; its run ends as a SchedulerDone
without a transition (the cluster stays as it is). Must never make a decision: the
controller does.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import itertools
import logging
import os
import signal
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

from hacluster import events
from hacluster.node import done_of, encode_run, run_encoded, run_scheduler, serialized

log = logging.getLogger(__name__)

INLINE_MAX_BYTES = 8192  # a CIB this small schedules in about 1 ms: no worker round trip
INLINE_MAX_ELEMENTS = 150  # about INLINE_MAX_BYTES of a parsed CIB, counted without a walk
FRAME = struct.Struct("!Q")
PR_SET_PDEATHSIG = 1  # prctl(2)


def _become_worker(daemon_pid: int) -> None:
    """The worker ignores SIGTERM/SIGINT sent to the daemon's process group: the daemon
    decides when it stops (after its resources), and closes the socket then. It must not
    outlive a daemon that was killed outright (SIGKILL closes nothing): the kernel sends it
    SIGKILL when the daemon dies (PR_SET_PDEATHSIG), and a daemon already gone by the time
    the worker got here ends it at once."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    libc_name = ctypes.util.find_library("c")
    if libc_name is not None:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != daemon_pid:
        os._exit(0)


def _read_exact(sock: socket.socket, size: int) -> bytes:
    """`size` bytes, or fewer when the other end closed."""
    parts, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def read_frame(sock: socket.socket) -> bytes | None:
    """One frame's payload, or None at end of stream."""
    header = _read_exact(sock, FRAME.size)
    if len(header) < FRAME.size:
        return None
    (size,) = FRAME.unpack(header)
    payload = _read_exact(sock, size)
    return payload if len(payload) == size else None


def write_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(FRAME.pack(len(payload)) + payload)


def _serve(sock: socket.socket) -> None:
    """The worker's loop: one encoded RunScheduler in, one encoded WorkerDone out."""
    while (payload := read_frame(sock)) is not None:
        write_frame(sock, run_encoded(payload))


def is_small(root: Any, max_elements: int) -> bool:
    """At most `max_elements` elements (counts no further: a large tree costs no walk)."""
    return sum(1 for _ in itertools.islice(root.iter(), max_elements + 1)) <= max_elements


class WorkerGone(Exception):  # noqa: N818 - a state, not a failure of ours
    """The worker process closed its end (it died)."""


class WorkerProcess:
    """One forked worker and the daemon's end of the socket pair to it."""

    def __init__(self) -> None:
        daemon_pid = os.getpid()
        ours, theirs = socket.socketpair()
        self.pid = os.fork()  # now, while the daemon is small and idle
        if self.pid == 0:  # the worker
            status = 0
            try:
                ours.close()
                _become_worker(daemon_pid)
                _serve(theirs)
            except BaseException:  # noqa: BLE001 - a worker never returns into the daemon
                status = 1
            finally:
                os._exit(status)
        theirs.close()
        self.sock = ours

    def round_trip(self, payload: bytes) -> bytes:
        """Blocking: send one request and wait for its answer (run in a thread)."""
        try:
            write_frame(self.sock, payload)
            answer = read_frame(self.sock)
        except OSError as error:
            raise WorkerGone(str(error)) from None
        if answer is None:
            raise WorkerGone("the worker closed its end")
        return answer

    def close(self) -> None:
        """Closing our end ends the worker's loop; a worker still busy after a moment (a
        long run) is killed. Either way it is reaped."""
        self.sock.close()
        with contextlib.suppress(ChildProcessError):
            for _ in range(50):
                if os.waitpid(self.pid, os.WNOHANG) != (0, 0):
                    return
                time.sleep(0.01)
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


class SchedulerWorker:
    """One worker process for RunScheduler; results come back through `on_done`."""

    def __init__(self, on_done: Callable[[events.SchedulerDone], None],
                 inline_max_bytes: int = INLINE_MAX_BYTES) -> None:
        self._on_done = on_done
        self._inline_max_bytes = inline_max_bytes
        self._inline_max_elements = INLINE_MAX_ELEMENTS if inline_max_bytes else 0
        self._worker = WorkerProcess()
        self._busy = False
        self._next: events.RunScheduler | None = None

    @property
    def pids(self) -> list[int]:
        """The worker's pid (for tests and the daemon's status)."""
        return [self._worker.pid]

    def start(self, request: events.RunScheduler) -> None:
        if self._busy:
            self._next = request
            return
        self._busy = True
        if request.cib is None:
            self._dispatch(request)
            return
        if is_small(request.cib.root, self._inline_max_elements):
            # at once, on a copy of the tree: a thread hop costs more than the whole run
            self._complete(self._run_inline(request))
            return
        future = asyncio.get_running_loop().run_in_executor(None, serialized, request)
        future.add_done_callback(lambda f: self._serialized(request, f))

    def _serialized(self, request: events.RunScheduler,
                    future: asyncio.Future[events.RunScheduler]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            self._dispatch(future.result())
            return
        log.error("scheduler input failed cib=%s: %r", request.cib_version, error)
        self._complete(events.SchedulerDone(request.cib_version, None))

    def _dispatch(self, request: events.RunScheduler) -> None:
        """A request with its bytes: a small CIB at once in the loop, else the worker."""
        if len(request.cib_xml) <= self._inline_max_bytes:
            self._complete(self._run_inline(request))
            return
        loop = asyncio.get_running_loop()
        worker = self._worker
        # encoded on the thread too: a 10 MB frame is copied a few times on its way
        future = loop.run_in_executor(None, lambda: worker.round_trip(encode_run(request)))
        future.add_done_callback(lambda f: self._finished(request, worker, f))

    @staticmethod
    def _run_inline(request: events.RunScheduler) -> events.SchedulerDone:
        try:
            return run_scheduler(request)
        except Exception:  # the worker's failure mode: the cluster stays as it is
            log.exception("scheduler failed cib=%s", request.cib_version)
            return events.SchedulerDone(request.cib_version, None)

    def _finished(self, request: events.RunScheduler, worker: WorkerProcess,
                  future: asyncio.Future[bytes]) -> None:
        if future.cancelled():
            self._busy = False
            return
        error = future.exception()
        done = None if error is not None else done_of(future.result())
        if done is None:
            log.error("scheduler worker failed cib=%s: %s", request.cib_version,
                      error or "undecodable answer")
            done = events.SchedulerDone(request.cib_version, None)
            if worker is self._worker:
                log.warning("scheduler worker replaced")
                worker.close()
                self._worker = WorkerProcess()
        self._complete(done)

    def _complete(self, done: events.SchedulerDone) -> None:
        """One run over: its answer to the core, then the newest request that waited."""
        self._busy = False
        self._on_done(done)
        if self._next is not None:
            queued, self._next = self._next, None
            self.start(queued)

    def close(self) -> None:
        self._worker.close()
