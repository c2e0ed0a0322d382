"""The demo's resource part: the EayunStack CIB runs on three live haclusterd, the node
holding vip__public is killed, the survivors recover its resources, and it rejoins.

Owns the order of that part and its two ways to run: with the real agents when it can
(root; see realagents.py: real VIPs in per-node namespaces, the real HAProxy, ping, the
OpenStack agents with a stand-in daemon; failover timed by HTTP on the VIP) or else with
ocf:heartbeat:Dummy for every agent (ids, clones, constraints and operations unchanged;
failover timed from the Dummy state files each node keeps under its own HA_RSCTMP), saying
which and why; waiting until the cluster has nothing left to do (our crm_simulate -L plans
no action). Must never send traffic outside 127.0.0.0/8 and the lab's namespaces; every
process it started and the lab are gone when it returns, also on an error.
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
from hacluster.demo.realagents import (
    LabHandle,
    Params,
    describe,
    real_configuration,
    served_by,
    why_not_real,
)

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
    real: bool = False


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


def load_configuration(cluster: DemoCluster, workdir: Path, config: str, say: Say) -> None:
    path = workdir / "eayunstack-configuration.xml"
    path.write_text(config, encoding="utf-8")
    done = cluster.tool(1, "cibadmin", "--replace", "-o", "configuration", "--xml-file",
                        str(path))
    if done.returncode != 0:
        raise DemoFailed(f"cibadmin --replace failed: {done.stderr}")
    say("$ cibadmin --replace -o configuration --xml-file eayunstack-configuration.xml: ok")


def load_stand_in_cib(cluster: DemoCluster, workdir: Path, reason: str, say: Say) -> None:
    config, notes = stand_in_configuration(data_file("eayunstack-cib.xml"))
    say(f"stand-in agents ({reason}; the demo runs ocf:heartbeat:Dummy in their place,"
        " each node with its own HA_RSCTMP):")
    for note in notes:
        say(f"  {note}")
    load_configuration(cluster, workdir, config, say)


def load_real_cib(cluster: DemoCluster, workdir: Path, params: Params, say: Say) -> None:
    config, notes = real_configuration(data_file("eayunstack-cib.xml"), params)
    say("the real agents, on a lab of three simulated controllers on this host:")
    for line in describe(params) + notes:
        say(f"  {line}")
    load_configuration(cluster, workdir, config, say)


def located(cluster: DemoCluster) -> bool:
    """crm_resource --locate finds the watched resource running somewhere."""
    done = cluster.tool(1, "crm_resource", "--locate", "--resource", WATCHED)
    return "running on:" in done.stdout


def locate_holder(cluster: DemoCluster, say: Say) -> str:
    located = show(cluster, say, 1, "crm_resource", "--locate", "--resource", WATCHED)
    match = re.search(r"running on: (node-\d)", located)
    holders = running_on(cluster, WATCHED, (1, 2, 3))
    holder = match.group(1) if match else (holders[0] if holders else "")
    if not holder:
        raise DemoFailed(f"{WATCHED} runs nowhere\n{cluster.logs()}")
    return holder


def step_failover(cluster: DemoCluster, say: Say, figures: ResourceFigures,
                  lab: LabHandle | None, vip: str) -> int:
    holder = figures.holder = locate_holder(cluster, say)
    victim = int(holder[-1])
    survivors = tuple(i for i in (1, 2, 3) if i != victim)
    if lab is not None:
        say(f"$ curl http://{vip}:8080/  ->  served by {served_by(vip) or 'NOBODY'}")
        say(f"SIGKILL of every process of {holder}, and its machine powered off (lab"
            " power-off: its HAProxy, stand-in daemons and VIP namespace go with it)")
    else:
        say(f"SIGKILL of every process of {holder} (its resources die with it: its"
            " HA_RSCTMP is wiped, as a power loss would)")
    cluster.signal(victim, signal.SIGKILL)
    killed = time.monotonic()
    if lab is not None:
        lab.power_off(victim)
    shutil.rmtree(cluster.node(victim).state_dir / "rsctmp", ignore_errors=True)
    names = [f"node-{i}" for i in survivors]
    moved = wait_until(lambda: ([n] if (n := served_by(vip, timeout_s=0.2)) in names else [])
                       if lab is not None else running_on(cluster, WATCHED, survivors),
                       60, 0.002)
    if not moved:
        raise DemoFailed(f"{WATCHED} did not start on a survivor\n{cluster.logs()}")
    figures.failover_ms = round((time.monotonic() - killed) * 1000)
    figures.new_holder = moved[0]
    say(f"{WATCHED} started on {moved[0]} {figures.failover_ms} ms after the SIGKILL"
        + (f" (http://{vip}:8080/ answers 'served by {moved[0]}')" if lab is not None else ""))
    return victim


def step_rejoin(cluster: DemoCluster, say: Say, figures: ResourceFigures, victim: int) -> None:
    survivor = 1 if victim != 1 else 2
    wait_until(lambda: is_settled(cluster, survivor), 60, 0.3)
    show(cluster, say, survivor, "crm_mon", "-1")
    say(f"restarting node-{victim}")
    cluster.start(victim)
    rejoin = time.monotonic()
    if not wait_until(lambda: cluster.ring_of((1, 2, 3)), 30, 0.05) or \
            not wait_until(lambda: is_settled(cluster, survivor), 90, 0.3):
        raise DemoFailed(f"node-{victim} did not rejoin\n{cluster.logs()}")
    figures.rejoin_s = time.monotonic() - rejoin
    say(f"node-{victim} rejoined and the cluster settled in {figures.rejoin_s:.1f} s")
    show(cluster, say, victim, "crm_mon", "-1")


def run_resource_steps(workdir: Path, port: int, fast: bool, say: Say) -> ResourceFigures:
    figures = ResourceFigures()
    reason = why_not_real()
    lab = LabHandle(workdir / "lab") if not reason else None
    if lab is not None and fast:
        say("the real agents keep this 2-core host busy while they start (a Python process"
            " per action): this part runs the seed's token 3000 ms / consensus 3600 ms, so"
            " a starved daemon does not lose the token and split the ring (a crashed"
            " node is still noticed at once: its host answers the token with ICMP)")
        fast = False
    cluster = start_cluster(workdir, port, fast, say)
    try:
        vip = ""
        if lab is not None:
            for path in (workdir.parent, workdir):
                path.chmod(0o755)  # the stand-in daemons run as nobody and must reach lab/
            params = lab.up()
            vip = params["vip__public"]["node-1"]["ip"]
            figures.real = True
            load_real_cib(cluster, workdir, params, say)
        else:
            load_stand_in_cib(cluster, workdir, reason, say)
        started = time.monotonic()
        # vip__public may only run where pingd > 0, and ping publishes pingd only after its
        # dampen delay: a transition can be complete before that, with the VIP still stopped.
        if not wait_until(lambda: is_settled(cluster, 1) and located(cluster), 120, 0.3):
            raise DemoFailed(f"the cluster did not settle with {WATCHED} running"
                             f"\n{cluster.logs()}")
        figures.settle_s = time.monotonic() - started
        say(f"settled {figures.settle_s:.1f} s after the load (crm_simulate -L plans nothing,"
            f" {WATCHED} runs)")
        show(cluster, say, 1, "crm_mon", "-1")
        victim = step_failover(cluster, say, figures, lab, vip)
        step_rejoin(cluster, say, figures, victim)
        if lab is not None:
            say(f"$ curl http://{vip}:8080/  ->  served by {served_by(vip) or 'NOBODY'}")
    finally:
        cluster.kill_all()
        if lab is not None:
            lab.down()
            say("lab removed: its namespaces, links, iptables rules and processes are gone")
    return figures
