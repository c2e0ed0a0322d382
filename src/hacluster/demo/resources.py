"""The demo's resource part: the EayunStack CIB runs on three live haclusterd, the node
holding vip__public is killed, the survivors recover its resources, and it rejoins.

Owns: the stand-in CIB (every EayunStack primitive becomes ocf:heartbeat:Dummy, because the
real agents would touch real addresses and services, which a demo on one machine must never
do; ids, clones, groups, constraints and operations stay as they are), waiting until the
cluster has nothing left to do (our crm_simulate -L plans no action), and the failover
timing, taken from the Dummy state files each node keeps under its own HA_RSCTMP. Must
never send traffic outside 127.0.0.0/8; the caller kills every process it started.
"""

from __future__ import annotations

import re
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from hacluster.demo.cluster import DemoCluster, DemoFailed, live_config_text, wait_until
from hacluster.demo.files import data_file

Say = Callable[[str], None]
STAND_IN = ("ocf", "heartbeat", "Dummy")
WATCHED = "vip__public"


@dataclass
class ResourceFigures:
    settle_s: float = 0.0
    holder: str = ""
    failover_ms: int = 0
    new_holder: str = ""
    rejoin_s: float = 0.0


def stand_in_configuration(cib_path: Path) -> tuple[str, list[str]]:
    """The EayunStack configuration section with every primitive's agent replaced by
    Dummy; second: one note per replaced agent."""
    root = etree.parse(str(cib_path), etree.XMLParser(resolve_entities=False,
                                                      no_network=True)).getroot()
    notes = []
    for prim in root.iter("primitive"):
        agent = f"{prim.get('class')}:{prim.get('provider')}:{prim.get('type')}"
        notes.append(f"{prim.get('id')}: {agent} -> ocf:heartbeat:Dummy")
        prim.set("class", STAND_IN[0])
        prim.set("provider", STAND_IN[1])
        prim.set("type", STAND_IN[2])
    for location in list(root.iterfind(".//rsc_location")):
        parent = location.getparent()
        if location.find("rule/expression[@attribute='pingd']") is not None and parent is not None:
            notes.append(f"constraint {location.get('id')} dropped: the stand-in ping"
                         " measures nothing, so pingd would never be set")
            parent.remove(location)
    config = root.find("configuration")
    assert config is not None, "the shipped CIB has a configuration"
    return etree.tostring(config).decode(), notes


def running_on(cluster: DemoCluster, rsc: str, indexes: tuple[int, ...]) -> list[str]:
    """Nodes whose own HA_RSCTMP holds the Dummy state file of `rsc`."""
    return [f"node-{i}" for i in indexes
            if (cluster.node(i).state_dir / "rsctmp" / f"Dummy-{rsc}.state").exists()]


def is_settled(cluster: DemoCluster, index: int) -> bool:
    shown = cluster.tool(index, "crm_simulate", "-L", "-S")
    if shown.returncode != 0 or "Executing Cluster Transition:" not in shown.stdout:
        return False
    executing = shown.stdout.split("Executing Cluster Transition:")[1].split("Revised")[0]
    return not executing.strip()


def show(cluster: DemoCluster, say: Say, index: int, *argv: str) -> str:
    done = cluster.tool(index, *argv)
    say(f"$ {' '.join(argv)}    (on node-{index})")
    for line in (done.stdout + done.stderr).rstrip().splitlines():
        say(f"  {line}")
    return done.stdout


def start_cluster(workdir: Path, port: int, fast: bool, say: Say) -> DemoCluster:
    text, _ = live_config_text(data_file("corosync.nodelist.conf").read_text(encoding="utf-8"),
                               port, fast)
    cluster = DemoCluster.create(workdir, text)
    for index in (1, 2, 3):
        cluster.start(index)
    if not wait_until(lambda: cluster.ring_of((1, 2, 3)), 30, 0.05):
        raise DemoFailed(f"no ring of three nodes\n{cluster.logs()}")
    say("three haclusterd (the nodelist dialect: node-1..3, ids 1-3) formed one ring")
    return cluster


