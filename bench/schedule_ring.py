"""A 16x1000 CIB scheduled on the DC of a live 3-node ring costs no token (issue 11, item 3).

Three haclusterd on 127.0.0.1/2/3 (token 1000 ms: a scheduler run inside the event loop would
outlast it). bench/cibgen's 16x1000 CIB (seed 1, mix "bench": 1000 resources, 295 constraints, 16 nodes),
with maintenance-mode=true and enable-startup-probes=false added so that no agent runs, is
the cib.xml of every node before it starts. By default its status section is left empty
(0.5 MB): with `--with-status` it keeps the 16 nodes' operation history (10.7 MB), and then
the CIB sync of every new ring and the controller's copies of the CIB run inside each
daemon's loop for seconds on a loaded machine, long enough to lose the token (not the
scheduler: see the report). The DC schedules the whole CIB; the transitions are empty. Then the configuration is bumped
(`--bumps` small property writes with cibadmin --modify), and each bump makes the DC schedule the whole CIB again.

With `--write-mb M` each bump instead creates a new cluster property set of about M MB
(the shape of tests/loopback/test_cib_large.py: nvpairs of 80-byte values), so the bumps
measure big CIB writes: their latency, and whether the ring survives them.

Printed: each node's Totem counters (stats.srp.operational_token_lost, operational_entered)
and ring id before and after the bumps, the DC's scheduler worker CPU seconds in that
window (proof that it scheduled, and how much), and the CIB write latency of the bumps.
    python bench/schedule_ring.py [--bumps N] [--token MS] [--with-status] [--write-mb M] [--settle S]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

import cibgen  # noqa: E402
from failover import config_text, cpu_ticks, group_pids  # noqa: E402

from hacluster.demo.cluster import DemoCluster, choose_port, tool_path, wait_until  # noqa: E402
from hacluster.drivers.cibfile import CIB_NAME, SIG_SUFFIX, md5_hex  # noqa: E402

PROPS = ('<nvpair id="hcnet-mm" name="maintenance-mode" value="true"/>'
         '<nvpair id="hcnet-probes" name="enable-startup-probes" value="false"/>')
KEYS = ("stats.srp.operational_token_lost", "stats.srp.operational_entered")


def big_cib(with_status: bool) -> str:
    xml = cibgen.generate(1, 16, 1000, mix="bench").xml
    at = xml.index('<cluster_property_set id="cib-bootstrap-options">')
    at = xml.index(">", at) + 1
    xml = xml[:at] + PROPS + xml[at:]
    if not with_status:
        start, end = xml.index("<status>"), xml.index("</status>") + len("</status>")
        xml = xml[:start] + "<status/>" + xml[end:]
    return xml


def counters(cluster: DemoCluster) -> dict[int, tuple[str, int, int]]:
    """node -> (ring id, tokens lost, rings entered)."""
    out = {}
    for i in (1, 2, 3):
        status = cluster.node(i).status()
        assert status is not None, cluster.logs()
        out[i] = (status.ring_id, *(status.stats.get(k, -1) for k in KEYS))
    return out


def dc_index(cluster: DemoCluster) -> int:
    done = cluster.tool(1, "crm_mon", "-1")
    match = re.search(r"Current DC: node(\d)", done.stdout)
    assert match is not None, done.stdout + done.stderr
    return int(match.group(1))


def worker_ticks(cluster: DemoCluster, index: int) -> int:
    process = cluster.node(index).process
    assert process is not None
    return sum(cpu_ticks(p) for p in group_pids(process.pid) if p != process.pid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bumps", type=int, default=5)
    parser.add_argument("--token", type=int, default=1000)
    parser.add_argument("--with-status", action="store_true",
                        help="keep the 16 nodes' operation history (10.7 MB instead of 0.5 MB)")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds between the ring and the first bump (more when loaded)")
    parser.add_argument("--write-mb", type=float, default=0.0,
                        help="each bump creates a property set of this many MB")
    args = parser.parse_args(argv)
    timings = {"token": args.token, "consensus": int(args.token * 1.2), "token_coefficient": 0}
    with tempfile.TemporaryDirectory(prefix="hacluster-bench-") as tmp:
        root = Path(tmp)
        cluster = DemoCluster.create(root, config_text(choose_port(30000 + os.getpid() % 20000), timings))
        try:
            return run(cluster, args.bumps, args.with_status, args.write_mb, root, args.settle)
        finally:
            cluster.kill_all()


def property_set(name: str, megabytes: float) -> str:
    pair = '<nvpair id="{0}-p{1}" name="{0}-p{1}" value="{2}"/>'
    count = int(megabytes * 1e6) // len(pair.format(name, 10_000, "v" * 80))
    pairs = "".join(pair.format(name, i, "v" * 80) for i in range(count))
    return f'<cluster_property_set id="{name}">{pairs}</cluster_property_set>'


def bump(cluster: DemoCluster, n: int, write_mb: float,
         root: Path) -> subprocess.CompletedProcess[str]:
    if write_mb <= 0:
        xml = ('<cluster_property_set id="cib-bootstrap-options"><nvpair id="hcnet-bump" '
               f'name="hcnet-bump" value="{n}"/></cluster_property_set>')
        env = {**os.environ, "HACLUSTER_STATE_DIR": str(cluster.node(1).state_dir)}
        return subprocess.run([tool_path("cibadmin"), "--modify", "-o",
                               "crm_config", "-X", xml, "-t", "600"], capture_output=True,
                              text=True, timeout=600, env=env, stdin=subprocess.DEVNULL)
    path = root / f"big{n}.xml"
    path.write_text(property_set(f"hcnet-big{n}", write_mb))
    env = {**os.environ, "HACLUSTER_STATE_DIR": str(cluster.node(1 + n % 3).state_dir)}
    return subprocess.run([tool_path("cibadmin"), "-C", "-o", "crm_config",
                           "-x", str(path), "-t", "600"], capture_output=True, text=True,
                          timeout=600, env=env, stdin=subprocess.DEVNULL)


def run(cluster: DemoCluster, bumps: int, with_status: bool, write_mb: float,
        root: Path, settle_s: float = 10.0) -> int:
    print(f"# load average: {os.getloadavg()}", flush=True)
    data = big_cib(with_status).encode()
    for i in (1, 2, 3):  # as an operator would: the same cib.xml on every node before start
        state = cluster.node(i).state_dir
        state.mkdir(parents=True, exist_ok=True)
        (state / CIB_NAME).write_bytes(data)
        (state / (CIB_NAME + SIG_SUFFIX)).write_text(md5_hex(data))
    print(f"cib.xml: {len(data) / 1e6:.1f} MB on each node", flush=True)
    for i in (1, 2, 3):
        cluster.start(i)
    assert wait_until(lambda: cluster.ring_of((1, 2, 3)), 120, 0.05), cluster.logs()
    time.sleep(settle_s)  # the CIB sync of the new ring, the join writes, the first schedule
    dc = dc_index(cluster)
    before, ticks = counters(cluster), worker_ticks(cluster, dc)
    latencies = []
    for n in range(bumps):
        began = time.monotonic()
        try:
            done = bump(cluster, n, write_mb, root)
        except subprocess.TimeoutExpired:
            print(f"bump {n}: no answer in time\n{cluster.logs()}", flush=True)
            return 1
        latencies.append((time.monotonic() - began) * 1000)
        if done.returncode != 0:
            print(f"bump {n} failed: {done.stderr.strip()}\n{cluster.logs()}", flush=True)
        time.sleep(4)  # one schedule of the whole CIB on the DC
    after, spent = counters(cluster), worker_ticks(cluster, dc) - ticks
    seconds = spent / os.sysconf("SC_CLK_TCK")
    print(f"dc: node{dc}; its scheduler worker used {seconds:.1f} s CPU for {bumps} bumps")
    what = f"cibadmin -C of {write_mb} MB" if write_mb > 0 else "cibadmin --modify"
    print(f"bump write latency ms ({what}, incl. process start): "
          f"median {statistics.median(latencies):.0f}, max {max(latencies):.0f}")
    flat = True
    for i in (1, 2, 3):
        print(f"node{i}: ring {before[i][0]} -> {after[i][0]}, tokens lost "
              f"{before[i][1]} -> {after[i][1]}, rings entered {before[i][2]} -> {after[i][2]}")
        flat = flat and before[i] == after[i]
    for i in (1, 2, 3):
        steps = [int(m) for m in re.findall(r"slow step event=\S+ ms=(\d+)",
                                            cluster.node(i).log.read_text(errors="replace"))]
        print(f"node{i}: loop steps >= 250 ms: {len(steps)}, longest "
              f"{max(steps) if steps else '-'} ms (haclusterd logs them since the CIB offload)")
    print("token loss / membership change while the DC scheduled: "
          + ("none" if flat else "YES"), flush=True)
    print(f"# load average: {os.getloadavg()}", flush=True)
    return 0 if flat and seconds > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
