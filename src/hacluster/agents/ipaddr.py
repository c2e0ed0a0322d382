"""ocf:mirantis:ns_IPaddr2: a VIP inside a network namespace, reached through a veth pair.

Owns SPEC.md §6.1: start makes the namespace (`ns`), the veth pair `base_veth` <-> `ns_veth`
with proxy-ARP on `nic`, the VIP on `ns_veth`, the host route to it, the namespace default
route, gratuitous ARPs and the iptables rules; stop deletes the veth pair (so the VIP goes),
the ARP helper and the rules, and leaves the namespace for haproxy. A start that fails
undoes everything it made, the namespace too when it made it. Must never touch links other
than `base_veth`/`ns_veth` nor send traffic beyond `nic`'s own subnet.
"""

from __future__ import annotations

import ipaddress
import os
import platform
import subprocess
import time

from hacluster.agents import netns, procs
from hacluster.agents.ocf import (
    Action,
    Agent,
    AgentError,
    AgentInfo,
    Env,
    Parameter,
    Rc,
    find_binary,
    integer,
    is_true,
    log,
    require,
)

SEND_ARP = "/usr/libexec/heartbeat/send_arp"

INFO = AgentInfo(
    "ns_IPaddr2", "IPv4 VIP inside a network namespace",
    "Places the IPv4 address `ip` inside namespace `ns` on `ns_veth`, one end of a veth pair "
    "whose other end `base_veth` stays in the host namespace; `nic` answers ARP for it by "
    "proxy. Stop deletes the veth pair and the iptables rules; the namespace stays.",
    (Parameter("ip", "the VIP (IPv4)", required=True, unique=True),
     Parameter("cidr_netmask", "prefix length of the VIP", content="integer", default="32"),
     Parameter("nic", "host interface on the VIP's network", required=True),
     Parameter("ns", "network namespace holding the VIP", default="haproxy"),
     Parameter("base_veth", "host end of the veth pair", required=True),
     Parameter("ns_veth", "namespace end of the veth pair", required=True),
     Parameter("gateway", "namespace default route: empty, 'link' or a gateway IPv4"),
     Parameter("gateway_metric", "metric of that default route", content="integer",
               default="0"),
     Parameter("iflabel", "label of the VIP (ns_veth:label)"),
     Parameter("other_networks", "'false' or CIDRs routed through ns_veth", default="false"),
     Parameter("iptables_start_rules", "';'-separated iptables commands run on start"),
     Parameter("iptables_stop_rules", "';'-separated iptables commands run on stop"),
     Parameter("iptables_comment", "comment appended to every rule"),
     Parameter("also_check_interfaces", "space-separated interfaces that must have carrier"),
     Parameter("enable_forwarding", "turn on net.ipv4.ip_forward", content="boolean",
               default="true")),
    (Action("start", 30), Action("stop", 30), Action("monitor", 30, 3, 0), Action("status", 30),
     Action("meta-data", 5), Action("validate-all", 20)))


def other_networks(env: Env) -> list[str]:
    value = env.param("other_networks").strip()
    return [] if value.lower() in ("", "false") else value.split()


def validate(env: Env) -> int:
    if platform.system() != "Linux":
        raise AgentError(Rc.ERR_INSTALLED, "ns_IPaddr2 needs Linux network namespaces")
    for name in ("ip", "ns", "cidr_netmask", "nic", "base_veth", "ns_veth"):
        require(env, name)
    try:
        ipaddress.IPv4Address(env.param("ip").strip())
    except ValueError:
        raise AgentError(Rc.ERR_CONFIGURED, f"parameter ip={env.param('ip')!r} is not an IPv4"
                         " address") from None
    if integer(env, "cidr_netmask") > 32:
        raise AgentError(Rc.ERR_CONFIGURED, "parameter cidr_netmask must be 0-32")
    integer(env, "gateway_metric")
    gateway = env.param("gateway").strip()
    if gateway not in ("", "link"):
        try:
            ipaddress.IPv4Address(gateway)
        except ValueError:
            raise AgentError(Rc.ERR_CONFIGURED, f"parameter gateway={gateway!r} is not empty,"
                             " 'link' or an IPv4 address") from None
    for network in other_networks(env):
        try:
            ipaddress.IPv4Network(network, strict=False)
        except ValueError:
            raise AgentError(Rc.ERR_CONFIGURED, f"parameter other_networks: {network!r} is"
                             " not a CIDR") from None
    find_binary(env, "ip")
    if env.param("iptables_start_rules").strip() or env.param("iptables_stop_rules").strip():
        find_binary(env, "iptables")
    return Rc.SUCCESS


def interfaces_with_carrier(env: Env) -> bool:
    names = [env.param("nic"), *env.param("also_check_interfaces").split()]
    missing = [name for name in names if not netns.has_carrier(name)]
    if missing:
        log(env, "WARNING", f"no carrier on {' '.join(missing)}")
    return not missing


def pings_from_namespace(ns: str, address: str) -> bool:
    done = subprocess.run(["ip", "netns", "exec", ns, "ping", "-n", "-q", "-c", "3", "-i", "0.2",
                           "-W", "1", address], capture_output=True, timeout=15,
                          stdin=subprocess.DEVNULL)
    return done.returncode == 0