def load_cib(cluster: DemoCluster, workdir: Path, say: Say) -> None:
    config, notes = stand_in_configuration(data_file("eayunstack-cib.xml"))
    path = workdir / "eayunstack-configuration.xml"
    path.write_text(config, encoding="utf-8")
    say("stand-in agents (the real ones would touch real addresses and services; a demo"
        " on one machine runs ocf:heartbeat:Dummy in their place, each node with its own"
        " HA_RSCTMP):")
    for note in notes:
        say(f"  {note}")
    done = cluster.tool(1, "cibadmin", "--replace", "-o", "configuration", "--xml-file",
                        str(path))
    if done.returncode != 0:
        raise DemoFailed(f"cibadmin --replace failed: {done.stderr}")
    say("$ cibadmin --replace -o configuration --xml-file eayunstack-configuration.xml: ok")


def step_failover(cluster: DemoCluster, say: Say, figures: ResourceFigures) -> int:
    located = show(cluster, say, 1, "crm_resource", "--locate", "--resource", WATCHED)
    match = re.search(r"running on: (node-\d)", located)
    holders = running_on(cluster, WATCHED, (1, 2, 3))
    holder = match.group(1) if match else (holders[0] if holders else "")
    if not holder:
        raise DemoFailed(f"{WATCHED} runs nowhere\n{cluster.logs()}")
    figures.holder = holder
    victim = int(holder[-1])
    survivors = tuple(i for i in (1, 2, 3) if i != victim)
    say(f"SIGKILL of every process of {holder} (its resources die with it: its HA_RSCTMP"
        " is wiped, as a power loss would)")
    cluster.signal(victim, signal.SIGKILL)
    shutil.rmtree(cluster.node(victim).state_dir / "rsctmp", ignore_errors=True)
    killed = time.monotonic()
    moved = wait_until(lambda: running_on(cluster, WATCHED, survivors), 30, 0.002)
    if not moved:
        raise DemoFailed(f"{WATCHED} did not start on a survivor\n{cluster.logs()}")
    figures.failover_ms = round((time.monotonic() - killed) * 1000)
    figures.new_holder = moved[0]
    say(f"{WATCHED} started on {moved[0]} {figures.failover_ms} ms after the SIGKILL")
    return victim


def run_resource_steps(workdir: Path, port: int, fast: bool, say: Say) -> ResourceFigures:
    figures = ResourceFigures()
    cluster = start_cluster(workdir, port, fast, say)
    try:
        load_cib(cluster, workdir, say)
        started = time.monotonic()
        if not wait_until(lambda: is_settled(cluster, 1), 90, 0.3):
            raise DemoFailed(f"the cluster did not settle\n{cluster.logs()}")
        figures.settle_s = time.monotonic() - started
        say(f"settled {figures.settle_s:.1f} s after the load (crm_simulate -L plans nothing)")
        show(cluster, say, 1, "crm_mon", "-1")
        victim = step_failover(cluster, say, figures)
        survivor = 1 if victim != 1 else 2
        wait_until(lambda: is_settled(cluster, survivor), 60, 0.3)
        show(cluster, say, survivor, "crm_mon", "-1")
        say(f"restarting node-{victim}")
        cluster.start(victim)
        rejoin = time.monotonic()
        if not wait_until(lambda: cluster.ring_of((1, 2, 3)), 30, 0.05) or \
                not wait_until(lambda: is_settled(cluster, survivor), 60, 0.3):
            raise DemoFailed(f"node-{victim} did not rejoin\n{cluster.logs()}")
        figures.rejoin_s = time.monotonic() - rejoin
        say(f"node-{victim} rejoined and the cluster settled in {figures.rejoin_s:.1f} s")
        show(cluster, say, victim, "crm_mon", "-1")
    finally:
        cluster.kill_all()
    return figures
