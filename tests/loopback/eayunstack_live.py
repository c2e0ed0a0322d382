"""The EayunStack cluster live for the scenario tests: three haclusterd on 127.0.0.1-3 with
the real agents on a lab of three simulated controllers (hacluster.agents.lab).

Owns building it (root only; the lab's names start with `hcl-<pid % 1000>`, one lab per run), the CIB the nodes get
(the demo's per-node configuration, see hacluster.demo.realagents, with faster ping and
haproxy monitors so that scenarios take seconds, not minutes), and the questions the
scenarios ask: where a resource runs (our crm_resource --locate), who answers HTTP on a
VIP, whether the cluster has settled (our crm_simulate -L plans nothing), fail counts.
Tearing down kills every daemon and process it started and removes the lab.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import pick_port
from lxml import etree

from hacluster.agents import lab as labmod
from hacluster.demo.cluster import DemoCluster, live_config_text
from hacluster.demo.files import data_file
from hacluster.demo.realagents import real_configuration, served_by
from hacluster.demo.resources import is_settled

# Per run: several engineers' `make test` may run this module at once on one host.
LAB = labmod.Lab(f"hcl-{os.getpid() % 1000:03d}", 100 + os.getpid() % 100, Path("/nonexistent"))
VIP_PUBLIC, VIP_MANAGEMENT = LAB.vip("public"), LAB.vip("management")
FAST_MONITORS = {"ping_vip__public": "5s", "p_haproxy": "5s"}
LOCATED = re.compile(r"is running on: (\S+)")


def why_skip() -> str:
    if os.geteuid() != 0:
        return "needs root (network namespaces, VIPs, HAProxy)"
    for tool in ("ip", "iptables", "haproxy", "ping", "crm_verify"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return ""


def wait_until(predicate: Callable[[], Any], timeout_s: float, poll_s: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(poll_s)


def scenario_configuration(params: dict[str, dict[str, dict[str, str]]]) -> str:
    config, _ = real_configuration(data_file("eayunstack-cib.xml"), params)
    root = etree.fromstring(config)
    for rid, interval in FAST_MONITORS.items():
        for op in root.iterfind(f".//primitive[@id='{rid}']/operations/op[@name='monitor']"):
            op.set("interval", interval)
    return etree.tostring(root).decode()


@dataclass
class Live:
    """The running cluster and lab, and the questions scenarios ask of them."""

    cluster: DemoCluster
    lab: labmod.Lab
    root: Path

    def tool(self, *argv: str, node: int = 0) -> subprocess.CompletedProcess[str]:
        """Our CLI `argv` on node `node`, by default on a running member: a powered-off
        node's daemon answers nothing (asking it made A13 read "not running anywhere"
        whenever the VIP had been on node-1)."""
        return self.cluster.tool(node or self.quiet_node(), *argv)

    def locate(self, rsc: str) -> list[str]:
        done = self.tool("crm_resource", "--locate", "--resource", rsc)
        return sorted(LOCATED.findall(done.stdout))

    def settled(self, timeout_s: float = 120) -> bool:
        return bool(wait_until(lambda: self.quiet_node() and is_settled(
            self.cluster, self.quiet_node()), timeout_s, 0.5))

    def quiet_node(self) -> int:
        """A running member to ask (node-1 unless it is down)."""
        return next((i for i in (1, 2, 3) if self.cluster.node(i).is_running()), 0)

    def served(self, vip: str = VIP_PUBLIC) -> str:
        return served_by(vip, timeout_s=1.0)

    def active_lines(self, skip: str = "") -> list[str]:
        """crm_mon's resource lines (the ones naming where things run), minus `skip`."""
        out = self.tool("crm_mon", "-1").stdout
        body = out.split("Active Resources:")[-1].split("Failed Resource Actions:")[0]
        return [line.strip() for line in body.splitlines()
                if line.strip() and (not skip or skip not in line)]

    def power_off(self, index: int) -> None:
        """Node `index`'s machine dies: its daemon, its processes, its VIP namespace."""
        self.cluster.signal(index, signal.SIGKILL)
        self.cluster.wait_exit(index)
        labmod.power_off(self.lab, index)
        shutil.rmtree(self.cluster.node(index).state_dir / "rsctmp", ignore_errors=True)

    def logs(self) -> str:
        return self.cluster.logs()


def live_cluster() -> Iterator[Live]:
    """The body of a module fixture: build, yield, always tear down."""
    reason = why_skip()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="hcl-live-"))
    root.chmod(0o755)  # the stand-in daemons run as nobody
    lab = labmod.Lab(LAB.prefix, LAB.net, root / "lab")
    text, _ = live_config_text(data_file("corosync.nodelist.conf").read_text(),
                               pick_port("eayunstack-live"), fast=False)
    cluster = DemoCluster.create(root, text)
    try:
        params = labmod.up(lab)
        for index in (1, 2, 3):
            cluster.start(index)
        assert wait_until(lambda: cluster.ring_of((1, 2, 3)), 30), cluster.logs()
        path = root / "configuration.xml"
        path.write_text(scenario_configuration(params))
        done = cluster.tool(1, "cibadmin", "--replace", "-o", "configuration", "--xml-file",
                            str(path))
        assert done.returncode == 0, done.stderr
        live = Live(cluster, lab, root)
        # vip__public may only run where pingd > 0, and ping publishes pingd only after its
        # dampen delay: a transition can complete before that with the VIP still stopped.
        # Every scenario (also one run alone, -k) starts from the settled, VIP-serving cluster.
        assert wait_until(lambda: live.locate("vip__public") and live.settled(5), 240,
                          1.0), live.logs()
        yield live
    finally:
        cluster.kill_all()
        labmod.down(lab)
        if not os.environ.get("HACLUSTER_KEEP_LIVE"):  # set it to read the logs and CIBs after
            shutil.rmtree(root, ignore_errors=True)
