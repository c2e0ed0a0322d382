"""The DC's scheduler worker process never outlives a daemon that was killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

DAEMON_STANDIN = """
import sys, time
from hacluster.drivers.scheduler import SchedulerWorker
worker = SchedulerWorker(lambda done: None)
time.sleep(0.5)
print(*worker.pids, flush=True)
time.sleep(60)
"""


def _is_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_a_sigkilled_daemon_takes_its_scheduler_worker_with_it() -> None:
    daemon = subprocess.Popen([sys.executable, "-c", DAEMON_STANDIN], stdout=subprocess.PIPE,
                              text=True)
    assert daemon.stdout is not None
    worker_pids = [int(pid) for pid in daemon.stdout.readline().split()]
    assert worker_pids, "the worker is forked when the daemon starts"
    try:
        os.kill(daemon.pid, signal.SIGKILL)
        daemon.wait(5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(map(_is_gone, worker_pids)):
            time.sleep(0.05)
        assert all(map(_is_gone, worker_pids)), f"worker {worker_pids} outlived its daemon"
    finally:
        for pid in worker_pids:
            if not _is_gone(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_small_cib_is_scheduled_at_once_and_a_big_one_in_the_worker() -> None:
    """A tiny CIB costs less to schedule than the worker's round trip: it is answered inside
    start(); a big one is answered later, from the worker process."""
    import asyncio

    from hacluster.cib import empty_cib, serialize
    from hacluster.drivers.scheduler import INLINE_MAX_BYTES, SchedulerWorker
    from hacluster.events import RunScheduler, SchedulerDone

    small = serialize(empty_cib().root, False)
    big = small.replace(b"<resources/>", b"<resources/>" + b"<!-- padding -->" * 1000)
    assert len(small) <= INLINE_MAX_BYTES < len(big)

    async def scenario() -> tuple[list[SchedulerDone], list[SchedulerDone]]:
        done: list[SchedulerDone] = []
        worker = SchedulerWorker(done.append)
        try:
            worker.start(RunScheduler((0, 1, 1), small, 1_700_000_000))
            at_once = list(done)
            worker.start(RunScheduler((0, 1, 2), big, 1_700_000_000))
            assert len(done) == 1, "the big CIB went to the worker"
            for _ in range(500):
                if len(done) == 2:
                    break
                await asyncio.sleep(0.01)
            return at_once, done
        finally:
            worker.close()

    at_once, done = asyncio.run(scenario())
    assert [d.cib_version for d in at_once] == [(0, 1, 1)]
    assert [d.cib_version for d in done] == [(0, 1, 1), (0, 1, 2)]
    assert all(d.transition is not None for d in done)


def test_the_worker_answers_through_the_codec_with_the_same_graph_as_a_run_in_place() -> None:
    """What crosses to and from the worker is WORKER_CODEC frames (no pickle): the graph and
    summary that come back are those of the same run in this process."""
    from hacluster.controller import WORKER_CODEC, done_of, encode_run, run_encoded, run_scheduler
    from hacluster.events import RunScheduler

    cib = (REPO / "src/hacluster/demo/data/eayunstack-cib.xml").read_bytes()
    request = RunScheduler((0, 5, 1), cib, 1_700_000_000)
    encoded = encode_run(request)
    assert WORKER_CODEC.decode(encoded) == request
    answer = done_of(run_encoded(encoded))
    here = run_scheduler(request)
    assert answer is not None and here.transition is not None and answer.transition is not None
    assert answer.transition.synapses == here.transition.synapses
    assert answer.transition.summary == here.transition.summary
    assert done_of(b"garbage") is None
    failed = done_of(run_encoded(encode_run(RunScheduler((0, 5, 2), b"<not-a-cib", 0))))
    assert failed is not None and failed.cib_version == (0, 5, 2) and failed.transition is None


def test_a_worker_that_dies_is_replaced_and_its_run_ends_without_a_transition() -> None:
    import asyncio

    from hacluster.drivers.scheduler import SchedulerWorker
    from hacluster.events import RunScheduler, SchedulerDone

    cib = (REPO / "src/hacluster/demo/data/eayunstack-cib.xml").read_bytes()

    async def scenario() -> tuple[list[SchedulerDone], int, int]:
        done: list[SchedulerDone] = []
        worker = SchedulerWorker(done.append, inline_max_bytes=0)
        first = worker.pids[0]
        try:
            os.kill(first, signal.SIGKILL)
            worker.start(RunScheduler((0, 1, 1), cib, 1_700_000_000))
            for _ in range(1000):
                if done:
                    break
                await asyncio.sleep(0.01)
            worker.start(RunScheduler((0, 1, 2), cib, 1_700_000_000))
            for _ in range(1000):
                if len(done) == 2:
                    break
                await asyncio.sleep(0.01)
            return done, first, worker.pids[0]
        finally:
            worker.close()

    done, first, second = asyncio.run(scenario())
    assert first != second, "a new worker took the dead one's place"
    assert [(d.cib_version, d.transition is None) for d in done] == [
        ((0, 1, 1), True), ((0, 1, 2), False)]


def _eayunstack_request() -> object:
    """The DC's shape of request: the parsed CIB (no bytes) with a view laid over it that
    changes the plan (quorum lost, node-2 gone, a fail count about to land on node-1)."""
    from hacluster.cib import parse_cib
    from hacluster.events import RunScheduler, SchedulingView

    doc = parse_cib((REPO / "src/hacluster/demo/data/eayunstack-cib.xml").read_bytes())
    view = SchedulingView(False, (1, 3), ("3",), predicted=(
        ("1", "fail-count-vip__public#monitor_3000", "INFINITY"),))
    return RunScheduler(tuple(doc.version), b"", 1_700_000_000, doc, view)


def test_the_dc_view_is_laid_over_the_same_way_in_the_worker_and_in_place() -> None:
    """The DC's request holds its CIB unserialized (the daemon serializes it on a thread);
    the worker lays the view over the parsed bytes, the inline run over a copy: one graph."""
    from hacluster.cib import serialize
    from hacluster.controller import (
        done_of,
        encode_run,
        run_encoded,
        run_scheduler,
        scheduling_root,
        serialized,
    )
    from hacluster.events import RunScheduler

    request = _eayunstack_request()
    assert isinstance(request, RunScheduler) and request.cib is not None
    before = serialize(request.cib.root, False)
    root = scheduling_root(request)
    assert root.get("have-quorum") == "0"
    assert serialize(request.cib.root, False) == before, "the DC's own tree is never changed"
    bare = serialized(request)
    assert bare.cib is None and bare.cib_xml == before and bare.view == request.view
    here = run_scheduler(request)
    there = done_of(run_encoded(encode_run(request)))
    plain = run_scheduler(RunScheduler(request.cib_version, before, request.now_s))
    assert here.transition is not None and there is not None and there.transition is not None
    assert there.transition.synapses == here.transition.synapses
    assert plain.transition is not None
    assert plain.transition.summary != here.transition.summary, "the view changes the plan"


def test_the_daemon_runner_serializes_the_dc_cib_off_its_loop() -> None:
    """start() returns at once with a DC request, small or big: the CIB is serialized on a
    thread, then scheduled (in place when small, in the worker when big)."""
    import asyncio

    from hacluster.controller import run_scheduler
    from hacluster.drivers.scheduler import SchedulerWorker
    from hacluster.events import SchedulerDone

    request = _eayunstack_request()

    async def scenario() -> list[SchedulerDone]:
        done: list[SchedulerDone] = []
        worker = SchedulerWorker(done.append)
        try:
            worker.start(request)  # type: ignore[arg-type]
            assert done == [], "nothing ran inside start()"
            for _ in range(1000):
                if done:
                    break
                await asyncio.sleep(0.01)
            return done
        finally:
            worker.close()

    done = asyncio.run(scenario())
    here = run_scheduler(request)  # type: ignore[arg-type]
    assert len(done) == 1 and done[0].transition is not None and here.transition is not None
    assert done[0].transition.synapses == here.transition.synapses


def test_a_small_dc_cib_is_scheduled_inside_start_without_serializing() -> None:
    """On the recovery path of a small cluster a thread hop costs more than the run: a DC
    request whose tree is small is scheduled at once, on a copy, with its view."""
    import asyncio

    from hacluster.cib import empty_cib
    from hacluster.drivers.scheduler import INLINE_MAX_ELEMENTS, SchedulerWorker, is_small
    from hacluster.events import RunScheduler, SchedulerDone, SchedulingView

    doc = empty_cib()
    assert is_small(doc.root, INLINE_MAX_ELEMENTS)
    request = RunScheduler((0, 1, 1), b"", 1_700_000_000, doc, SchedulingView(True, (1,)))

    async def scenario() -> list[SchedulerDone]:
        done: list[SchedulerDone] = []
        worker = SchedulerWorker(done.append)
        try:
            worker.start(request)
            return list(done)
        finally:
            worker.close()

    at_once = asyncio.run(scenario())
    assert [d.cib_version for d in at_once] == [(0, 1, 1)] and at_once[0].transition is not None
    assert doc.root.get("have-quorum") != "1", "the view went to a copy, not the DC's tree"
