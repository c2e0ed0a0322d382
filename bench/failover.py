"""Failover benchmark: hacluster's cluster manager next to Corosync 3.1.7 + Pacemaker 2.1.5.

Prints `name: ours theirs ratio` lines (ratio = ours / theirs; lower is better). Ours: three
haclusterd on 127.0.0.1/2/3 running Debian's ocf:heartbeat:Dummy (a 1 s monitor,
stonith-enabled=false, no-quorum-policy=stop, resource-stickiness=100, as the issue ran the
real stack). "Started" is the Dummy state file appearing under the new node's HA_RSCTMP (for
the in-place recovery: our controller's "result of ... operation" log lines, as the issue
took Pacemaker's). Theirs: the reference figures of issue 11, measured with the real stack
in network namespaces on this kind of machine (medians of 5-10 runs); this script does not
run the real stack itself, so those lines say `(reference)`.
    python bench/failover.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from hacluster.demo.cluster import DemoCluster, choose_port, wait_until  # noqa: E402

THEIRS = {  # issue 11, real Corosync 3.1.7 + Pacemaker 2.1.5 in namespaces (ms, MiB, %)
    "sigkill_failover_seed_ms": 7734.0, "sigkill_failover_fast_ms": 1248.0,
    "cold_start_ms": 23565.0, "monitor_failure_inplace_ms": 76.0, "move_ms": 125.0,
    "idle_rss_per_node_mib": 148.0, "idle_cpu_per_node_pct": 0.9}
SEED = {"token": 3000, "consensus": 3600, "token_coefficient": 650}
FAST = {"token": 300, "consensus": 360, "token_coefficient": 0}
CIB = ('<configuration><crm_config><cluster_property_set id="opts">'
       '<nvpair id="o1" name="stonith-enabled" value="false"/>'
       '<nvpair id="o2" name="no-quorum-policy" value="stop"/></cluster_property_set>'
       '</crm_config><nodes><node id="1" uname="node1"/><node id="2" uname="node2"/>'
       '<node id="3" uname="node3"/></nodes><resources>'
       '<primitive id="dummy" class="ocf" provider="heartbeat" type="Dummy"><operations>'
       '<op id="dummy-mon" name="monitor" interval="1s" timeout="20s"/></operations>'
       '</primitive></resources><constraints/><rsc_defaults><meta_attributes id="rd">'
       '<nvpair id="rd-s" name="resource-stickiness" value="100"/></meta_attributes>'
       '</rsc_defaults></configuration>')
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})")


def config_text(port: int, timings: dict[str, int]) -> str:
    nodes = "".join(f"    node {{\n        ring0_addr: 127.0.0.{n}\n        nodeid: {n}\n"
                    f"        name: node{n}\n    }}\n" for n in (1, 2, 3))
    return ("totem {\n    version: 2\n    cluster_name: bench\n    transport: udpu\n"
            f"    token: {timings['token']}\n    consensus: {timings['consensus']}\n"
            f"    token_coefficient: {timings['token_coefficient']}\n    secauth: off\n"
            f"    interface {{\n        ringnumber: 0\n        mcastport: {port}\n    }}\n}}\n"
            f"nodelist {{\n{nodes}}}\nquorum {{\n    provider: corosync_votequorum\n}}\n"
            "logging {\n    to_stderr: yes\n    timestamp: on\n    debug: off\n}\n")


def holders(cluster: DemoCluster, indexes: tuple[int, ...] = (1, 2, 3)) -> list[int]:
    return [i for i in indexes
            if (cluster.node(i).state_dir / "rsctmp" / "Dummy-dummy.state").exists()]


def start_cluster(root: Path, timings: dict[str, int]) -> tuple[DemoCluster, float]:
    """Three nodes with the Dummy CIB; second: ms from the starts to the Dummy started."""
    cluster = DemoCluster.create(root, config_text(choose_port(5405), timings))
    started = time.monotonic()
    try:
        for index in (1, 2, 3):
            cluster.start(index)
        if not wait_until(lambda: cluster.ring_of((1, 2, 3)), 60, 0.01):
            raise RuntimeError(f"no ring\n{cluster.logs()}")
        path = root / "cib-config.xml"
        path.write_text(CIB)
        for _ in range(5):  # a replace is idempotent: retry one cut by a membership change
            done = cluster.tool(1, "cibadmin", "--replace", "-o", "configuration",
                                "--xml-file", str(path))
            if done.returncode == 0:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError(done.stderr)
        if not wait_until(lambda: holders(cluster), 60, 0.005):
            raise RuntimeError(f"the Dummy never started\n{cluster.logs()}")
    except BaseException:
        cluster.kill_all()
        raise
    return cluster, (time.monotonic() - started) * 1000


def settle(cluster: DemoCluster, index: int) -> None:
    def monitored() -> bool:
        xml = cluster.tool(index, "cibadmin", "-Q").stdout
        return 'operation_key="dummy_monitor_1000"' in xml and len(holders(cluster)) == 1
    wait_until(monitored, 30, 0.2)


def sigkill_failover(root: Path, timings: dict[str, int]) -> float:
    cluster, _ = start_cluster(root, timings)
    try:
        settle(cluster, 1)
        [victim] = holders(cluster)
        survivors = tuple(i for i in (1, 2, 3) if i != victim)
        cluster.signal(victim, signal.SIGKILL)
        shutil.rmtree(cluster.node(victim).state_dir / "rsctmp", ignore_errors=True)
        killed = time.monotonic()
        if not wait_until(lambda: holders(cluster, survivors), 60, 0.001):
            raise RuntimeError(f"no failover\n{cluster.logs()}")
        return (time.monotonic() - killed) * 1000
    finally:
        cluster.kill_all()


def log_time(line: str) -> float:
    match = STAMP.match(line)
    assert match is not None
    stamp = time.mktime(time.strptime(match.group(1), "%Y-%m-%d %H:%M:%S"))
    return stamp * 1000 + int(match.group(2))


def monitor_failure_inplace(root: Path) -> float:
    """From the failed monitor's result to the start's result on the same node (log lines)."""
    cluster, _ = start_cluster(root, FAST)
    try:
        settle(cluster, 1)
        [holder] = holders(cluster)
        state = cluster.node(holder).state_dir / "rsctmp" / "Dummy-dummy.state"
        state.unlink()  # the resource dies by itself
        if not wait_until(state.exists, 30, 0.005):
            raise RuntimeError(f"not restarted\n{cluster.logs()}")
        time.sleep(0.2)
        lines = cluster.node(holder).log.read_text().splitlines()
        failed = [log_time(x) for x in lines if "result of monitor operation for dummy" in x
                  and "rc=7" in x]
        started = [log_time(x) for x in lines if "result of start operation for dummy" in x]
        return started[-1] - failed[-1]
    finally:
        cluster.kill_all()


def move(root: Path) -> float:
    cluster, _ = start_cluster(root, FAST)
    try:
        settle(cluster, 1)
        [holder] = holders(cluster)
        target = next(i for i in (1, 2, 3) if i != holder)
        began = time.monotonic()
        done = cluster.tool(1, "crm_resource", "--move", "--resource", "dummy", "--node",
                            f"node{target}")
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        if not wait_until(lambda: holders(cluster) == [target], 30, 0.002):
            raise RuntimeError(f"not moved\n{cluster.logs()}")
        return (time.monotonic() - began) * 1000
    finally:
        cluster.kill_all()


def group_pids(pgid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    out.append(int(entry))
            except ProcessLookupError:
                continue
    return out


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def idle(root: Path) -> tuple[float, float]:
    """(RSS MiB per node: the daemon and its scheduler worker, CPU % per node) when idle."""
    cluster, _ = start_cluster(root, FAST)
    try:
        settle(cluster, 1)
        time.sleep(2)
        pgids = [n.process.pid for n in cluster.nodes if n.process is not None]
        pids = [p for g in pgids for p in group_pids(g)]
        rss = sum(rss_mib(p) for p in pids) / 3
        before = sum(cpu_ticks(p) for p in pids)
        time.sleep(10)
        after = sum(cpu_ticks(p) for p in pids)
        cpu = (after - before) / os.sysconf("SC_CLK_TCK") / 10 * 100 / 3
        return rss, cpu
    finally:
        cluster.kill_all()


def median_of(runs: int, measure: Callable[[Path], float]) -> float | None:
    """The median of the runs that worked (a run that fails says why on stderr)."""
    values = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="hacluster-bench-") as tmp:
            try:
                values.append(measure(Path(tmp)))
            except RuntimeError as error:
                sys.stderr.write(f"run failed: {str(error)[:300]}\n")
    return statistics.median(values) if values else None


def line(name: str, ours: float | None, note: str = "") -> None:
    theirs = THEIRS[name]
    if ours is None:
        print(f"{name}: n/a {theirs:.1f} n/a  (every run failed)", flush=True)
        return
    print(f"{name}: {ours:.1f} {theirs:.1f} {ours / theirs:.2f}  (theirs: reference){note}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--quick", action="store_true", help="one run each, no idle figures")
    parser.add_argument("--only", help="only the figures whose name contains this")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    # Byte-compile once, as an installed package is: with PYTHONDONTWRITEBYTECODE set (this
    # lab sets it) every daemon and every CLI call would compile the sources again.
    compileall.compile_dir(str(REPO / "src" / "hacluster"), quiet=1)
    figures: dict[str, Callable[[Path], float]] = {
        "sigkill_failover_seed_ms": lambda p: sigkill_failover(p, SEED),
        "sigkill_failover_fast_ms": lambda p: sigkill_failover(p, FAST),
        "cold_start_ms": cold_start, "monitor_failure_inplace_ms": monitor_failure_inplace,
        "move_ms": move}
    for name, measure in figures.items():
        if args.only is None or args.only in name:
            line(name, median_of(runs, measure))
    if not args.quick and (args.only is None or "idle" in args.only):
        with tempfile.TemporaryDirectory(prefix="hacluster-bench-") as tmp:
            rss, cpu = idle(Path(tmp))
        line("idle_rss_per_node_mib", rss)
        line("idle_cpu_per_node_pct", cpu)
    return 0


def cold_start(root: Path) -> float:
    cluster, elapsed = start_cluster(root, FAST)
    cluster.kill_all()
    return elapsed




if __name__ == "__main__":
    sys.exit(main())
