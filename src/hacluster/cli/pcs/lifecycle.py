"""`pcs cluster start|stop [--all | NODE...] [--wait[=N]]` and `pcs cluster status`.

Owns the processes: starting a node's haclusterd (detached, its own session, output to
<state dir>/haclusterd.log), asking one to leave (DaemonShutdown: its resources stop first)
and waiting for it. Where a node's daemon lives is hacluster.api.local_nodes's rule (its
state dir from $HACLUSTER_STATE_ROOT / $HACLUSTER_STATE_DIR); the nodes are those of
--corosync_conf, else /etc/corosync/corosync.conf. A node of another host cannot be reached
(there is no pcsd). Messages follow pcs 0.11's ("NODE: Starting Cluster...", stderr).
Must never decide anything about the cluster: it starts, stops and reports.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from hacluster.api import cluster as api_cluster
from hacluster.api import local_nodes
from hacluster.api import status as api_status
from hacluster.cli import render
from hacluster.cli.pcs.common import Options, Usage, split_options
from hacluster.common import Code, HaError, parse_duration_ms

COROSYNC_CONF = "/etc/corosync/corosync.conf"
LOG_NAME = "haclusterd.log"
START_TIMEOUT_S = 15.0  # until the daemon answers on its socket (systemctl start waits too)
WAIT_DEFAULT_S = 15 * 60  # pcs --wait without a number
STOP_TIMEOUT_S = 15 * 60
POLL_S = 0.2


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def is_local_address(address: str) -> bool:
    """Whether this host can bind `address` (every 127.x is: loopback nodes share a host)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((address, 0))
    except OSError:
        return False
    return True


def configured_nodes(options: Options) -> tuple[local_nodes.LocalNode, ...]:
    path = options.values.get("--corosync_conf", COROSYNC_CONF)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        raise HaError.single(Code.CONFIG_LOCAL_NODE_NOT_FOUND,
                             "cluster is not currently configured on this node") from None
    return local_nodes.locate_in_text(text, is_local_address,
                                      os.environ.get("HACLUSTER_STATE_ROOT"),
                                      os.environ.get("HACLUSTER_STATE_DIR"))


def wait_seconds(options: Options) -> float | None:
    """None without --wait; --wait alone waits pcs's 15 minutes."""
    if not options.has("--wait"):
        return None
    value = options.values.get("--wait") or ""
    if not value:
        return WAIT_DEFAULT_S
    parsed = parse_duration_ms(value)
    if parsed is None or parsed <= 0:
        raise HaError.single(Code.USAGE, f"{value} is not a valid number of seconds to wait")
    return parsed / 1000


def daemon_status(node: local_nodes.LocalNode) -> api_cluster.DaemonReport | None:
    try:
        return api_cluster.daemon_description(node.state_dir, timeout_ms=2000)
    except HaError:
        return None


def daemon_command() -> list[str]:
    """Our haclusterd next to this interpreter (the venv), else on PATH, else the module."""
    local = Path(sys.executable).parent / "haclusterd"
    if local.exists():
        return [str(local)]
    found = shutil.which("haclusterd")
    return [found] if found else [sys.executable, "-m", "hacluster.drivers.daemon"]


