"""Runs the DC's scheduler in a worker process: events.RunScheduler in, SchedulerDone out.

Owns the worker (one forked process, started and warmed at daemon start so the first
failover pays no process start) and the queue in front of it: one run at a time, and of
the requests that arrive meanwhile only the newest is kept (the core discards results for
a CIB that is no longer current anyway). A big CIB therefore never holds the event loop,
and Totem's token keeps moving. A small one (INLINE_MAX_BYTES: about a millisecond of
scheduling) runs at once in the loop: the worker's round trip (pipes, a thread, another
process to wake) costs more than the run, on the recovery path. Must never make a
decision: the controller does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable

from hacluster import events
from hacluster.node import run_scheduler

log = logging.getLogger(__name__)

INLINE_MAX_BYTES = 8192  # a CIB this small schedules in about 1 ms: no worker round trip


def _warm() -> int:
    return 0


PR_SET_PDEATHSIG = 1  # prctl(2)


def _ignore_signals(daemon_pid: int) -> None:
    """The worker ignores SIGTERM/SIGINT sent to the daemon's process group: the daemon
    decides when it stops (after its resources), and closes the pool then. It must not
    outlive a daemon that was killed outright (SIGKILL closes no pool): the kernel sends
    it SIGKILL when the daemon dies (PR_SET_PDEATHSIG), and a daemon already gone by the
    time the worker got here ends it at once."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    libc_name = ctypes.util.find_library("c")
    if libc_name is not None:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != daemon_pid:
        os._exit(0)


class SchedulerWorker:
    """One worker process for RunScheduler; results come back through `on_done`."""

    def __init__(self, on_done: Callable[[events.SchedulerDone], None],
                 inline_max_bytes: int = INLINE_MAX_BYTES) -> None:
        self._on_done = on_done
        self._inline_max_bytes = inline_max_bytes
        self._pool = self._new_pool()
        self._busy = False
        self._next: events.RunScheduler | None = None

    @staticmethod
    def _new_pool() -> concurrent.futures.ProcessPoolExecutor:
        context = multiprocessing.get_context("fork")
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context,
                                                      initializer=_ignore_signals,
                                                      initargs=(os.getpid(),))
        pool.submit(_warm)  # fork now, while the daemon is small and idle
        return pool

    def start(self, request: events.RunScheduler) -> None:
        if self._busy:
            self._next = request
            return
        if len(request.cib_xml) <= self._inline_max_bytes:
            self._on_done(self._run_inline(request))
            return
        self._busy = True
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self._pool, run_scheduler, request)
        except concurrent.futures.process.BrokenProcessPool:
            log.warning("scheduler worker died: starting a new one")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            future = loop.run_in_executor(self._pool, run_scheduler, request)
        future.add_done_callback(lambda f: self._finished(request, f))

    @staticmethod
    def _run_inline(request: events.RunScheduler) -> events.SchedulerDone:
        try:
            return run_scheduler(request)
        except Exception:  # the worker's failure mode: the cluster stays as it is
            log.exception("scheduler failed cib=%s", request.cib_version)
            return events.SchedulerDone(request.cib_version, None)

    def _finished(self, request: events.RunScheduler, future: asyncio.Future[events.SchedulerDone]
                  ) -> None:
        self._busy = False
        try:
            done = future.result()
        except (concurrent.futures.process.BrokenProcessPool, OSError) as error:
            log.error("scheduler worker failed cib=%s: %s", request.cib_version, error)
            done = events.SchedulerDone(request.cib_version, None)
        except asyncio.CancelledError:
            return
        self._on_done(done)
        if self._next is not None:
            queued, self._next = self._next, None
            self.start(queued)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