def monitor(env: Env) -> int:
    ns, vip, prefix = env.param("ns"), env.param("ip").strip(), int(env.param("cidr_netmask"))
    if not netns.ns_exists(ns) or not netns.has_address(vip, prefix, ns):
        return Rc.NOT_RUNNING
    nic_address = netns.first_ipv4(env.param("nic"))
    if nic_address is None or not interfaces_with_carrier(env):
        return Rc.NOT_RUNNING
    if not pings_from_namespace(ns, nic_address[0]):
        log(env, "WARNING", f"{nic_address[0]} does not answer from namespace {ns}")
        return Rc.NOT_RUNNING
    if is_true(env.param("enable_forwarding")):
        netns.set_sysctl("net.ipv4.ip_forward", "1")
    return Rc.SUCCESS


def make_veth(env: Env) -> None:
    """The veth pair with proxy-ARP, both ends up, nic's first address copied to base_veth."""
    nic, base, inner, ns = env.param("nic"), env.param("base_veth"), env.param("ns_veth"), \
        env.param("ns")
    nic_address = netns.first_ipv4(nic)
    if nic_address is None:
        raise netns.NetError(f"{nic} has no IPv4 address")
    netns.ip(None, "link", "add", base, "type", "veth", "peer", "name", inner)
    netns.ip(None, "link", "set", inner, "netns", ns)
    for dev in (nic, base):
        netns.set_sysctl(f"net.ipv4.conf.{dev}.proxy_arp", "1")
    netns.ip(None, "link", "set", base, "up")
    netns.ip(ns, "link", "set", inner, "up")
    netns.ip(None, "addr", "add", f"{nic_address[0]}/{nic_address[1]}", "dev", base)


def place_vip(env: Env) -> None:
    """Steps 5-7: the VIP in the namespace, the host route to it, the default route."""
    ns, inner, base = env.param("ns"), env.param("ns_veth"), env.param("base_veth")
    vip, prefix = env.param("ip").strip(), env.param("cidr_netmask")
    label = ["label", f"{inner}:{env.param('iflabel')}"] if env.param("iflabel") else []
    netns.ip(ns, "addr", "replace", f"{vip}/{prefix}", "dev", inner, *label)
    netns.ip(None, "route", "flush", "dev", base)
    netns.ip(None, "route", "replace", vip, "dev", base)
    gateway, metric = env.param("gateway").strip(), env.param("gateway_metric")
    if gateway == "link":
        netns.ip(ns, "route", "replace", "default", "dev", inner, "metric", metric)
    elif gateway:
        netns.ip(ns, "route", "replace", "default", "via", gateway, "metric", metric)


def arp_pid_file(env: Env) -> str:
    base = env.environ.get("HA_RSCTMP") or "/run/resource-agents"
    return os.path.join(base, f"send_arp-{env.param('ip').strip()}")


def announce(env: Env) -> None:
    """Five gratuitous ARPs, 200 ms apart, in the background (best effort)."""
    if not os.access(SEND_ARP, os.X_OK):
        log(env, "INFO", f"{SEND_ARP} not installed: no gratuitous ARP")
        return
    os.makedirs(os.path.dirname(arp_pid_file(env)), exist_ok=True)
    subprocess.Popen([SEND_ARP, "-i", "200", "-r", "5", "-p", arp_pid_file(env), env.param("nic"),
                      env.param("ip").strip(), "auto", "not_used", "not_used"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


def run_rules(env: Env, name: str, check: bool) -> None:
    for argv in netns.rule_commands(env.param(name), env.param("iptables_comment")):
        netns.run(argv, check=check)


def start(env: Env) -> int:
    if monitor(env) == Rc.SUCCESS:
        return Rc.SUCCESS
    if is_true(env.param("enable_forwarding")) and netns.get_sysctl("net.ipv4.ip_forward") != "1":
        netns.set_sysctl("net.ipv4.ip_forward", "1")
    if not interfaces_with_carrier(env):
        return Rc.ERR_GENERIC
    created_ns = False
    try:
        created_ns = netns.ensure_namespace(env.param("ns"))
        if netns.link(env.param("base_veth")) is None:
            make_veth(env)
        place_vip(env)
        announce(env)
        run_rules(env, "iptables_stop_rules", check=False)  # no duplicates after a crash
        run_rules(env, "iptables_start_rules", check=True)
        for network in other_networks(env):
            netns.ip(env.param("ns"), "route", "replace", network, "dev", env.param("ns_veth"))
    except (netns.NetError, OSError) as error:
        log(env, "ERROR", f"start failed, undoing it: {error}")
        stop(env)
        if created_ns and not netns.namespace_pids(env.param("ns")):
            netns.delete_namespace(env.param("ns"))
        return Rc.ERR_GENERIC
    return Rc.SUCCESS


def stop(env: Env) -> int:
    base = env.param("base_veth")
    if netns.link(base) is not None:
        netns.ip(None, "link", "set", base, "down", check=False)
        time.sleep(0.2)  # let in-flight packets drain before the pair goes
        try:
            netns.ip(None, "link", "delete", base)
        except netns.NetError as error:
            log(env, "ERROR", f"cannot delete {base}: {error}")
            return Rc.ERR_GENERIC
    arp = procs.read_pid(arp_pid_file(env))
    if arp is not None and arp != procs.EMPTY and SEND_ARP in " ".join(procs.cmdline(arp)):
        procs.terminate([arp], 1.0)
    procs.remove(arp_pid_file(env))
    run_rules(env, "iptables_stop_rules", check=False)
    return Rc.SUCCESS


AGENT = Agent(INFO, validate, {"start": start, "stop": stop, "monitor": monitor})
