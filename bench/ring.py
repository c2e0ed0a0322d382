"""Ring benchmark: hacluster's haclusterd next to the real Corosync 3.1.7, side by side.

Prints `name: ours theirs ratio` lines (ratio = ours / theirs; for times lower is better,
for msg/s higher is better). Ours: three haclusterd on 127.0.0.1/2/3 (1.x member dialect).
Theirs: three corosync in network namespaces (bench/corosync_lab.py), nodelist dialect with
token_coefficient 0 so both run the same token. When Corosync cannot run, theirs is `n/a`.
    python bench/ring.py [--quick] [--skip-theirs] [--sigkill-only | --cpg-only] [--kill-runs N]
CPG: the same message count on both sides; ours sends through bench/ourclient.py (binary
cpg_send frames, pipelined), theirs through libcpg (bench/cpgclient.py). --cpg-only stops after
the start and CPG figures. The SIGKILL figures are medians of --kill-runs runs (default 3): with ICMP evidence ours
depends on where the token is when the node dies (at most a rotation plus a token re-send).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "loopback"))

from corosync_lab import CorosyncLab, why_not_runnable  # noqa: E402
from corosync_lab import wait_for as lab_wait  # noqa: E402
from harness import Cluster, Daemon, config_text, pick_port, ring_of, wait_until  # noqa: E402

SEED = (3000, 3600)
FAST = (300, 360)
SMALL = (1000, 1200)
# token 300 with the seed's 10 retransmits gives a 29 ms token_retransmit, under the 30 ms
# minimum both Corosync and we enforce: the fast case keeps the default of 4.
RETRANSMITS = {SEED: 10, FAST: 4, SMALL: 10}
START_RUNS = 3  # the start time varies with how the three processes' boots interleave


# ----------------------------------------------------------------------------- ours


@contextmanager
def ours(token_ms: int, consensus_ms: int) -> Iterator[tuple[Cluster, list[Daemon], float]]:
    """Three haclusterd; yields them and the seconds from spawn to one quorate ring."""
    root = Path(tempfile.mkdtemp(prefix="h3-bench-"))
    cluster = Cluster(root, pick_port(f"bench-{token_ms}-{time.time_ns()}"))
    text = config_text(cluster.port, token_ms=token_ms, consensus_ms=consensus_ms,
                       retransmits=RETRANSMITS[(token_ms, consensus_ms)])
    daemons = [cluster.add(i, text) for i in (1, 2, 3)]
    try:
        started = time.monotonic()
        for daemon in daemons:
            daemon.start()
        def formed_or_dead() -> Any:
            if not all(d.is_running() for d in daemons):
                return "dead"
            return (r := ring_of(daemons)) and len(r[1]) == 3 and r

        ring = wait_until(formed_or_dead, 60, 0.005)
        elapsed = time.monotonic() - started
        if not ring or ring == "dead":
            raise RuntimeError(f"our ring did not form\n{cluster.logs()}")
        yield cluster, daemons, elapsed
    finally:
        cluster.stop_all()


def ours_kill_to_ring(token_ms: int, consensus_ms: int) -> float:
    with ours(token_ms, consensus_ms) as (_, daemons, _):
        survivors = daemons[:2]
        started = time.monotonic()
        daemons[2].signal(signal.SIGKILL)
        ring = wait_until(lambda: (r := ring_of(survivors)) and len(r[1]) == 2, 60, 0.005)
        if not ring:
            raise RuntimeError("survivors formed no ring")
        return time.monotonic() - started


def median_of(runs: int, fn: Callable[[], float]) -> float:
    values = [fn() for _ in range(runs)]
    print(f"#   runs: {' '.join(f'{v:.3f}' for v in values)}", flush=True)
    return statistics.median(values)


def ours_cpg(daemons: list[Daemon], size: int, senders: int, count: int) -> float:
    """Receivers on every node and `senders` senders, each a separate process (as theirs)."""
    script = str(HERE / "ourclient.py")
    total = senders * count
    receivers = [subprocess.Popen([sys.executable, script, str(d.state_dir), "recv", "bench",
                                   str(total), str(900 + d.index)],
                                  stdout=subprocess.PIPE, text=True) for d in daemons]
    try:
        for proc in receivers:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)  # let the joins settle into every node's group view
        sends = [subprocess.Popen([sys.executable, script, str(daemons[i % 3].state_dir),
                                   "send", "bench", str(count), str(size), str(1000 + i)],
                                  stdout=subprocess.PIPE, text=True) for i in range(senders)]
        starts = [int(p.communicate(timeout=300)[0].split()[1]) for p in sends]
        ends = [int(p.communicate(timeout=300)[0].split()[1]) for p in receivers]
    finally:
        for proc in receivers:
            if proc.poll() is None:
                proc.kill()
    return total / ((max(ends) - min(starts)) / 1e9)


def rss_kib(pid: int | None) -> int:
    if pid is None:
        return 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --------------------------------------------------------------------------- theirs


@contextmanager
def theirs(token_ms: int, consensus_ms: int) -> Iterator[tuple[CorosyncLab, float]]:
    with CorosyncLab(token_ms, consensus_ms, RETRANSMITS[(token_ms, consensus_ms)]) as lab:
        started = time.monotonic()
        for index in (1, 2, 3):
            lab.start(index)
        ok = lab_wait(lambda: all(lab.quorum(i) == (3, True) for i in (1, 2, 3)), 60, 0.005)
        if not ok:
            raise RuntimeError("corosync ring did not form")
        yield lab, time.monotonic() - started


def theirs_kill_to_ring(token_ms: int, consensus_ms: int) -> float:
    with theirs(token_ms, consensus_ms) as (lab, _):
        started = time.monotonic()
        lab.kill(3, signal.SIGKILL)
        if not lab_wait(lambda: lab.quorum(1) == (2, True) and lab.quorum(2) == (2, True),
                        60, 0.005):
            raise RuntimeError("corosync survivors formed no ring")
        return time.monotonic() - started


def theirs_cpg(lab: CorosyncLab, size: int, senders: int, count: int) -> float:
    py, script = sys.executable, str(HERE / "cpgclient.py")
    total = senders * count
    receivers = [subprocess.Popen(lab.exec_in(i, py, script, "recv", "bench", str(total)),
                                  stdout=subprocess.PIPE, text=True) for i in (1, 2, 3)]
    try:
        for proc in receivers:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        sends = [subprocess.Popen(lab.exec_in(i % 3 + 1, py, script, "send", "bench",
                                              str(count), str(size)),
                                  stdout=subprocess.PIPE, text=True) for i in range(senders)]
        starts = [int(p.communicate(timeout=180)[0].split()[1]) for p in sends]
        ends = [int(p.communicate(timeout=180)[0].split()[1]) for p in receivers]
    finally:
        for proc in receivers:
            if proc.poll() is None:
                proc.kill()
    return total / ((max(ends) - min(starts)) / 1e9)


# ----------------------------------------------------------------------------- main


def line(name: str, ours_value: float | None, theirs_value: float | None | str,
         unit: str) -> None:
    def show(v: Any) -> str:
        return v if isinstance(v, str) else ("n/a" if v is None else f"{v:.3f}{unit}")

    ratio = "n/a"
    if isinstance(ours_value, float | int) and isinstance(theirs_value, float | int) \
            and theirs_value:
        ratio = f"{ours_value / theirs_value:.2f}"
    print(f"{name}: {show(ours_value)} {show(theirs_value)} {ratio}", flush=True)


def measure(fn: Callable[[], float], skip: str | None) -> float | str:
    if skip:
        return f"n/a ({skip})"
    try:
        return fn()
    except Exception as error:  # a failed side is reported, the other side still prints
        return f"n/a ({type(error).__name__}: {str(error).splitlines()[0][:60]})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer CPG messages")
    parser.add_argument("--skip-theirs", action="store_true")
    parser.add_argument("--sigkill-only", action="store_true", help="only the SIGKILL figures")
    parser.add_argument("--kill-runs", type=int, default=3, help="SIGKILL runs per side (median)")
    parser.add_argument("--cpg-only", action="store_true", help="only the start and CPG figures")
    args = parser.parse_args(argv)
    skip = "skipped" if args.skip_theirs else why_not_runnable()
    if not args.sigkill_only:
        measure_start_and_cpg(args.quick, skip)
    if args.cpg_only:
        return 0
    for label, timing in (("seed_3000_3600", SEED), ("token_1000_1200", SMALL),
                          ("token_300_360", FAST)):
        ours_value = measure(lambda t=timing: median_of(args.kill_runs,
                                                        lambda: ours_kill_to_ring(*t)), None)
        theirs_value = measure(lambda t=timing: median_of(args.kill_runs,
                                                          lambda: theirs_kill_to_ring(*t)), skip)
        line(f"sigkill_to_new_ring_{label}_s", ours_value, theirs_value, "")  # type: ignore[arg-type]
    return 0


def measure_start_and_cpg(quick: bool, skip: str | None) -> None:
    # The same count on both sides: a smaller burst would weigh ours down with the fixed
    # cost of its first token rotation.
    ours_count = theirs_count = 3000 if quick else 20000
    ours_starts: list[float] = []
    for _ in range(START_RUNS - 1):
        with ours(*SMALL) as (_, _, elapsed):
            ours_starts.append(elapsed)
    with ours(*SMALL) as (_, daemons, elapsed):
        ours_start = statistics.median([*ours_starts, elapsed])
        ours_rss = sum(rss_kib(d.process.pid if d.process else None) for d in daemons) / 3
        ours_rates = {(size, senders): measure(lambda s=size, n=senders: ours_cpg(
            daemons, s, n, ours_count), None) for size in (100, 1024) for senders in (1, 4)}
    theirs_rates: dict[tuple[int, int], float | str] = {}
    theirs_start: float | str = f"n/a ({skip})" if skip else "n/a"
    theirs_rss: float | str = theirs_start
    if not skip:
        try:
            theirs_starts: list[float] = []
            for _ in range(START_RUNS - 1):
                with theirs(*SMALL) as (_, elapsed):
                    theirs_starts.append(elapsed)
            with theirs(*SMALL) as (lab, elapsed):
                theirs_start = statistics.median([*theirs_starts, elapsed])
                time.sleep(1.0)
                theirs_rss = sum(rss_kib(lab.pid_of(i)) for i in (1, 2, 3)) / 3
                for size in (100, 1024):
                    for senders in (1, 4):
                        theirs_rates[(size, senders)] = measure(
                            lambda s=size, n=senders: theirs_cpg(lab, s, n, theirs_count), None)
        except Exception as error:
            theirs_start = f"n/a ({type(error).__name__})"
    line("start_3_nodes_to_quorate_ring_s_median_of_3", ours_start, theirs_start, "")
    for (size, senders), value in ours_rates.items():
        other = theirs_rates.get((size, senders), f"n/a ({skip})" if skip else "n/a")
        line(f"cpg_msgs_per_s_{size}B_{senders}_senders", value, other, "")  # type: ignore[arg-type]
    line("idle_rss_kib_per_daemon", ours_rss, theirs_rss, "")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
