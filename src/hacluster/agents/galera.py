"""ocf:mirantis:mysql-wss: MariaDB with Galera as an anonymous clone (SPEC.md §6.4).

Owns the Galera lifecycle: publish this node's `gtid` (<cluster uuid>:<seqno>) on every
start and monitor; when no instance runs anywhere in a quorate partition, elect the node
with the highest seqno (tie: lowest md5 of the node name) to bootstrap a new primary
component with --wsrep-new-cluster while the others wait and then join; monitor by the
wsrep status; stop with TERM then KILL of mysqld_safe's process group. The election is the
pure function `choose_bootstrap`. Must never bootstrap while an instance runs elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from hacluster.agents import attrs, cluster, procs
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
    start_wait_s,
    wait_for,
)

GTID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:(-1|\d+)$")
NEW_NODE = "00000000-0000-0000-0000-000000000000:-1"
HEALTHY_WHEN_READY = ("Synced", "Donor/Desynced", "Donor", "Desync")

INFO = AgentInfo(
    "mysql-wss", "MariaDB Galera node (multi-master clone)",
    "Starts mysqld_safe for one Galera node. After a full stop, the node with the highest "
    "seqno (tie: lowest md5 of its name) bootstraps a new cluster and the others join it.",
    (Parameter("binary", "mysqld_safe", default="/usr/bin/mysqld_safe"),
     Parameter("client_binary", "mysql client", default="/usr/bin/mysql"),
     Parameter("config", "my.cnf passed as --defaults-file", default="/etc/mysql/my.cnf"),
     Parameter("datadir", "data directory", default="/var/lib/mysql"),
     Parameter("user", "user mysqld runs as", default="mysql"),
     Parameter("group", "group of the socket and pid directories", default="mysql"),
     Parameter("pid", "pid file (default $HA_RSCTMP/mysql-wss/mysql-wss.pid)"),
     Parameter("socket", "server socket", default="/var/run/mysqld/mysqld.sock"),
     Parameter("test_user", "account the monitor queries with (created at start)"),
     Parameter("test_passwd", "its password"),
     Parameter("additional_parameters", "extra mysqld_safe arguments"),
     Parameter("master_timeout", "seconds to wait for a bootstrap election", content="integer",
               default="300"),
     Parameter("election_interval", "seconds between election rounds", content="integer",
               default="10")),
    (Action("start", 475), Action("stop", 175), Action("monitor", 115, 120, 0),
     Action("meta-data", 5), Action("validate-all", 20)))


def seqno(gtid: str) -> int:
    return int(gtid.rsplit(":", 1)[1])


def choose_bootstrap(gtids: Mapping[str, str]) -> str:
    """The node to bootstrap from: highest seqno, then lowest md5(node name) (SPEC §6.4)."""
    assert gtids, "an election needs at least one candidate"
    best = max(seqno(g) for g in gtids.values())
    candidates = sorted(node for node, g in gtids.items() if seqno(g) == best)
    return min(candidates, key=lambda node: hashlib.md5(node.encode()).hexdigest())


def pid_file(env: Env) -> str:
    return env.param("pid") or os.path.join(env.state_dir(), "mysql-wss.pid")


def validate(env: Env) -> int:
    find_binary(env, require(env, "binary"))
    find_binary(env, require(env, "client_binary"))
    for name in ("config", "datadir"):
        if not os.path.exists(require(env, name)):
            raise AgentError(Rc.ERR_INSTALLED, f"parameter {name}: {env.param(name)} does not"
                             " exist")
    if not procs.user_exists(require(env, "user")):
        raise AgentError(Rc.ERR_INSTALLED, f"parameter user: no such user {env.param('user')!r}")
    require(env, "socket")
    integer(env, "master_timeout", minimum=1)
    integer(env, "election_interval", minimum=1)
    attrs.command(env)
    return Rc.SUCCESS


def query_status(env: Env) -> dict[str, str] | None:
    """SHOW GLOBAL STATUS LIKE 'wsrep_%' through the socket; None when mysqld does not answer."""
    argv = [env.param("client_binary"), f"--socket={env.param('socket')}", "-N", "-B",
            "--connect-timeout=5", "-e", "SHOW GLOBAL STATUS LIKE 'wsrep_%'"]
    if env.param("test_user"):
        argv.insert(1, f"--user={env.param('test_user')}")
    client_env = {"PATH": os.defpath, "MYSQL_PWD": env.param("test_passwd")}
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=client_env,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    rows = (line.split("\t", 1) for line in done.stdout.splitlines() if "\t" in line)
    return {key: value for key, value in rows}


def grastate(datadir: str) -> dict[str, str]:
    try:
        text = Path(datadir, "grastate.dat").read_text()
    except OSError:
        return {}
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def recover_position(env: Env) -> str:
    """`mysqld_safe --wsrep-recover`: the position InnoDB recorded, after an unclean stop."""
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "recover.log")
        os.chmod(tmp, 0o777)
        subprocess.run([env.param("binary"), f"--defaults-file={env.param('config')}",
                        f"--datadir={env.param('datadir')}", f"--user={env.param('user')}",
                        f"--log-error={log_path}", "--wsrep-recover"], capture_output=True,
                       timeout=120, stdin=subprocess.DEVNULL)
        text = Path(log_path).read_text(errors="replace") if os.path.exists(log_path) else ""
    found = re.findall(r"Recovered position:\s*(\S+)", text)
    return found[-1] if found else ""


def current_gtid(env: Env, status: Mapping[str, str] | None, running: bool) -> str:
    """From the running server; else grastate.dat; else (seqno -1 after an unclean stop, and
    only while no mysqld runs on this datadir) InnoDB's recovered position."""
    if status and status.get("wsrep_local_state_uuid"):
        return f"{status['wsrep_local_state_uuid']}:{status.get('wsrep_last_committed', '-1')}"
    state = grastate(env.param("datadir"))
    if not state:
        return NEW_NODE  # never part of a Galera cluster: the lowest position there is
    gtid = f"{state.get('uuid', '')}:{state.get('seqno', '')}"
    if gtid.endswith(":-1") and not running:
        recovered = recover_position(env)
        gtid = recovered if GTID.match(recovered) else gtid
    return gtid


