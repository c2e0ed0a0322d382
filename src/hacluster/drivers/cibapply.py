"""Runs the CIB replica's ApplyJobs with one worker thread: ApplyJob in, ApplyDone back.

A write to a large CIB costs the replica seconds of CPU; most of it (the RelaxNG check,
parsing, hashing) runs in C without the interpreter lock, and the Python rest yields it
every switch interval, so on a thread the daemon's loop keeps passing Totem's token.
One thread: jobs come one at a time anyway (the replica waits for each), in order. With
`presave`, the new cib.xml is written there too (durably, before the loop sees the outcome),
as the replica's next output for it would be: the loop's Persist of those bytes is then
free. The daemon gives none: its outcomes come back at once and the replica's Persist goes
to the CIB writer's thread (see DaemonLoop.defer_cib_saves), so neither an acknowledgement
nor the DC's next transition waits for a disk, as with Pacemaker's CIB manager.
A light job (a small copy, ApplyJob.heavy False) is applied on the loop itself, keeping
lxml's trees to one thread; only a presave goes to the worker.
A job that raises is a bug (refusals come back as ApplyDone.error): the daemon stops with it,
as it would had the apply run inside its step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hacluster.node import ApplyDone, ApplyJob, run_apply

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ApplyFailed:
    """An ApplyJob raised: the loop re-raises it (see DaemonLoop.step)."""

    job_id: int
    error: BaseException


class CIBApplier:
    """One worker thread; each outcome goes to `on_done` from the event loop's thread."""

    def __init__(self, on_done: Callable[[ApplyDone | ApplyFailed], None],
                 presave: Callable[[bytes], None] | None = None) -> None:
        self._on_done = on_done
        self._presave = presave
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cib-apply")

    def start(self, job: ApplyJob) -> None:
        loop = asyncio.get_running_loop()
        if job.heavy:
            future = loop.run_in_executor(self._executor, self._run, job)
        elif (done := run_apply(job)).new is not None and done.persisted \
                and self._presave is not None:
            future = loop.run_in_executor(self._executor, self._save, done)
        else:
            loop.call_soon(self._on_done, done)  # nothing to save: back at once
            return
        future.add_done_callback(lambda f: self._finished(job, f))

    def _save(self, done: ApplyDone) -> ApplyDone:
        """On the worker: a light job's cib.xml, saved before the loop sees its outcome."""
        assert self._presave is not None
        self._presave(done.persisted)
        return done

    def _run(self, job: ApplyJob) -> ApplyDone:
        """On the worker: the outcome, and its cib.xml saved when there is a new one (the
        replica persists exactly those bytes next, see CIBWriter.presave)."""
        done = run_apply(job)
        if done.new is not None and done.persisted and self._presave is not None:
            self._presave(done.persisted)
        return done

    def _finished(self, job: ApplyJob, future: asyncio.Future[ApplyDone]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.error("cib apply failed job=%d operation=%s: %r", job.job_id,
                      job.request.operation, error)
            self._on_done(ApplyFailed(job.job_id, error))
            return
        self._on_done(future.result())

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
