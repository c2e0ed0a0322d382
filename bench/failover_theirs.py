"""The real stack's side of bench/failover.py: the same figures, measured on Corosync 3.1.7 +
Pacemaker 2.1.5 in bench/pacemaker_lab.py's namespaces, the way the ours side measures them.

"Started" is the Dummy's state file appearing under the node's /run/resource-agents (as for
ours, under the node's HA_RSCTMP); the in-place recovery is read from the controller's
"Result of monitor/start operation" log lines (millisecond stamps), as for ours.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

from pacemaker_lab import PacemakerLab

STAMP = re.compile(r"^(\w{3} \d\d \d\d:\d\d:\d\d)\.(\d{3}) ")


def wait_until(predicate: Callable[[], object], timeout_s: float, poll_s: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll_s)
    return False


def started_lab(timings: dict[str, int], cib: str) -> tuple[PacemakerLab, float]:
    """A running lab with the Dummy started; ms from the first start to the Dummy started."""
    lab = PacemakerLab(timings, cib).__enter__()
    try:
        began = time.monotonic()
        for i in (1, 2, 3):
            lab.start(i)
        if not wait_until(lab.holders, 90, 0.005):
            raise RuntimeError(f"the Dummy never started\n{lab.log(1)[-1500:]}")
        elapsed = (time.monotonic() - began) * 1000
        [holder] = lab.holders()
        monitored = f"Result of monitor operation for dummy on node{holder}: ok"
        if not wait_until(lambda: monitored in lab.log(holder), 30, 0.05):
            raise RuntimeError("the Dummy's monitor never reported")
        time.sleep(1.5)  # let the DC go idle after the transition
    except BaseException:
        lab.__exit__()
        raise
    return lab, elapsed


def node_loss(timings: dict[str, int], cib: str, sig: int) -> float:
    """`sig` to every process of the node holding the Dummy -> Started on a survivor."""
    lab, _ = started_lab(timings, cib)
    try:
        [victim] = lab.holders()
        survivors = tuple(i for i in (1, 2, 3) if i != victim)
        lab.signal_node(victim, sig)
        killed = time.monotonic()
        if not wait_until(lambda: lab.holders(survivors), 90, 0.001):
            raise RuntimeError(f"no failover\n{lab.log(survivors[0])[-1500:]}")
        return (time.monotonic() - killed) * 1000
    finally:
        lab.__exit__()


def cold_start(timings: dict[str, int], cib: str) -> float:
    lab, elapsed = started_lab(timings, cib)
    lab.__exit__()
    return elapsed


def log_ms(line: str) -> float:
    match = STAMP.match(line)
    assert match is not None, line
    year = time.localtime().tm_year
    stamp = time.mktime(time.strptime(f"{year} {match.group(1)}", "%Y %b %d %H:%M:%S"))
    return stamp * 1000 + int(match.group(2))


def monitor_failure_inplace(timings: dict[str, int], cib: str) -> float:
    """The failed monitor's result -> the start's result on the same node (log lines)."""
    lab, _ = started_lab(timings, cib)
    try:
        [holder] = lab.holders()
        state = lab.state_file(holder)
        state.unlink()  # the resource dies by itself
        if not wait_until(state.exists, 30, 0.005):
            raise RuntimeError("not restarted")
        time.sleep(0.3)
        lines = lab.log(holder).splitlines()
        who = f"for dummy on node{holder}"
        failed = [log_ms(x) for x in lines if f"Result of monitor operation {who}: not running" in x]
        started = [log_ms(x) for x in lines if f"Result of start operation {who}: ok" in x]
        if not failed or not started:
            raise RuntimeError("no monitor failure or start in the log")
        return started[-1] - failed[-1]
    finally:
        lab.__exit__()


def move(timings: dict[str, int], cib: str) -> float:
    """crm_resource --move (through nsenter) -> Started on the target."""
    lab, _ = started_lab(timings, cib)
    try:
        [holder] = lab.holders()
        target = next(i for i in (1, 2, 3) if i != holder)
        began = time.monotonic()
        lab.run(1, "crm_resource", "--move", "--resource", "dummy", "--node", f"node{target}")
        if not wait_until(lambda: lab.holders() == [target], 30, 0.002):
            raise RuntimeError("not moved")
        return (time.monotonic() - began) * 1000
    finally:
        lab.__exit__()


def cib_write(timings: dict[str, int], cib: str, bump: str, writes: int) -> float:
    """Median wall time of `cibadmin --modify` of a small property on an idle cluster (the
    C tool through nsenter: process start included, a few ms)."""
    lab, _ = started_lab(timings, cib)
    try:
        times = []
        for n in range(writes):
            time.sleep(1.2)
            began = time.monotonic()
            lab.run(1, "cibadmin", "--modify", "-o", "crm_config", "-X", bump.format(n))
            times.append((time.monotonic() - began) * 1000)
        return sorted(times)[len(times) // 2]
    finally:
        lab.__exit__()


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def idle(timings: dict[str, int], cib: str, seconds: float = 10.0) -> tuple[float, float]:
    """(RSS MiB per node: corosync and every Pacemaker daemon, CPU % per node) when idle."""
    lab, _ = started_lab(timings, cib)
    try:
        time.sleep(2)
        pids = [p for i in (1, 2, 3) for p in lab.pids(i)]
        rss = sum(_rss_mib(p) for p in pids) / 3
        before = sum(_ticks(p) for p in pids)
        time.sleep(seconds)
        after = sum(_ticks(p) for p in pids)
        cpu = (after - before) / os.sysconf("SC_CLK_TCK") / seconds * 100 / 3
        return rss, cpu
    finally:
        lab.__exit__()


def sigkill(timings: dict[str, int], cib: str) -> float:
    return node_loss(timings, cib, signal.SIGKILL)


def silent(timings: dict[str, int], cib: str) -> float:
    return node_loss(timings, cib, signal.SIGSTOP)