def publish_gtid(env: Env, status: Mapping[str, str] | None, running: bool) -> str:
    """Publish this node's position. A mysqld that runs but does not answer yet keeps the
    last published value: its grastate.dat then says seqno -1 (Galera's "running" mark),
    and publishing that would change an election other nodes are holding right now."""
    if running and not (status and status.get("wsrep_local_state_uuid")):
        return ""
    gtid = current_gtid(env, status, running)
    if GTID.match(gtid):
        attrs.update(env, "gtid", gtid, lifetime="reboot")
        return gtid
    log(env, "WARNING", f"no valid gtid ({gtid!r}): attribute deleted")
    attrs.delete(env, "gtid", lifetime="reboot")
    return ""


def mysqld_pid(env: Env) -> int | None:
    pid = procs.read_pid(pid_file(env))
    return pid if pid is not None and pid != procs.EMPTY and procs.is_alive(pid) else None


def clean_up(env: Env) -> None:
    procs.remove(pid_file(env))
    procs.remove(env.param("socket"))


def monitor(env: Env) -> int:
    return check(env, publish=True)


def check(env: Env, publish: bool) -> int:
    """The monitor; `publish=False` (while this node's own start runs) leaves the `gtid`
    attribute as the election saw it."""
    running = mysqld_pid(env) is not None
    status = query_status(env) if running else None
    if publish:
        publish_gtid(env, status, running)
    tries = 1 if env.is_probe() or env.action != "monitor" else 3
    if not wait_for(lambda: mysqld_pid(env) is not None, tries - 1, 1.0):
        clean_up(env)
        return Rc.NOT_RUNNING
    status = status or query_status(env)
    if status is None:
        log(env, "ERROR", f"mysqld runs but does not answer on {env.param('socket')}")
        return Rc.ERR_GENERIC
    state = status.get("wsrep_local_state_comment", "")
    if status.get("wsrep_connected") != "ON" or state == "Initialized":
        log(env, "ERROR", f"not connected to a primary component (state {state!r})")
        return Rc.ERR_GENERIC
    if state in HEALTHY_WHEN_READY and status.get("wsrep_ready") != "ON":
        log(env, "ERROR", f"wsrep not ready in state {state}")
        return Rc.ERR_GENERIC
    return Rc.SUCCESS


def prepare_directories(env: Env) -> None:
    """The socket and pid directories, owned by user:group (ERR_PERM when that fails)."""
    user, group = env.param("user"), env.param("group")
    for directory in sorted({os.path.dirname(env.param("socket")), os.path.dirname(pid_file(env))}):
        try:
            os.makedirs(directory, exist_ok=True)
            if os.geteuid() == 0:
                os.chown(directory, procs.uid_of(user), procs.gid_of(group))
        except (OSError, KeyError) as error:
            raise AgentError(Rc.ERR_PERM, f"cannot prepare {directory} for {user}:{group}:"
                             f" {error}") from None


def elect(env: Env, me: str) -> bool:
    """True when this node must bootstrap; False when it should join a running instance.
    Waits (master_timeout, checking every election_interval) until every partition member
    has published its gtid or an instance runs somewhere. The first winner this node sees
    is final: a loser never bootstraps later, even when the winner's own start changes the
    positions (that is how two nodes would bootstrap two clusters); it waits for an
    instance to run and joins it."""
    timeout_s = int(env.param("master_timeout"))
    deadline = time.monotonic() + timeout_s
    winner = ""
    while True:
        if [node for node in cluster.running_on(env, env.instance_base) if node != me]:
            log(env, "INFO", "an instance runs elsewhere: joining it")
            return False
        expired = time.monotonic() >= deadline
        winner = winner or election_round(env, me, expired)
        if winner == me:
            return True
        if expired:
            raise AgentError(Rc.ERR_GENERIC, f"no instance started within master_timeout"
                             f" ({timeout_s} s){'; ' + winner + ' won' if winner else ''}")
        time.sleep(int(env.param("election_interval")))


