"""The DC's scheduler worker process never outlives a daemon that was killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

DAEMON_STANDIN = """
import sys, time
from hacluster.drivers.scheduler import SchedulerWorker
worker = SchedulerWorker(lambda done: None)
time.sleep(0.5)
print(*worker._pool._processes, flush=True)
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
