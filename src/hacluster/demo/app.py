"""`python -m hacluster.demo` (`make demo`): the EayunStack cluster, live on loopback.

Owns the demo's order and step 1, one small function each: read the shipped EayunStack
corosync.conf (both dialects, see files.py) and print what an operator needs to know (nodes,
effective Totem timings, quorum); then run the live steps (live.py: three haclusterd on
127.0.0.1/2/3, CPG, crash/leave/rejoin), the CIB steps (cib.py) and a closing line of
measured figures. Must never send traffic outside 127.0.0.0/8 and never exit without killing
every process group and removing the temp dir it made (also on Ctrl-C and SIGTERM).
Usage: python -m hacluster.demo [--port N] [--seed-timings]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from hacluster.common import HaError, Problem, Severity
from hacluster.config import ClusterConfig, load_config
from hacluster.demo.cib import CibFigures, run_cib_steps
from hacluster.demo.cluster import (
    SEED_PORT,
    DemoCluster,
    DemoFailed,
    choose_port,
    live_config_text,
    port_note,
)
from hacluster.demo.files import MEMBER_CONFIG, NODELIST_CONFIG, data_file
from hacluster.demo.live import (
    Figures,
    step_cpg,
    step_crash_and_rejoin,
    step_form_ring,
    step_leave_and_regain,
)
from hacluster.demo.resources import ResourceFigures, run_resource_steps


def read_cluster(path: Path) -> tuple[ClusterConfig, tuple[Problem, ...]]:
    config, problems = load_config(path.read_text(encoding="utf-8"), str(path))
    if any(p.severity is Severity.ERROR for p in problems):
        raise HaError(problems)
    return config, problems


def describe_nodes(config: ClusterConfig) -> list[str]:
    dialect = ("corosync 1.x/2.x interface member list" if config.node_source.value
               == "interface.member" else config.node_source.value)
    lines = [f"Cluster: {len(config.nodes)} nodes, transport {config.totem.transport},"
             f" members from the {dialect}",
             f"  {'node id':>12}  {'(hex)':>10}  address",]
    for node in config.nodes:
        lines.append(f"  {node.nodeid:>12}  {node.nodeid:#010x}  {', '.join(node.addresses)}"
                     f"{'  ' + node.name if node.name else ''}")
    if config.totem.clear_node_high_bit:
        lines.append("  node ids are the IPv4 addresses as 32-bit numbers, high bit cleared"
                     " (clear_node_high_bit: yes)")
    return lines


def describe_timings(config: ClusterConfig) -> list[str]:
    totem = config.totem
    return [
        "Totem (effective):",
        f"  token {totem.token_ms} ms, token_retransmit {totem.token_retransmit_ms} ms"
        f" (token / ({totem.token_retransmits_before_loss_const} + 0.2)), hold {totem.hold_ms} ms",
        f"  consensus {totem.consensus_ms} ms, join {totem.join_ms} ms, merge {totem.merge_ms}"
        f" ms, downcheck {totem.downcheck_ms} ms",
        f"  max_messages {totem.max_messages} per token visit, window_size"
        f" {totem.window_size}, netmtu {totem.netmtu}",
        f"  a silent node is declared lost after {totem.token_ms} ms without the token;"
        f" a new ring then needs up to {totem.consensus_ms} ms of consensus",
    ]


def describe_quorum(config: ClusterConfig) -> list[str]:
    quorum = config.quorum
    provider = quorum.provider or "not configured (votequorum rules shown)"
    survivable = max(quorum.expected_votes - quorum.quorum, 0)
    return [
        f"Quorum: provider {provider}",
        f"  expected votes {quorum.expected_votes}, quorum {quorum.quorum}:"
        f" the cluster keeps quorum after losing {survivable} node(s)",
    ]


def describe_problems(problems: Sequence[Problem]) -> list[str]:
    if not problems:
        return ["Config: no problems"]
    return ["Config notes:", *(f"  {p}" for p in problems)]


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def heading(number: int, title: str) -> None:
    say("")
    say(f"=== {number}. {title} " + "=" * max(0, 70 - len(title)))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m hacluster.demo",
                                     description="a live 3-node hacluster on 127.0.0.1-3")
    parser.add_argument("--port", type=int, default=int(os.environ.get(
        "HACLUSTER_DEMO_PORT", SEED_PORT)), help="UDP port to try first (default 5405)")
    parser.add_argument("--seed-timings", action="store_true",
                        help="keep the seed's token 3000 / consensus 3600 (slower)")
    return parser.parse_args(argv)


def step_config(path: Path) -> ClusterConfig:
    config, problems = read_cluster(path)
    say(f"the cluster described by {path.name} (shipped in the package: {path})")
    say("")
    for block in (describe_nodes(config), describe_timings(config), describe_quorum(config),
                  describe_problems(problems)):
        for line in block:
            say(line)
        say("")
    return config


def step_other_dialect(path: Path, members: ClusterConfig) -> None:
    """The same cluster in Corosync 2's nodelist dialect: names and ids 1-3, as the CIB has."""
    config, _ = read_cluster(path)
    say(f"the same cluster in the nodelist dialect, {path.name}:")
    for line in describe_nodes(config)[2:]:
        say(line)
    same = [n.addresses for n in config.nodes] == [n.addresses for n in members.nodes]
    say(f"  same addresses as {MEMBER_CONFIG}: {'yes' if same else 'NO'}; the nodelist adds"
        f" token_coefficient, so its effective token is {config.totem.token_ms} ms")
    say("")


