"""ocf:mirantis:ns_haproxy: the real HAProxy inside the `haproxy` network namespace.

Owns SPEC.md §6.3: start runs `haproxy -D -f conffile -p pidfile` inside namespace `ns`
(allowing non-local binds there, so it may start before its VIPs), then adds what is
missing of the namespace uplink (veth host_interface <-> namespace_interface, host_ip /
namespace_ip, a default route with route_metric, a MASQUERADE rule). Monitor trusts the pid
file only for a live haproxy process in that namespace. Stop sends TERM, then KILL; it
leaves the namespace and uplink for the VIPs. A failed start undoes what it made.
"""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import subprocess
from pathlib import Path

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
    log,
    require,
    wait_for,
)

NAT_COMMENT = "masquerade-for-haproxy-namespace"

INFO = AgentInfo(
    "ns_haproxy", "HAProxy inside a network namespace",
    "Runs HAProxy inside namespace `ns`, with a veth uplink to the host namespace and a NAT "
    "rule for its outgoing traffic. The pid file is the `pidfile` parameter, else the "
    "config's `pidfile` line.",
    (Parameter("ns", "network namespace", default="haproxy"),
     Parameter("conffile", "HAProxy configuration", default="/etc/haproxy/haproxy.cfg"),
     Parameter("pidfile", "pid file (default: the config's pidfile line)"),
     Parameter("binpath", "the haproxy binary", default="/usr/sbin/haproxy"),
     Parameter("extraconf", "extra haproxy arguments"),
     Parameter("host_interface", "host end of the uplink veth", default="hapr-host"),
     Parameter("namespace_interface", "namespace end of the uplink veth", default="hapr-ns"),
     Parameter("host_ip", "host end address", default="240.0.0.1"),
     Parameter("namespace_ip", "namespace end address", default="240.0.0.2"),
     Parameter("network_mask", "uplink prefix length", content="integer", default="30"),
     Parameter("route_metric", "metric of the namespace default route", content="integer",
               default="10000"),
     Parameter("debug", "log more", content="boolean", default="false")),
    (Action("start", 30), Action("stop", 60), Action("reload", 30),
     Action("monitor", 60, 30, 0), Action("status", 60), Action("meta-data", 5),
     Action("validate-all", 20)))


def config_pidfile(conffile: str) -> str:
    """The `pidfile` line of the config's global section ('' when there is none)."""
    try:
        text = Path(conffile).read_text(errors="replace")
    except OSError:
        return ""
    match = re.search(r"^\s*pidfile\s+(\S+)", text, re.M)
    return match.group(1) if match else ""


def pid_file(env: Env) -> str:
    return env.param("pidfile").strip() or config_pidfile(env.param("conffile"))


def missing_rc(env: Env) -> Rc:
    """SPEC.md §6.3: a missing binary or config is 2 (ERR_ARGS) for validate-all and start;
    a stop keeps ERR_INSTALLED, so that it still stops a running haproxy by its pid file."""
    return Rc.ERR_INSTALLED if env.action == "stop" else Rc.ERR_ARGS


def validate(env: Env) -> int:
    require(env, "ns")
    try:
        find_binary(env, require(env, "binpath"))
    except AgentError as error:
        raise AgentError(missing_rc(env), error.message) from None
    conffile = require(env, "conffile")
    if not os.path.isfile(conffile):
        raise AgentError(missing_rc(env), f"parameter conffile: {conffile} does not exist")
    if not pid_file(env):
        raise AgentError(Rc.ERR_CONFIGURED, f"parameter pidfile is empty and {conffile} has no"
                         " pidfile line")
    for name in ("host_ip", "namespace_ip"):
        try:
            ipaddress.IPv4Address(require(env, name))
        except ValueError:
            raise AgentError(Rc.ERR_CONFIGURED, f"parameter {name} is not an IPv4 address") \
                from None
    if integer(env, "network_mask") > 32:
        raise AgentError(Rc.ERR_CONFIGURED, "parameter network_mask must be 0-32")
    integer(env, "route_metric")
    find_binary(env, "ip")
    return Rc.SUCCESS


def in_namespace(pid: int, ns: str) -> bool:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(netns.NETNS_DIR / ns).st_ino
    except OSError:
        return False


def is_haproxy(pid: int) -> bool:
    argv = procs.cmdline(pid)
    return bool(argv) and os.path.basename(argv[0]).startswith("haproxy")


def monitor(env: Env) -> int:
    pid = procs.read_pid(pid_file(env))
    if pid is None:
        return Rc.NOT_RUNNING
    if pid == procs.EMPTY:
        log(env, "ERROR", f"pid file {pid_file(env)} is empty")
        return Rc.ERR_GENERIC
    if procs.is_alive(pid) and is_haproxy(pid) and in_namespace(pid, env.param("ns")):
        return Rc.SUCCESS
    return Rc.NOT_RUNNING


