"""The OpenStack service agents (heat, ceilometer, neutron, lbaas): one implementation, a table.

Owns SPEC.md §6's common pattern: validate (binary, user, config files), start the daemon
detached as the service user with its --config-file list and a pid file, monitor by pid
file (heat, ceilometer) or by a scan for the user's Python process running the binary
(neutron, lbaas), stop with TERM then KILL after the op timeout minus 5 s, and for dhcp/l3
the cleanup of qdhcp-*/qrouter-* namespaces around start and stop. The OpenStack services
are not in Debian: tests and the demo point `binary` at standin_daemon.py under the
binary's name. Must never signal a process not found by pid file or user+binary match.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from hacluster.agents import netns, procs, standin_daemon
from hacluster.agents.ocf import (
    BOOLEAN_WORDS,
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

# A daemon that dies on a bad config usually does so at once: a start is only reported once
# the daemon has still been running this long after monitor first saw it.
SETTLE_S = 0.5


@dataclass(frozen=True)
class Service:
    """One OpenStack agent: its names, defaults and which monitor variant it uses."""

    agent: str
    description: str
    binary: str
    user: str
    config: str
    extra_config: tuple[str, str] = ("", "")  # (parameter name, default path)
    scan: bool = False  # process-scan monitor (neutron, lbaas) instead of pid-file
    cleanup_prefix: str = ""  # qdhcp- / qrouter-: namespaces removed around start and stop
    extra_parameters: tuple[Parameter, ...] = ()


NEUTRON_AUTH = (
    Parameter("os_auth_url", "Keystone URL the agent authenticates against"),
    Parameter("tenant", "tenant of the agent's service user", default="services"),
    Parameter("username", "service user name for Keystone", default="neutron"),
    Parameter("password", "service user password for Keystone"),
)
MULTIPLE_AGENTS = Parameter(
    "multiple_agents", "true when every node runs this agent (a clone)", content="boolean",
    longdesc="With false only one instance runs (a primitive); the original also rescheduled "
             "networks or routers away from dead agents, which needs the Neutron API.")

SERVICES = (
    Service("heat-engine", "OpenStack Orchestration engine", "/usr/bin/heat-engine", "heat",
            "/etc/heat/heat.conf"),
    Service("ceilometer-agent-central", "OpenStack Telemetry central agent",
            "/usr/bin/ceilometer-agent-central", "ceilometer", "/etc/ceilometer/ceilometer.conf"),
    Service("ceilometer-alarm-evaluator", "OpenStack Telemetry alarm evaluator",
            "/usr/bin/ceilometer-alarm-evaluator", "ceilometer",
            "/etc/ceilometer/ceilometer.conf"),
    Service("neutron-agent-ovs", "OpenStack Networking Open vSwitch agent",
            "/usr/bin/neutron-openvswitch-agent", "neutron", "/etc/neutron/neutron.conf",
            ("plugin_config", "/etc/neutron/plugin.ini"), scan=True),
    Service("neutron-agent-dhcp", "OpenStack Networking DHCP agent",
            "/usr/bin/neutron-dhcp-agent", "neutron", "/etc/neutron/neutron.conf",
            ("plugin_config", "/etc/neutron/dhcp_agent.ini"), scan=True, cleanup_prefix="qdhcp-",
            extra_parameters=(*NEUTRON_AUTH, MULTIPLE_AGENTS,
                              Parameter("amqp_server_port", "AMQP port (accepted; no AMQP check)",
                                        content="integer", default="5673"))),
    Service("neutron-agent-metadata", "OpenStack Networking metadata agent",
            "/usr/bin/neutron-metadata-agent", "neutron", "/etc/neutron/neutron.conf",
            ("agent_config", "/etc/neutron/metadata_agent.ini"), scan=True),
    Service("neutron-agent-l3", "OpenStack Networking L3 agent",
            "/usr/bin/neutron-l3-agent", "neutron", "/etc/neutron/neutron.conf",
            ("plugin_config", "/etc/neutron/l3_agent.ini"), scan=True, cleanup_prefix="qrouter-",
            extra_parameters=(*NEUTRON_AUTH, MULTIPLE_AGENTS,
                              Parameter("debug", "pass --debug to the agent", content="boolean",
                                        default="false"),
                              Parameter("syslog", "pass --use-syslog to the agent",
                                        content="boolean", default="false"))),
    Service("neutron-agent-lbaas", "OpenStack Networking LBaaS agent (EayunStack)",
            "/usr/bin/neutron-lbaas-agent", "neutron", "/etc/neutron/neutron.conf",
            ("plugin_config", "/etc/neutron/lbaas_agent.ini"), scan=True),
)


def agent_info(service: Service) -> AgentInfo:
    monitor = ("a scan for the user's Python process running the binary" if service.scan
               else "its pid file")
    parameters = [
        Parameter("binary", "the daemon's executable", default=service.binary),
        Parameter("user", "the user the daemon runs as", default=service.user),
        Parameter("config", "the main configuration file", default=service.config),
    ]
    if service.extra_config[0]:
        parameters.append(Parameter(service.extra_config[0], "the agent's own configuration file",
                                    default=service.extra_config[1]))
    parameters += [
        Parameter("pid", "pid file (default $HA_RSCTMP/<agent>/<agent>.pid)"),
        Parameter("log_file", "where the daemon's output goes",
                  default=f"/var/log/{service.user}/{os.path.basename(service.binary)}.log"),
        Parameter("additional_parameters", "extra command-line arguments for the daemon"),
        *service.extra_parameters,
    ]
    return AgentInfo(service.agent, service.description,
                     f"{service.description}: starts {os.path.basename(service.binary)} as the"
                     f" service user and monitors it through {monitor}.", tuple(parameters),
                     (Action("start", 60), Action("stop", 60), Action("monitor", 30, 20, 0),
                      Action("status", 30), Action("meta-data", 5), Action("validate-all", 20)))


def pid_file(env: Env) -> str:
    return env.param("pid") or os.path.join(env.state_dir(), f"{env.info.name}.pid")


def config_files(service: Service, env: Env) -> list[str]:
    files = [env.param("config")]
    if service.extra_config[0]:
        files.append(env.param(service.extra_config[0]))
    return [f for f in files if f]


def validate(service: Service, env: Env) -> int:
    find_binary(env, require(env, "binary"))
    user = require(env, "user")
    if not procs.user_exists(user):
        raise AgentError(Rc.ERR_INSTALLED, f"parameter user: no such user {user!r}")
    if os.geteuid() not in (0, procs.uid_of(user)):
        raise AgentError(Rc.ERR_PERM, f"parameter user: cannot run as {user!r} without root")
    for name in ("multiple_agents", "debug", "syslog"):
        if name in {p.name for p in service.extra_parameters}:
            value = env.param(name).strip().lower()
            if value and value not in BOOLEAN_WORDS:
                raise AgentError(Rc.ERR_CONFIGURED, f"parameter {name}={value!r} is not a boolean")
    if "amqp_server_port" in {p.name for p in service.extra_parameters}:
        integer(env, "amqp_server_port", minimum=1)
    for path in config_files(service, env):
        if not os.path.isfile(path):
            raise AgentError(Rc.ERR_INSTALLED, f"configuration file {path} does not exist")
    return Rc.SUCCESS


def binary_path(env: Env) -> str:
    """`binary` as an absolute path (a bare name is looked up on the agent's PATH, so an
    executor can give each node its own PATH); the raw value when it cannot be found."""
    try:
        return find_binary(env, env.param("binary"))
    except AgentError:
        return env.param("binary")


def matches_binary(pid: int, binary: str) -> bool:
    return binary in " ".join(procs.cmdline(pid))


def monitor(service: Service, env: Env) -> int:
    path, binary = pid_file(env), binary_path(env)
    pid = procs.read_pid(path)
    if not service.scan:
        if pid is None:
            return Rc.NOT_RUNNING
        if pid == procs.EMPTY:
            log(env, "ERROR", f"pid file {path} is empty")
            return Rc.ERR_GENERIC
        return Rc.SUCCESS if procs.is_alive(pid) and matches_binary(pid, binary) else Rc.NOT_RUNNING
    found = procs.find_processes(binary, env.param("user"), python_only=True)
    if not found:
        return Rc.NOT_RUNNING
    if pid is None or pid == procs.EMPTY or not procs.is_alive(pid):
        procs.write_pid(path, found[0])
        return Rc.SUCCESS
    if pid in found:
        return Rc.SUCCESS
    log(env, "ERROR", f"pid file {path} names pid {pid}, not the running {binary} {found}")
    return Rc.ERR_GENERIC


def command(service: Service, env: Env) -> list[str]:
    argv = [binary_path(env)]
    for path in config_files(service, env):
        argv += ["--config-file", path]
    if service.agent == "neutron-agent-l3":
        argv += ["--debug"] if is_true(env.param("debug")) else []
        argv += ["--use-syslog"] if is_true(env.param("syslog")) else []
    return argv + env.param("additional_parameters").split()


def clean_namespaces(service: Service, env: Env) -> None:
    """Kill what holds sockets in each qdhcp-*/qrouter-* namespace, then delete it."""
    if not service.cleanup_prefix:
        return
    for ns in netns.list_namespaces():
        if not ns.startswith(service.cleanup_prefix):
            continue
        for _ in range(3):
            pids = netns.namespace_pids(ns)
            if not pids:
                break
            for pid in pids:
                procs.signal_pid(pid, signal.SIGTERM)
            procs.wait_gone(pids, 1.0)
        for pid in netns.namespace_pids(ns):
            procs.signal_pid(pid, signal.SIGKILL)
        try:
            netns.delete_namespace(ns)
            log(env, "INFO", f"removed namespace {ns}")
        except netns.NetError as error:
            log(env, "WARNING", f"could not remove namespace {ns}: {error}")


def start(service: Service, env: Env) -> int:
    if monitor(service, env) == Rc.SUCCESS:
        return Rc.SUCCESS
    clean_namespaces(service, env)
    path = pid_file(env)
    pid = procs.launch_detached(procs.Launch(tuple(command(service, env)), env.param("log_file"),
                                             user=env.param("user")))
    procs.write_pid(path, pid)
    deadline = time.monotonic() + max(env.timeout_ms() / 1000 - 2, 1)
    while time.monotonic() < deadline:
        rc = monitor(service, env)
        if rc == Rc.SUCCESS:
            time.sleep(SETTLE_S)
            rc = monitor(service, env)
        if rc == Rc.SUCCESS:
            log(env, "INFO", f"started {env.param('binary')} pid {procs.read_pid(path)}")
            return Rc.SUCCESS
        if rc != Rc.NOT_RUNNING or not procs.is_alive(pid):
            break
        time.sleep(0.2)
    log(env, "ERROR", f"{env.param('binary')} did not start (see {env.param('log_file')})")
    procs.terminate([pid], 2.0, group=True)
    procs.remove(path)
    return Rc.ERR_GENERIC


def stop(service: Service, env: Env) -> int:
    path, binary = pid_file(env), binary_path(env)
    pid = procs.read_pid(path)
    pids: set[int] = set()
    if pid is not None and pid != procs.EMPTY and procs.is_alive(pid) and matches_binary(pid, binary):
        pids.add(pid)
    if service.scan and procs.user_exists(env.param("user")):
        pids.update(procs.find_processes(binary, env.param("user"), python_only=True))
    grace_s = env.timeout_ms(0) / 1000 - 5 if env.timeout_ms(0) else 15.0
    if pids and not procs.terminate(sorted(pids), max(grace_s, 1.0), group=True):
        log(env, "ERROR", f"{binary} pids {sorted(pids)} survived SIGKILL")
        return Rc.ERR_GENERIC
    procs.remove(path)
    clean_namespaces(service, env)
    return Rc.SUCCESS


def service_named(name: str) -> Service:
    for service in SERVICES:
        if service.agent == name:
            return service
    raise KeyError(name)


def make_agent(name: str) -> Agent:
    service = service_named(name)
    return Agent(agent_info(service), lambda env: validate(service, env), {
        "start": lambda env: start(service, env),
        "stop": lambda env: stop(service, env),
        "monitor": lambda env: monitor(service, env),
    })


def prepare_standins(root: Path, user: str, bare: bool = False) -> dict[str, dict[str, str]]:
    """For demos and tests: the stand-in daemon under each service's binary name in
    root/bin, an empty config file per configured path in root/etc, and the instance
    attributes that point an agent at them ({agent: {parameter: value}}). With `bare`, the
    binary is given by name only: several nodes on one host then each put their own bin
    directory first on the agents' PATH (one shared CIB, per-node daemons)."""
    params: dict[str, dict[str, str]] = {}
    for service in SERVICES:
        binary = standin_daemon.install(root / "bin", os.path.basename(service.binary))
        (root / "etc").mkdir(parents=True, exist_ok=True)
        values = {"binary": binary.name if bare else str(binary), "user": user,
                  "log_file": str(root / "log" / f"{service.agent}.log")}
        names = [("config", service.config), service.extra_config]
        for name, default in (pair for pair in names if pair[0]):
            path = root / "etc" / f"{service.agent}-{os.path.basename(default)}"
            path.touch()
            values[name] = str(path)
        params[service.agent] = values
    return params