def start_daemon(node: local_nodes.LocalNode, config: str) -> str | None:
    """Start the node's daemon unless it runs; the error text, or None once it answers."""
    if daemon_status(node) is not None:
        return None
    state_dir = Path(node.state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / LOG_NAME
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [*daemon_command(), "-f", "-c", config, "--address", node.address,
             "--state-dir", str(state_dir)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if daemon_status(node) is not None:
            return None
        if process.poll() is not None:
            return f"Unable to start haclusterd (exit {process.returncode}), see {log_path}"
        time.sleep(POLL_S)
    return f"haclusterd did not answer within {START_TIMEOUT_S:.0f}s, see {log_path}"


def stop_daemon(node: local_nodes.LocalNode, timeout_s: float) -> str | None:
    """Ask the node's daemon to leave and wait until it is gone; the error text or None."""
    try:
        api_cluster.shutdown_daemon(node.state_dir, timeout_ms=5000)
    except HaError:
        return None  # not running: stopping a stopped node succeeds, as systemctl's does
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if daemon_status(node) is None:
            return None
        time.sleep(POLL_S)
    return f"haclusterd still running after {timeout_s:.0f}s"


def _targets(words: list[str], options: Options) -> tuple[local_nodes.LocalNode, ...]:
    positional, named = split_options(words)
    if named:
        raise Usage("cluster start|stop", "start|stop [--all | <node>...] [--wait[=<n>]]")
    nodes = configured_nodes(options)
    return local_nodes.select_nodes(nodes, positional, options.has("--all"),
                                    os.environ.get("HACLUSTER_STATE_DIR"))


def _unreachable(nodes: tuple[local_nodes.LocalNode, ...]) -> dict[str, str]:
    return {n.name: f"{n.name}: Unable to connect to {n.name}: haclusterd of another host "
            "(no pcsd)" for n in nodes if not n.is_local}


def cluster_start(words: list[str], options: Options) -> int:
    wait_s = wait_seconds(options)
    nodes = _targets(words, options)
    named = bool(words) or options.has("--all")
    config = str(Path(options.values.get("--corosync_conf", COROSYNC_CONF)).resolve())
    errors = _unreachable(nodes)
    for node in (n for n in nodes if n.is_local):
        say(f"{node.name}: Starting Cluster..." if named else "Starting Cluster...")
        failed = start_daemon(node, config)
        if failed:
            errors[node.name] = f"{node.name}: {failed}"
    if errors:
        raise HaError.single(Code.IPC_NOT_RUNNING, "unable to start all nodes\n"
                             + "\n".join(errors[k] for k in sorted(errors)))
    if wait_s is not None:
        return wait_started(nodes, wait_s, named)
    return 0


def wait_started(nodes: tuple[local_nodes.LocalNode, ...], wait_s: float, named: bool) -> int:
    say("Waiting for node(s) to start...")
    deadline = time.monotonic() + wait_s
    waiting = list(nodes)
    while waiting:
        for node in list(waiting):
            status = daemon_status(node)
            if status is not None and local_nodes.is_fully_started(status.view,
                                                                   node.node_id):
                say(f"{node.name}: Started" if named else "Started")
                waiting.remove(node)
        if waiting and time.monotonic() >= deadline:
            if not named:
                raise HaError.single(Code.TOOL_TIMEOUT, "Waiting timeout")
            for node in waiting:
                say(f"{node.name}: Waiting timeout")
            raise HaError.single(Code.TOOL_TIMEOUT, "unable to verify all nodes have started")
        if waiting:
            time.sleep(POLL_S)
    return 0


def cluster_stop(words: list[str], options: Options) -> int:
    wait_s = wait_seconds(options)
    nodes = _targets(words, options)
    named = bool(words) or options.has("--all")
    if not named and not options.has("--force"):
        try:
            status = api_cluster.local_status(nodes[0].state_dir)
        except HaError:
            status = None
        if status is not None and local_nodes.stopping_loses_quorum(status):
            raise HaError.single(Code.USAGE, "Stopping the node will cause a loss of the "
                                 "quorum, use --force to override")
    errors = _unreachable(nodes)
    local = [n for n in nodes if n.is_local]
    for node in local:
        say(f"{node.name}: Stopping Cluster (pacemaker)..." if named
            else "Stopping Cluster (pacemaker)...")
        failed = stop_daemon(node, wait_s if wait_s is not None else STOP_TIMEOUT_S)
        if failed:
            errors[node.name] = f"{node.name}: {failed}"
    for node in local:
        if node.name not in errors:
            say(f"{node.name}: Stopping Cluster (corosync)..." if named
                else "Stopping Cluster (corosync)...")
    if errors:
        raise HaError.single(Code.IPC_NOT_RUNNING, "unable to stop all nodes\n"
                             + "\n".join(errors[k] for k in sorted(errors)))
    return 0


def cluster_status(words: list[str], options: Options) -> int:
    """pcs 0.11: "Cluster Status:" and crm_mon's summary and node list, indented by one."""
    if words:
        raise Usage("cluster status", "status")
    now_s = int(time.time())
    try:
        view = api_status.status_of(options.env(), now_s)
    except HaError as error:
        if options.file:
            raise
        raise HaError.single(Code.IPC_NOT_RUNNING,
                             "cluster is not currently running on this node") from error
    lines = render.render_crm_mon(view, now_s, inactive=True)
    print("Cluster Status:")
    blank = False
    for line in lines:
        if line == "":
            if blank:
                break
            blank = True
            continue
        print("", line)
    return 0