def write_live_config(path: Path, workdir: Path, args: argparse.Namespace) -> DemoCluster:
    port = choose_port(args.port)
    text, notes = live_config_text(path.read_text(encoding="utf-8"), port,
                                   fast=not args.seed_timings)
    cluster = DemoCluster.create(workdir, text)
    say(f"for the live part the demo runs a temp copy, {cluster.config}:")
    for note in [port_note(args.port, port), *notes]:
        say(f"  - {note}")
    return cluster


def run_live(cluster: DemoCluster, figures: Figures) -> None:
    heading(2, "three haclusterd on 127.0.0.1/2/3 form one ring")
    step_form_ring(cluster, say, figures)
    heading(3, "CPG: one total order on every node")
    step_cpg(cluster, say, figures)
    heading(4, "failures: crash, rejoin, graceful leave, quorum lost and regained")
    step_crash_and_rejoin(cluster, say, figures)
    step_leave_and_regain(cluster, say, figures)


def summarize(figures: Figures, cib: CibFigures, resources: ResourceFigures, token: str,
              total_s: float) -> None:
    heading(7, "summary")
    say(f"measured on this machine ({token}): ring of 3 in {figures.form_ms} ms;"
        f" after SIGKILL a new ring in {figures.sigkill_ring_ms} ms;"
        f" rejoin in {figures.rejoin_ms} ms;")
    say(f"  after SIGTERM (graceful leave) a new ring in {figures.sigterm_ring_ms} ms;"
        f" lone node-1 inquorate; quorum regained {figures.regain_ms} ms after a restart;")
    say(f"  {figures.cpg_messages} CPG messages in one order on 3 nodes;"
        f" scheduler: {cib.starts_all_up} starts on 3 nodes,"
        f" {len(cib.summary_node_fail)} action(s) when node-3 fails,"
        f" {cib.starts_standby} starts with node-2 in standby.")
    kind = ("the real agents (HAProxy, VIPs in namespaces, ping; stand-ins for OpenStack,"
            " MariaDB, RabbitMQ)" if resources.real else "ocf:heartbeat:Dummy stand-ins")
    say(f"  resources ({kind}): EayunStack CIB settled in {resources.settle_s:.1f} s; vip__public"
        f" moved {resources.holder} -> {resources.new_holder} {resources.failover_ms} ms after"
        f" SIGKILL; the killed node rejoined and settled in {resources.rejoin_s:.1f} s")
    for note in figures.notes:
        say(f"  NOTE: {note}")
    say(f"demo finished in {total_s:.1f} s; every daemon stopped, temp dir removed")


def raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(args: argparse.Namespace, path: Path, workdir: Path) -> int:
    started = time.monotonic()
    heading(1, "the cluster config")
    members = step_config(path)
    step_other_dialect(data_file(NODELIST_CONFIG), members)
    (workdir / "live").mkdir()
    cluster = write_live_config(path, workdir / "live", args)
    live, _ = read_cluster(cluster.config)
    figures = Figures(token_ms=live.totem.token_ms, consensus_ms=live.totem.consensus_ms)
    try:
        run_live(cluster, figures)
    finally:
        cluster.kill_all()
    say("all three daemons stopped")
    heading(5, "the EayunStack CIB: crm_mon, crm_simulate, cibadmin, pcs")
    cib = run_cib_steps(workdir, say)
    heading(6, "the EayunStack resources run: kill the node of vip__public, it recovers")
    (workdir / "resources").mkdir()
    resources = run_resource_steps(workdir / "resources", choose_port(args.port),
                                   not args.seed_timings, say)
    say("all three daemons stopped")
    token = (f"{'seed timings' if args.seed_timings else 'fast timings'}: token"
             f" {figures.token_ms} ms, consensus {figures.consensus_ms} ms")
    summarize(figures, cib, resources, token, time.monotonic() - started)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    path = data_file(MEMBER_CONFIG)
    # SIGINT too: a shell starts background jobs with SIGINT ignored, and Python then keeps it
    # ignored, so Ctrl-C (or a test's SIGINT) would leave the demo and its daemons running.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, raise_interrupt)
    workdir = Path(tempfile.mkdtemp(prefix="hacluster-demo-"))
    try:
        return run(args, path, workdir)
    except HaError as error:
        sys.stderr.write(f"demo: {error}\n")
        return 78
    except DemoFailed as error:
        sys.stderr.write(f"demo: FAILED: {error}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("demo: interrupted; stopping every daemon it started\n")
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
