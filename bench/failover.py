"""Failover benchmark: hacluster's cluster manager next to Corosync 3.1.7 + Pacemaker 2.1.5.

Prints `name: ours theirs ratio` lines (ratio = ours / theirs; lower is better). Ours: three
haclusterd on 127.0.0.1/2/3 running Debian's ocf:heartbeat:Dummy (a 1 s monitor,
stonith-enabled=false, no-quorum-policy=stop, resource-stickiness=100, as the issue ran the
real stack). "Started" is the Dummy state file appearing under the new node's HA_RSCTMP (for
the in-place recovery: our controller's "result of ... operation" log lines, as Pacemaker's).
Theirs: the real stack, run side by side the way issue 11 describes (bench/pacemaker_lab.py:
per node a network + mount namespace, corosync -f then pacemakerd -f through nsenter; the
same measurements, bench/failover_theirs.py). Where that cannot run (not root, tools
missing, or --reference) the lines carry issue 11's reference figures and say so.
Silent loss is SIGSTOP of every process of the node holding the Dummy (no ICMP, nothing).
    python bench/failover.py [--runs N] [--quick] [--only NAME] [--reference]
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

sys.path.insert(0, str(REPO / "bench"))

import failover_theirs as theirs  # noqa: E402
from pacemaker_lab import cib_xml, why_not_runnable  # noqa: E402

from hacluster.demo.cluster import DemoCluster, choose_port, wait_until  # noqa: E402
from hacluster.drivers.cibfile import CIBStore  # noqa: E402

REFERENCE = {  # issue 11, real Corosync 3.1.7 + Pacemaker 2.1.5 in namespaces (ms, MiB, %)
    "sigkill_failover_seed_ms": 7734.0, "sigkill_failover_fast_ms": 1248.0,
    "silent_loss_seed_ms": 7734.0,  # not in the issue: its SIGKILL figure (no ICMP there)
    "cold_start_ms": 23565.0, "cold_start_cibadmin_ms": 23565.0,  # theirs: cib.xml preloaded
    "monitor_failure_inplace_ms": 76.0, "move_ms": 125.0,
    "idle_rss_per_node_mib": 148.0, "idle_cpu_per_node_pct": 0.9,
    "cib_write_idle_ms": float("nan")}  # not in the issue
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


def start_cluster(root: Path, timings: dict[str, int],
                  preload: bool = False) -> tuple[DemoCluster, float]:
    """Three nodes with the Dummy CIB; second: ms from the starts to the Dummy started.
    `preload`: the same cib.xml saved into each node's state dir before the start (as the
    real stack is measured), else written with cibadmin --replace once the ring formed."""
    cluster = DemoCluster.create(root, config_text(choose_port(30000 + os.getpid() % 20000), timings))
    if preload:
        for node in cluster.nodes:
            CIBStore(node.state_dir).save(cib_xml(CIB).encode())
    started = time.monotonic()
    try:
        for index in (1, 2, 3):
            cluster.start(index)
        if preload:
            if not wait_until(lambda: holders(cluster), 60, 0.005):
                raise RuntimeError(f"the Dummy never started\n{cluster.logs()}")
            return cluster, (time.monotonic() - started) * 1000
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


def sigkill_failover(root: Path, timings: dict[str, int], sig: int = signal.SIGKILL) -> float:
    """`sig` (SIGKILL: a crash the host answers with ICMP; SIGSTOP: silence) to the node
    holding the Dummy -> Started on a survivor."""
    cluster, _ = start_cluster(root, timings)
    try:
        settle(cluster, 1)
        [victim] = holders(cluster)
        survivors = tuple(i for i in (1, 2, 3) if i != victim)
        cluster.signal(victim, sig)
        killed = time.monotonic()
        if not wait_until(lambda: holders(cluster, survivors), 60, 0.001):
            raise RuntimeError(f"no failover\n{cluster.logs()}")
        return (time.monotonic() - killed) * 1000
    finally:
        cluster.kill_all()  # SIGKILL ends a stopped daemon too


BUMP = ('<cluster_property_set id="opts"><nvpair id="o-bump" name="bench-bump" value="{}"/>'
        '</cluster_property_set>')
WRITES = 10


def cib_write(root: Path) -> float:
    """Median latency of a small configuration write on an idle ring: our cib_request call
    (the write's IPC, its trip through Totem and its replies), in this process; the same
    writes through our cibadmin (process start included) go to stderr."""
    from hacluster.api.env import LiveCluster
    from hacluster.cib.requests import CIBRequest
    from hacluster.events import CibWrite

    cluster, _ = start_cluster(root, SEED)  # the seed's hold (685 ms) is what a write must not sit out
    try:
        settle(cluster, 1)
        live = LiveCluster(str(cluster.node(1).state_dir))
        calls, tools = [], []
        for n in range(WRITES):
            time.sleep(1.2)  # idle again: the token is held between writes
            request = CIBRequest("modify", BUMP.format(n), "crm_config", None, frozenset(),
                                 stamp=live.stamp())
            began = time.monotonic()
            live._call(CibWrite(request.to_bytes()))
            calls.append((time.monotonic() - began) * 1000)
            time.sleep(1.2)
            began = time.monotonic()
            done = cluster.tool(1, "cibadmin", "--modify", "-o", "crm_config", "-X",
                                BUMP.format(f"t{n}"))
            tools.append((time.monotonic() - began) * 1000)
            if done.returncode != 0:
                raise RuntimeError(done.stderr)
        sys.stderr.write(f"  ours through cibadmin (process start included): median "
                         f"{statistics.median(tools):.1f} ms\n")
        return statistics.median(calls)
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
    if values:
        sys.stderr.write(f"  runs: {[round(v, 1) for v in values]}\n")
    return statistics.median(values) if values else None


def line(name: str, ours: float | None, real: float | None, source: str) -> None:
    """One `name: ours theirs ratio` line; `real` None means the reference figure."""
    value, note = (real, source) if real is not None else (REFERENCE[name], "reference")
    if ours is None:
        print(f"{name}: n/a {value:.1f} n/a  (every run of ours failed; theirs: {note})",
              flush=True)
        return
    print(f"{name}: {ours:.1f} {value:.1f} {ours / value:.2f}  (theirs: {note})", flush=True)


def figures() -> dict[str, tuple[Callable[[Path], float], Callable[[], float]]]:
    """name -> (ours, theirs) measurements of one run each."""
    return {
        "sigkill_failover_seed_ms": (lambda p: sigkill_failover(p, SEED),
                                     lambda: theirs.sigkill(SEED, CIB)),
        "sigkill_failover_fast_ms": (lambda p: sigkill_failover(p, FAST),
                                     lambda: theirs.sigkill(FAST, CIB)),
        "silent_loss_seed_ms": (lambda p: sigkill_failover(p, SEED, signal.SIGSTOP),
                                lambda: theirs.silent(SEED, CIB)),
        "cold_start_ms": (cold_start, lambda: theirs.cold_start(FAST, CIB)),
        "cold_start_cibadmin_ms": (cold_start_cibadmin, lambda: theirs.cold_start(FAST, CIB)),
        "monitor_failure_inplace_ms": (monitor_failure_inplace,
                                       lambda: theirs.monitor_failure_inplace(FAST, CIB)),
        "move_ms": (move, lambda: theirs.move(FAST, CIB)),
        "cib_write_idle_ms": (cib_write, lambda: theirs.cib_write(SEED, CIB, BUMP, WRITES))}


def theirs_median(runs: int, measure: Callable[[], float]) -> float | None:
    values = []
    for _ in range(runs):
        try:
            values.append(measure())
        except (RuntimeError, OSError, ValueError) as error:
            sys.stderr.write(f"real stack run failed: {str(error)[:300]}\n")
    if values:
        sys.stderr.write(f"  real runs: {[round(v, 1) for v in values]}\n")
    return statistics.median(values) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--quick", action="store_true", help="one run each, no idle figures")
    parser.add_argument("--only", help="only the figures whose name contains this")
    parser.add_argument("--reference", action="store_true",
                        help="do not run the real stack: use issue 11's reference figures")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    # Byte-compile once, as an installed package is: with PYTHONDONTWRITEBYTECODE set (this
    # lab sets it) every daemon and every CLI call would compile the sources again.
    compileall.compile_dir(str(REPO / "src" / "hacluster"), quiet=1)
    why = "--reference" if args.reference else why_not_runnable()
    if why is not None:
        print(f"# the real stack is not run here ({why}): theirs are issue 11's reference "
              "figures", flush=True)
    source = f"measured, median of {runs}"
    print(f"# load average at start: {os.getloadavg()}", flush=True)
    for name, (ours_measure, theirs_measure) in figures().items():
        if args.only is None or args.only in name:
            ours = median_of(runs, ours_measure)
            real = theirs_median(runs, theirs_measure) if why is None else None
            line(name, ours, real, source)
    if not args.quick and (args.only is None or "idle" in args.only):
        with tempfile.TemporaryDirectory(prefix="hacluster-bench-") as tmp:
            rss, cpu = idle(Path(tmp))
        real_rss = real_cpu = None
        if why is None:
            real_rss, real_cpu = theirs.idle(FAST, CIB)
        line("idle_rss_per_node_mib", rss, real_rss, "measured, one run")
        line("idle_cpu_per_node_pct", cpu, real_cpu, "measured, one run")
    print(f"# load average at end: {os.getloadavg()}", flush=True)
    return 0


def cold_start(root: Path) -> float:
    """The same cib.xml in every node's state dir before the start (as the real stack)."""
    cluster, elapsed = start_cluster(root, FAST, preload=True)
    cluster.kill_all()
    return elapsed


def cold_start_cibadmin(root: Path) -> float:
    """Empty nodes; the configuration written with our cibadmin once the ring formed."""
    cluster, elapsed = start_cluster(root, FAST)
    cluster.kill_all()
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