def election_round(env: Env, me: str, expired: bool) -> str:
    """The winner among this partition's published positions; '' while some member has not
    published yet (unless the wait has expired)."""
    members = cluster.partition(env) or [me]
    gtids = {node: g for node, g in attrs.query_all(env, "gtid").items()
             if node in members and GTID.match(g)}
    if not gtids or not (set(members) <= set(gtids) or expired):
        return ""
    winner = choose_bootstrap(gtids)
    log(env, "INFO", f"bootstrap election among {sorted(gtids)}: {winner} wins")
    if winner != me:
        log(env, "INFO", f"waiting for {winner} to bootstrap, then joining it")
    return winner


def init_file(env: Env, directory: str) -> str:
    """SQL run at startup: the monitor's account, local to this node (wsrep off)."""
    user, password = env.param("test_user"), env.param("test_passwd").replace("'", "''")
    path = os.path.join(directory, "init.sql")
    Path(path).write_text(
        "SET SESSION wsrep_on=OFF;\n"
        f"CREATE USER IF NOT EXISTS '{user}'@'localhost' IDENTIFIED BY '{password}';\n"
        f"ALTER USER '{user}'@'localhost' IDENTIFIED BY '{password}';\n")
    os.chmod(directory, 0o755)
    os.chmod(path, 0o644)
    return path


def mark_safe_to_bootstrap(env: Env) -> None:
    """The elected node holds the highest seqno, so Galera's own guard may be lifted."""
    path = Path(env.param("datadir"), "grastate.dat")
    if path.exists():
        text = path.read_text()
        path.write_text(re.sub(r"^safe_to_bootstrap:\s*0", "safe_to_bootstrap: 1", text,
                               flags=re.M))


def launch(env: Env, bootstrap: bool, directory: str) -> int:
    argv = [env.param("binary"), f"--defaults-file={env.param('config')}",
            f"--pid-file={pid_file(env)}", f"--socket={env.param('socket')}",
            f"--datadir={env.param('datadir')}", f"--user={env.param('user')}",
            *shlex.split(env.param("additional_parameters"))]
    if env.param("test_user"):
        argv.append(f"--init-file={init_file(env, directory)}")
    if bootstrap:
        mark_safe_to_bootstrap(env)
        argv.append("--wsrep-new-cluster")
    log(env, "INFO", f"starting {' '.join(argv)}")
    return procs.launch_detached(procs.Launch(tuple(argv), os.path.join(directory, "launch.log"),
                                              cwd=env.param("datadir")))


def start(env: Env) -> int:
    if monitor(env) == Rc.SUCCESS:
        return Rc.SUCCESS
    prepare_directories(env)
    me = cluster.local_node(env)
    needs_election = cluster.has_quorum(env) or len(cluster.partition(env)) <= 1
    bootstrap = needs_election and not cluster.running_on(env, env.instance_base) \
        and elect(env, me)
    with tempfile.TemporaryDirectory(prefix="mysql-wss-") as directory:
        safe_pid = launch(env, bootstrap, directory)
        limit_s = start_wait_s(env)
        if wait_for(lambda: check(env, publish=False) == Rc.SUCCESS, limit_s, 1.0):
            return monitor(env)
        log(env, "ERROR", f"mysqld did not reach a healthy state in {limit_s:.0f} s;"
            f" launch log: {Path(directory, 'launch.log').read_text(errors='replace')[-500:]}")
    stop_group(env, safe_pid)
    clean_up(env)
    return Rc.ERR_GENERIC


def stop_group(env: Env, leader: int | None) -> None:
    """TERM mysqld, wait 20 s, then KILL mysqld_safe's whole process group."""
    pid = mysqld_pid(env)
    group = os.getpgid(pid) if pid else leader
    if pid:
        procs.signal_pid(pid, 15)
        if procs.wait_gone([pid], 20.0, 0.5):
            return
    if group and group not in procs.own_lineage() and group != os.getpgid(0):
        procs.signal_pid(group, 9, group=True)
        procs.wait_gone([p for p in (pid, group) if p], 5.0)


def stop(env: Env) -> int:
    """Stop, then publish the position the stopped node will restart from (its last monitor
    published a running position, which a bootstrap election must not use)."""
    if mysqld_pid(env) is not None:
        stop_group(env, None)
        if mysqld_pid(env) is not None:
            log(env, "ERROR", "mysqld survived SIGKILL")
            return Rc.ERR_GENERIC
    clean_up(env)
    try:
        publish_gtid(env, None, running=False)
    except (AgentError, OSError, subprocess.SubprocessError) as error:
        log(env, "WARNING", f"stopped, but the position was not published: {error}")
    return Rc.SUCCESS


AGENT = Agent(INFO, validate, {"start": start, "stop": stop, "monitor": monitor})
