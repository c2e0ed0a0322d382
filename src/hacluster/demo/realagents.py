"""The demo's real agents: the shipped ns_IPaddr2, ping, ns_haproxy (with the real HAProxy)
and OpenStack agents (with the stand-in daemon) run the EayunStack CIB on three local nodes.

Owns deciding whether they can run here (root, iproute2, haproxy; else the caller falls
back to ocf:heartbeat:Dummy and says why), the lab (hacluster.agents.lab, run as a
process: per-node namespaces, nics, gateways, stand-in daemons under the `hcl-demo` names),
and the CIB the nodes get: every per-node value handed to its node by an
instance_attributes set with a rule on #uname, as one would in Pacemaker; MariaDB/Galera
and RabbitMQ stay stand-ins (too heavy for a demo that must stay short), named in the
output. Must never send traffic outside 127.0.0.0/8 and the lab's namespaces, and never
leave a namespace, link, rule or process behind (`LabHandle.down`, safe to call twice).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lxml import etree

from hacluster.demo.cluster import DemoFailed

PREFIX = "hcl-dm"
NET = 231
HEAVY = MappingProxyType({"p_mysql": "MariaDB + Galera", "p_rabbitmq-server": "RabbitMQ"})
DUMMY = ("ocf", "heartbeat", "Dummy")
DEMO_DAMPEN = "5s"
Params = dict[str, dict[str, dict[str, str]]]


def why_not_real() -> str:
    """'' when the real agents can run here, else the reason they cannot."""
    if os.geteuid() != 0:
        return "not root: network namespaces and the VIPs need root"
    for tool in ("ip", "iptables", "haproxy", "ping"):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            return f"{tool} is not installed"
    return ""


@dataclass
class LabHandle:
    """The lab made for this demo run: its root dir and whether it is (still) up."""

    root: Path
    is_up: bool = False

    def run(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "hacluster.agents.lab", *args,
                               "--prefix", PREFIX, "--net", str(NET), "--root",
                               str(self.root)], capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise DemoFailed(f"lab {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def up(self) -> Params:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # the stand-in daemons run as nobody (the caller opens the
        self.is_up = True       # dirs above it)
        params: Params = json.loads(self.run("up"))
        return params

    def power_off(self, index: int) -> None:
        self.run("power-off", "--node", str(index))

    def down(self) -> None:
        if self.is_up:
            self.is_up = False
            self.run("down")


def rule_block(rsc: str, node: str, params: dict[str, str]) -> Any:
    """<instance_attributes> that count only on `node` (a rule on #uname)."""
    block_id = f"{rsc}-params-{node}"
    block = etree.Element("instance_attributes", id=block_id, score="10")
    rule = etree.SubElement(block, "rule", id=f"{block_id}-rule", score="0")
    etree.SubElement(rule, "expression", id=f"{block_id}-expr", attribute="#uname",
                     operation="eq", value=node)
    for name, value in sorted(params.items()):
        etree.SubElement(block, "nvpair", id=f"{block_id}-{name}", name=name, value=value)
    return block


def real_configuration(cib_path: Path, params: Params) -> tuple[str, list[str]]:
    """The EayunStack configuration with per-node parameter sets; the heavy services'
    primitives become Dummy; second: one note per change."""
    root = etree.parse(str(cib_path), etree.XMLParser(resolve_entities=False,
                                                      no_network=True)).getroot()
    notes = []
    for prim in root.iter("primitive"):
        rid = str(prim.get("id"))
        if rid in HEAVY:
            notes.append(f"{rid}: ocf:{prim.get('provider')}:{prim.get('type')} ->"
                         f" ocf:heartbeat:Dummy ({HEAVY[rid]} is too heavy for this demo;"
                         " the agent runs it for real in tests/agents)")
            prim.set("class", DUMMY[0])
            prim.set("provider", DUMMY[1])
            prim.set("type", DUMMY[2])
            for block in prim.findall("instance_attributes"):
                prim.remove(block)
            continue
        for node, values in sorted(params.get(rid, {}).items()):
            prim.insert(0, rule_block(rid, node, values))
        if rid == "ping_vip__public":
            for pair in prim.iterfind("instance_attributes/nvpair[@name='dampen']"):
                notes.append(f"{rid}: dampen {pair.get('value')} -> {DEMO_DAMPEN} (a shorter"
                             " wait before pingd is written)")
                pair.set("value", DEMO_DAMPEN)
    config = root.find("configuration")
    assert config is not None, "the shipped CIB has a configuration"
    return etree.tostring(config).decode(), notes


def describe(params: Params) -> list[str]:
    """What the lab gives node-1, as an operator would want to see it."""
    vip, proxy = params["vip__public"]["node-1"], params["p_haproxy"]["node-1"]
    return [
        f"vip__public {vip['ip']}, vip__management {params['vip__management']['node-1']['ip']}"
        f": each node has its own names, e.g. node-1 uses namespace {vip['ns']}, nic"
        f" {vip['nic']}, veth {vip['base_veth']}<->{vip['ns_veth']}, haproxy uplink"
        f" {proxy['host_interface']} {proxy['host_ip']}",
        f"ping_vip__public pings each node's own gateway (node-1:"
        f" {params['ping_vip__public']['node-1']['host_list']}, in namespace {PREFIX}1-gw)",
        "ns_haproxy runs the real /usr/sbin/haproxy in each node's namespace, answering"
        " 'served by node-N' on both VIPs, port 8080",
        "the OpenStack agents (heat, ceilometer, neutron, lbaas) are the real agents, each"
        " running the stand-in daemon (hacluster.agents.standin_daemon) as user nobody:"
        " the 2015 OpenStack services are not in Debian",
        "these per-node values reach each node through instance_attributes with a rule on"
        " #uname (one CIB, as Pacemaker would do it)",
    ]


def served_by(address: str, port: int = 8080, timeout_s: float = 0.5) -> str:
    """'node-N' when HAProxy answers on the VIP, '' when nothing does."""
    connection = http.client.HTTPConnection(address, port, timeout=timeout_s)  # no proxy
    try:
        connection.request("GET", "/")
        text = connection.getresponse().read(200).decode(errors="replace")
    except (http.client.HTTPException, OSError):
        return ""
    finally:
        connection.close()
    return text.rsplit(" ", 1)[-1].strip() if text.startswith("served by") else ""