def launch(env: Env, old_pid: int | None = None) -> None:
    """haproxy -D in the namespace; NetError when it exits non-zero or writes no live pid."""
    ns, path = env.param("ns"), pid_file(env)
    netns.set_sysctl("net.ipv4.ip_nonlocal_bind", "1", ns)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    argv = ["ip", "netns", "exec", ns, env.param("binpath"), *env.param("extraconf").split(),
            "-D", "-f", env.param("conffile"), "-p", path]
    if old_pid:
        argv += ["-sf", str(old_pid)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise netns.NetError(f"haproxy exited {done.returncode}: {done.stderr.strip()}")
    if not wait_for(lambda: monitor(env) == Rc.SUCCESS, 10.0, 0.1):
        raise netns.NetError(f"haproxy wrote no live pid to {path}")


def uplink(env: Env, made: list[str]) -> None:
    """Add the missing parts of the namespace uplink; `made` records what to undo."""
    ns, host_if, ns_if = env.param("ns"), env.param("host_interface"), \
        env.param("namespace_interface")
    mask = env.param("network_mask")
    if netns.link(host_if) is None:
        netns.ip(None, "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        made.append("veth")
        netns.ip(None, "link", "set", ns_if, "netns", ns)
    netns.ip(None, "link", "set", host_if, "up")
    netns.ip(ns, "link", "set", ns_if, "up")
    netns.ip(None, "addr", "replace", f"{env.param('host_ip')}/{mask}", "dev", host_if)
    netns.ip(ns, "addr", "replace", f"{env.param('namespace_ip')}/{mask}", "dev", ns_if)
    netns.ip(ns, "route", "replace", "default", "via", env.param("host_ip"), "metric",
             env.param("route_metric"))
    rule = nat_rule(env)
    if not netns.iptables_rule_exists("nat", "POSTROUTING", rule):
        netns.run(["iptables", "-w", "-t", "nat", "-A", "POSTROUTING", *rule])
        made.append("nat")


def nat_rule(env: Env) -> list[str]:
    return ["-s", env.param("namespace_ip"), "-m", "comment", "--comment", NAT_COMMENT,
            "-j", "MASQUERADE"]


def undo(env: Env, made: list[str], created_ns: bool) -> None:
    if "nat" in made:
        netns.run(["iptables", "-w", "-t", "nat", "-D", "POSTROUTING", *nat_rule(env)],
                  check=False)
    if "veth" in made:
        netns.ip(None, "link", "delete", env.param("host_interface"), check=False)
    if created_ns and not netns.namespace_pids(env.param("ns")):
        netns.delete_namespace(env.param("ns"))


def start(env: Env) -> int:
    if monitor(env) == Rc.SUCCESS:
        return Rc.SUCCESS
    made: list[str] = []
    created_ns = False
    try:
        created_ns = netns.ensure_namespace(env.param("ns"))
        launch(env)
        uplink(env, made)
    except (netns.NetError, OSError) as error:
        log(env, "ERROR", f"start failed, undoing it: {error}")
        stop(env)
        undo(env, made, created_ns)
        return Rc.ERR_GENERIC
    return Rc.SUCCESS


def stop(env: Env) -> int:
    path = pid_file(env)
    pid = procs.read_pid(path)
    if pid is None or pid == procs.EMPTY or pid == 1 or not procs.is_alive(pid) \
            or not is_haproxy(pid):
        if pid is not None:
            log(env, "WARNING", f"pid file {path} names no running haproxy: removing it")
        procs.remove(path)
        return Rc.SUCCESS
    for _ in range(5):
        procs.signal_pid(pid, signal.SIGTERM)
        if procs.wait_gone([pid], 2.0):
            break
    if not procs.terminate([pid], 0.0):
        log(env, "ERROR", f"haproxy pid {pid} survived SIGKILL")
        return Rc.ERR_GENERIC
    procs.remove(path)
    return Rc.SUCCESS


def reload(env: Env) -> int:
    pid = procs.read_pid(pid_file(env))
    if monitor(env) != Rc.SUCCESS or pid is None:
        return start(env)
    try:
        launch(env, old_pid=pid)
    except netns.NetError as error:
        log(env, "ERROR", f"reload failed: {error}")
        return Rc.ERR_GENERIC
    return Rc.SUCCESS


AGENT = Agent(INFO, validate, {"start": start, "stop": stop, "monitor": monitor,
                               "reload": reload})
