"""A lab of simulated EayunStack controllers on one host, for the real agents (demo, live tests).

Owns the host plumbing each controller would have on its own machine, built with per-node
names so that several nodes share one kernel (SPEC.md §7): for node i a public and a
management "nic" (a veth whose peer lives in the node's gateway namespace, which holds the
public gateway its ping clone pings), and the per-node names and files the agents must use
(haproxy namespace, veth names, uplink addresses, haproxy config with both VIPs, stand-in
OpenStack daemons). `params()` gives them as {resource: {node: {parameter: value}}}, for a
CIB that hands them to each node through rules on #uname. `power_off` is a node's machine
dying (its processes and namespace go), `down` removes everything the lab's prefix names
(namespaces, links, iptables rules, processes) and restores net.ipv4.ip_forward. Every
address is 10.<net>.x.x or 240.<net>.x.x, and only inside what the lab made. Stdlib only;
`python -m hacluster.agents.lab up|down|power-off|gateway ...` for the demo (JSON on stdout).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from hacluster.agents import netns, procs
from hacluster.agents.openstack import prepare_standins

HTTP_PORT = 8080
TABLES = ("filter", "nat", "mangle")


@dataclass(frozen=True)
class Lab:
    """`prefix` (at most 8 characters, e.g. 'hcl-d') names every namespace and link;
    `net` is the second octet of every address; `root` holds files (readable by `user`)."""

    prefix: str
    net: int
    root: Path
    nodes: int = 3
    user: str = "nobody"

    def base(self, i: int) -> str:
        return f"{self.prefix}{i}"

    def haproxy_ns(self, i: int) -> str:
        return f"{self.base(i)}-haproxy"

    def gw_ns(self, i: int) -> str:
        return f"{self.base(i)}-gw"

    def vip(self, kind: str) -> str:
        return f"10.{self.net}.{0 if kind == 'public' else 1}.2"

    def gateway(self, i: int) -> str:
        return f"10.{self.net}.{10 + i}.1"

    def node_dir(self, i: int) -> Path:
        return self.root / f"node-{i}"


def nic_plan(lab: Lab, i: int) -> list[tuple[str, str, str]]:
    """(nic, its address/prefix, the peer's address/prefix in the gateway namespace)."""
    return [(f"{lab.base(i)}-ex", f"10.{lab.net}.{10 + i}.2/24", f"{lab.gateway(i)}/24"),
            (f"{lab.base(i)}-mg", f"10.{lab.net}.{20 + i}.2/24", f"10.{lab.net}.{20 + i}.1/24")]


def make_node(lab: Lab, i: int) -> None:
    """Node i's nics (carrier up, one address each) wired into its gateway namespace."""
    netns.ensure_namespace(lab.gw_ns(i))
    for nic, address, peer_address in nic_plan(lab, i):
        peer = f"{nic}p"
        if netns.link(nic) is None:
            netns.ip(None, "link", "add", nic, "type", "veth", "peer", "name", peer)
            netns.ip(None, "link", "set", peer, "netns", lab.gw_ns(i))
        netns.ip(None, "addr", "replace", address, "dev", nic)
        netns.ip(None, "link", "set", nic, "up")
        netns.ip(lab.gw_ns(i), "addr", "replace", peer_address, "dev", peer)
        netns.ip(lab.gw_ns(i), "link", "set", peer, "up")


def haproxy_config(lab: Lab, i: int) -> Path:
    path = lab.node_dir(i) / "haproxy.cfg"
    path.write_text(f"""global
    pidfile {lab.node_dir(i) / 'haproxy.pid'}
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend vips
    bind {lab.vip('public')}:{HTTP_PORT}
    bind {lab.vip('management')}:{HTTP_PORT}
    http-request return status 200 content-type text/plain string "served by node-{i}"
""")
    return path


def vip_params(lab: Lab, i: int, kind: str) -> dict[str, str]:
    short, mark = ("ex", "0x2a") if kind == "public" else ("mg", "0x2b")
    nic, base = f"{lab.base(i)}-{short}", f"{lab.base(i)}-{short}h"
    rule = (f"iptables -t mangle -{{op}} PREROUTING -i {base} -j MARK --set-mark {mark} ;"
            f" iptables -t nat -{{op}} POSTROUTING -m mark --mark {mark} ! -o {nic}"
            " -j MASQUERADE")
    return {"nic": nic, "base_veth": base, "ns_veth": f"{lab.base(i)}-h{short[0]}",
            "ns": lab.haproxy_ns(i), "ip": lab.vip(kind),
            "iptables_start_rules": rule.format(op="I"),
            "iptables_stop_rules": rule.format(op="D")}


def node_params(lab: Lab, i: int) -> dict[str, dict[str, str]]:
    """{resource id: {parameter: value}} for node i."""
    out = {"vip__public": vip_params(lab, i, "public"),
           "vip__management": vip_params(lab, i, "management"),
           "ping_vip__public": {"host_list": lab.gateway(i)},
           "p_haproxy": {"ns": lab.haproxy_ns(i), "conffile": str(haproxy_config(lab, i)),
                         "host_interface": f"{lab.base(i)}-hh",
                         "namespace_interface": f"{lab.base(i)}-hn",
                         "host_ip": f"240.{lab.net}.{i}.1",
                         "namespace_ip": f"240.{lab.net}.{i}.2"}}
    standins = prepare_standins(lab.node_dir(i), lab.user)
    for rsc, agent in OPENSTACK_RESOURCES.items():
        out[rsc] = standins[agent]
    return out


OPENSTACK_RESOURCES = MappingProxyType({
    "p_openstack-heat-engine": "heat-engine",
    "p_openstack-ceilometer-central": "ceilometer-agent-central",
    "p_openstack-ceilometer-alarm-evaluator": "ceilometer-alarm-evaluator",
    "p_neutron-openvswitch-agent": "neutron-agent-ovs",
    "p_neutron-dhcp-agent": "neutron-agent-dhcp",
    "p_neutron-metadata-agent": "neutron-agent-metadata",
    "p_neutron-l3-agent": "neutron-agent-l3",
    "p_neutron-lbaas-agent": "neutron-agent-lbaas",
})


def up(lab: Lab) -> dict[str, dict[str, dict[str, str]]]:
    """Build every node's plumbing and files; {resource: {node name: params}}. A failure
    takes down what was made and raises NetError."""
    lab.root.mkdir(parents=True, exist_ok=True)
    saved = lab.root / "ip_forward.saved"
    if not saved.exists():
        saved.write_text(netns.get_sysctl("net.ipv4.ip_forward"))
    out: dict[str, dict[str, dict[str, str]]] = {}
    try:
        for net in fences(lab):
            netns.ip(None, "route", "replace", "unreachable", net)
        for i in range(1, lab.nodes + 1):
            lab.node_dir(i).mkdir(parents=True, exist_ok=True)
            lab.node_dir(i).chmod(0o755)
            make_node(lab, i)
            for rsc, params in node_params(lab, i).items():
                out.setdefault(rsc, {})[f"node-{i}"] = params
    except (netns.NetError, OSError):
        down(lab)
        raise
    return out


def fences(lab: Lab) -> tuple[str, str]:
    """The lab's address ranges: unreachable on the host unless a lab route is more
    specific, so a packet to a VIP that is down never leaves through the default route."""
    return f"10.{lab.net}.0.0/16", f"240.{lab.net}.0.0/16"


def kill_node_processes(lab: Lab, i: int) -> None:
    """SIGKILL what runs in node i's namespaces and its stand-in daemons."""
    pids: set[int] = set()
    for ns in (lab.haproxy_ns(i), lab.gw_ns(i)):
        if netns.ns_exists(ns):
            pids.update(netns.namespace_pids(ns))
    pids.update(procs.find_processes(str(lab.node_dir(i) / "bin") + "/"))
    pids -= procs.own_lineage()
    for pid in sorted(pids):
        procs.signal_pid(pid, signal.SIGKILL)
    procs.wait_gone(sorted(pids), 5.0)


def power_off(lab: Lab, i: int) -> None:
    """Node i's machine dies: its processes and VIP namespace go (the VIP and its veth
    pairs with it); its nics stay, as switch ports would."""
    kill_node_processes(lab, i)
    netns.delete_namespace(lab.haproxy_ns(i))


def set_gateway(lab: Lab, i: int, reachable: bool) -> None:
    """Make node i's public gateway answer ping, or not (its address goes; carrier stays)."""
    peer = f"{nic_plan(lab, i)[0][0]}p"
    verb = "replace" if reachable else "del"
    netns.ip(lab.gw_ns(i), "addr", verb, f"{lab.gateway(i)}/24", "dev", peer,
             check=reachable)


def lab_rules(lab: Lab) -> list[tuple[str, list[str]]]:
    """(table, rule spec) of every iptables rule that names the lab's links or addresses."""
    marks = (lab.prefix, f"240.{lab.net}.")
    found = []
    for table in TABLES:
        for line in netns.iptables_rules(table):
            if line.startswith("-A ") and any(mark in line for mark in marks):
                found.append((table, shlex.split(line)[1:]))
    return found


def down(lab: Lab) -> None:
    """Remove every process, namespace, link and rule of the lab; restore ip_forward."""
    for i in range(1, lab.nodes + 1):
        kill_node_processes(lab, i)
    for ns in netns.list_namespaces():
        if ns.startswith(lab.prefix):
            netns.delete_namespace(ns)
    for entry in json.loads(netns.ip(None, "-j", "link", "show", check=False) or "[]"):
        if str(entry.get("ifname", "")).startswith(lab.prefix):
            netns.ip(None, "link", "delete", entry["ifname"], check=False)
    for net in fences(lab):
        netns.ip(None, "route", "delete", "unreachable", net, check=False)
    for table, spec in lab_rules(lab):
        netns.run(["iptables", "-w", "-t", table, "-D", *spec], check=False)
    saved = lab.root / "ip_forward.saved"
    if saved.exists():
        netns.set_sysctl("net.ipv4.ip_forward", saved.read_text().strip())
        saved.unlink()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m hacluster.agents.lab")
    parser.add_argument("command", choices=("up", "down", "power-off", "gateway"))
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--net", type=int, required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--user", default="nobody")
    parser.add_argument("--node", type=int, default=0)
    parser.add_argument("--reachable", choices=("yes", "no"), default="yes")
    args = parser.parse_args(argv)
    if len(args.prefix) > 8 or not args.prefix.startswith("hcl-"):
        parser.error("--prefix must start with 'hcl-' and have at most 8 characters")
    if not 1 <= args.net <= 254:
        parser.error("--net must be 1-254")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    lab = Lab(args.prefix, args.net, Path(args.root), args.nodes, args.user)
    try:
        if args.command == "up":
            sys.stdout.write(json.dumps(up(lab), sort_keys=True) + "\n")
        elif args.command == "down":
            down(lab)
        elif args.command == "power-off":
            power_off(lab, args.node)
        else:
            set_gateway(lab, args.node, args.reachable == "yes")
    except (netns.NetError, OSError) as error:
        sys.stderr.write(f"lab {args.command}: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
