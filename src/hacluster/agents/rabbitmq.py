"""ocf:rabbitmq:rabbitmq-server: a RabbitMQ node of a cluster that forms itself (SPEC.md §6.5).

Owns the clone behaviour EayunStack ran: each running node advertises its Erlang node name
as the attributes rmq-node-attr-<rsc> (transient) and rmq-node-attr-last-known-<rsc>
(forever); a start with nobody advertising bootstraps (fresh mnesia, the set_policy
applied, definitions restored from the last stop), otherwise it wipes its mnesia, has a
running member forget its old name and joins that member. Instances started together take
turns in node-name order (a start in progress is claimed in rmq-start-<rsc>), so they form
one cluster, never one each; a node before it that the cluster's plan leaves stopped is
not waited for. Monitor asks the broker for its
cluster status and fails a node in a minority partition. Every RabbitMQ command runs with
this instance's RABBITMQ_* environment, so several nodes can live on one host.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import time

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
)

INFO = AgentInfo(
    "rabbitmq-server", "RabbitMQ node of a self-forming cluster (anonymous clone)",
    "Starts a RabbitMQ node. The first node to start bootstraps the cluster and applies "
    "set_policy; later nodes reset and join a running member. The node name, ports and "
    "directories come from the parameters below (RABBITMQ_* environment) or RabbitMQ's "
    "own configuration.",
    (Parameter("set_policy", "arguments of `rabbitmqctl set_policy`, applied on bootstrap"),
     Parameter("nodename", "Erlang node name (default rabbit@<short hostname>)"),
     Parameter("node_ip", "AMQP listen address (RABBITMQ_NODE_IP_ADDRESS)"),
     Parameter("node_port", "AMQP port (RABBITMQ_NODE_PORT)", content="integer"),
     Parameter("dist_port", "Erlang distribution port (RABBITMQ_DIST_PORT)", content="integer"),
     Parameter("mnesia_base", "RABBITMQ_MNESIA_BASE", default="/var/lib/rabbitmq/mnesia"),
     Parameter("log_base", "RABBITMQ_LOG_BASE", default="/var/log/rabbitmq"),
     Parameter("pid_file", "RABBITMQ_PID_FILE (default $HA_RSCTMP/rabbitmq-server/<node>.pid)"),
     Parameter("erl_args", "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"),
     Parameter("server", "rabbitmq-server", default="/usr/sbin/rabbitmq-server"),
     Parameter("ctl", "rabbitmqctl", default="/usr/sbin/rabbitmqctl"),
     Parameter("user", "the user RabbitMQ runs as", default="rabbitmq"),
     Parameter("bootstrap_wait", "seconds per node before it in name order that a node waits"
               " for them to bootstrap, when no broker runs yet (only for the nodes the"
               " cluster plans to start it on, per crm_simulate -L)", content="integer",
               default="30")),
    (Action("start", 360), Action("stop", 60), Action("monitor", 60, 30, 0),
     Action("notify", 60), Action("meta-data", 5), Action("validate-all", 20)))


def split_policy(value: str) -> list[str]:
    """`set_policy` as rabbitmqctl arguments. Shell-style, so Fuel's `ha-all "." {...}` gives
    the pattern `.` (SPEC.md §6.5), but an unquoted JSON definition is kept verbatim (a
    shell would strip its inner quotes). ValueError when the definition is not JSON."""
    words = shlex.split(value)
    if not words or all(not w.startswith("{") for w in words) or any(
            is_json(w) for w in words if w.startswith("{")):
        return words
    start = value.index("{")
    depth, end = 0, -1
    for index in range(start, len(value)):
        depth += {"{": 1, "}": -1}.get(value[index], 0)
        if depth == 0:
            end = index
            break
    definition = value[start:end + 1]
    if end < 0 or not is_json(definition):
        raise ValueError(f"definition {definition!r} is not JSON")
    return [*shlex.split(value[:start]), definition, *shlex.split(value[end + 1:])]


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def nodename(env: Env) -> str:
    return env.param("nodename") or f"rabbit@{socket.gethostname().split('.')[0]}"


def attr_names(env: Env) -> tuple[str, str]:
    base = env.instance_base
    return f"rmq-node-attr-{base}", f"rmq-node-attr-last-known-{base}"


def pid_file(env: Env) -> str:
    return env.param("pid_file") or os.path.join(env.state_dir(), f"{nodename(env)}.pid")


def mnesia_dir(env: Env) -> str:
    return os.path.join(env.param("mnesia_base"), nodename(env))


def rabbit_env(env: Env) -> dict[str, str]:
    """This instance's RABBITMQ_* environment (epmd kept on loopback)."""
    values = {"RABBITMQ_NODENAME": nodename(env), "RABBITMQ_NODE_IP_ADDRESS": env.param("node_ip"),
              "RABBITMQ_NODE_PORT": env.param("node_port"),
              "RABBITMQ_DIST_PORT": env.param("dist_port"),
              "RABBITMQ_MNESIA_BASE": env.param("mnesia_base"),
              "RABBITMQ_LOG_BASE": env.param("log_base"), "RABBITMQ_PID_FILE": pid_file(env),
              "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": env.param("erl_args"),
              "ERL_EPMD_ADDRESS": env.environ.get("ERL_EPMD_ADDRESS", "127.0.0.1")}
    base = {"PATH": env.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
    return {**base, **{k: v for k, v in values.items() if v}}


def ctl(env: Env, *args: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    argv = [env.param("ctl"), "-n", nodename(env), *args]
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s,
                              env=rabbit_env(env), stdin=subprocess.DEVNULL, cwd="/")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", f"timed out after {timeout_s} s")


def validate(env: Env) -> int:
    find_binary(env, require(env, "server"))
    find_binary(env, require(env, "ctl"))
    if not procs.user_exists(require(env, "user")):
        raise AgentError(Rc.ERR_INSTALLED, f"parameter user: no such user {env.param('user')!r}")
    for name in ("node_port", "dist_port"):
        value = env.param(name)
        if value and not (value.isdigit() and 0 < int(value) < 65536):
            raise AgentError(Rc.ERR_CONFIGURED, f"parameter {name}={value!r} is not a port")
    integer(env, "bootstrap_wait")
    try:
        split_policy(env.param("set_policy"))
    except ValueError as error:
        raise AgentError(Rc.ERR_CONFIGURED, f"parameter set_policy: {error}") from None
    attrs.command(env)
    return Rc.SUCCESS


def cluster_status(env: Env) -> dict[str, object] | None:
    done = ctl(env, "cluster_status", "--formatter", "json")
    if done.returncode != 0:
        return None
    try:
        status = json.loads(done.stdout)
    except json.JSONDecodeError:
        return None
    return status if isinstance(status, dict) else None


def advertised(env: Env) -> dict[str, str]:
    """{cluster node: Erlang node name} of the nodes advertising a running broker."""
    members = set(cluster.partition(env))
    return {node: name for node, name in attrs.query_all(env, attr_names(env)[0]).items()
            if not members or node in members}


def monitor(env: Env) -> int:
    transient, last_known = attr_names(env)
    status = cluster_status(env)
    running = status.get("running_nodes", []) if status else []
    if not isinstance(running, list) or nodename(env) not in running:
        attrs.delete(env, transient)
        return Rc.NOT_RUNNING
    if len(running) * 2 < len(advertised(env)):
        log(env, "ERROR", f"minority partition: {len(running)} running broker(s) of"
            f" {len(advertised(env))} advertised")
        attrs.delete(env, transient)
        return Rc.ERR_GENERIC
    attrs.update(env, transient, nodename(env))
    attrs.update(env, last_known, nodename(env), lifetime="forever")
    return Rc.SUCCESS


def prepare(env: Env) -> None:
    uid, gid = procs.uid_of(env.param("user")), procs.gid_of(env.param("user"))
    for directory in (env.param("mnesia_base"), env.param("log_base"),
                      os.path.dirname(pid_file(env))):
        os.makedirs(directory, exist_ok=True)
        if os.geteuid() == 0:
            os.chown(directory, uid, gid)


def wipe(env: Env) -> None:
    shutil.rmtree(mnesia_dir(env), ignore_errors=True)


def launch(env: Env) -> bool:
    """rabbitmq-server -detached, then `rabbitmqctl wait` until the app runs. (RabbitMQ 3.10
    starts Erlang distribution inside the app, so a bare RABBITMQ_NODE_ONLY node cannot be
    joined: a joiner boots a lone broker first.)"""
    prepare(env)
    procs.remove(pid_file(env))
    subprocess.run([env.param("server"), "-detached"], env=rabbit_env(env), cwd="/",
                   capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    wait_s = int(start_wait_s(env))
    done = ctl(env, "wait", pid_file(env), "--timeout", str(wait_s), timeout_s=wait_s + 10)
    if done.returncode != 0:
        log(env, "ERROR", f"broker did not come up: {done.stderr.strip()[-300:]}")
    return done.returncode == 0


def definitions_file(env: Env) -> str:
    return os.path.join(env.param("mnesia_base"), f"{nodename(env)}-definitions.json")


BACKED_UP = ("vhosts", "users", "permissions", "topic_permissions", "policies")


def kept_definitions(exported: dict[str, object]) -> dict[str, object]:
    """What a stop saves of `rabbitmqctl export_definitions`: the virtual hosts, the users
    other than guest, their permissions and the policies (not queues or messages)."""
    kept: dict[str, object] = {}
    for key in BACKED_UP:
        items = exported.get(key)
        if isinstance(items, list):
            kept[key] = [item for item in items if key != "users"
                         or not (isinstance(item, dict) and item.get("name") == "guest")]
    return kept


def save_definitions(env: Env) -> None:
    """Back up users, permissions and policies before a stop (the broker must answer)."""
    done = ctl(env, "export_definitions", "-", "--format", "json")
    try:
        exported = json.loads(done.stdout) if done.returncode == 0 else None
    except json.JSONDecodeError:
        exported = None
    if not isinstance(exported, dict):
        log(env, "WARNING", f"could not save users, permissions and policies:"
            f" {done.stderr.strip()[-300:]}")
        return
    backup = definitions_file(env)
    os.makedirs(os.path.dirname(backup), exist_ok=True)
    with open(backup + ".tmp", "w") as out:
        json.dump(kept_definitions(exported), out, indent=1, sort_keys=True)
    os.replace(backup + ".tmp", backup)


def restore_definitions(env: Env) -> None:
    """After a bootstrap or a join: load what the last stop saved (a failure is logged)."""
    backup = definitions_file(env)
    if not os.path.exists(backup):
        return
    done = ctl(env, "import_definitions", backup)
    if done.returncode != 0:
        log(env, "WARNING", f"could not restore the definitions saved in {backup}:"
            f" {done.stderr.strip()[-300:]}")
    else:
        log(env, "INFO", f"restored users, permissions and policies from {backup}")


def bootstrap(env: Env) -> bool:
    wipe(env)
    if not launch(env):
        return False
    restore_definitions(env)
    policy = split_policy(env.param("set_policy"))
    if policy:
        done = ctl(env, "set_policy", *policy)
        if done.returncode != 0:
            log(env, "ERROR", f"set_policy {policy} failed: {done.stderr.strip()}")
            return False
    return True


def join(env: Env, targets: list[str]) -> bool:
    """Reset, have the members forget our old name, start, and join the first target that
    takes us (unless the broker rejoined by itself)."""
    last_known = attrs.query_all(env, attr_names(env)[1]).get(cluster.local_node(env), "")
    stop_broker(env)
    wipe(env)
    for target in targets:
        if last_known:
            subprocess.run([env.param("ctl"), "-n", target, "forget_cluster_node", last_known],
                           capture_output=True, timeout=60, env=rabbit_env(env), cwd="/")
    if not launch(env):
        return False
    running = (cluster_status(env) or {}).get("running_nodes", [])
    if isinstance(running, list) and set(targets) & set(running):
        return True
    ctl(env, "stop_app")
    for target in targets:
        if ctl(env, "join_cluster", target).returncode == 0:
            return ctl(env, "start_app", timeout_s=start_wait_s(env)) \
                .returncode == 0
        log(env, "WARNING", f"join_cluster {target} failed")
    return False


def bootstrap_turn(me: str, members: list[str], starting: set[str], waited_s: float,
                   per_rank_s: float, planned: set[str] | None = None) -> bool:
    """Whether `me` may bootstrap now, no broker running anywhere. Nodes take turns in name
    order, so that instances started together form one cluster and not one each: a node
    waits while a node before it is starting (it will bootstrap or join, and then `me`
    joins it), and otherwise `per_rank_s` for each node before it that the cluster plans to
    start an instance on (time for its start to begin). A node before it that the plan
    leaves stopped (banned, failed, standby) is not waited for; with no plan (None, unread)
    every node before it is."""
    before = [node for node in sorted(members) if node < me]
    awaited = [node for node in before if planned is None or node in planned]
    return not set(before) & starting and waited_s >= per_rank_s * len(awaited)


def starting_nodes(env: Env) -> set[str] | None:
    """Nodes whose start of this clone is under way (their claim is younger than our op
    timeout: a start killed by its timeout leaves a claim that must not block forever);
    None when the claims cannot be read."""
    now, limit_s = time.time(), env.timeout_ms() / 1000
    claims = attrs.query_known(env, claim_name(env))
    if claims is None:
        return None
    return {node for node, since in claims.items()
            if since.isdigit() and now - int(since) < limit_s}


def may_bootstrap(env: Env, me: str, waited_s: float, per_rank_s: int) -> bool:
    """Whether nothing runs to join and it is `me`'s turn to bootstrap. Any fact that cannot
    be read (attrd or crm_node failing under load) means "not yet": a node that bootstraps
    on an unknown answer starts a second cluster beside the first."""
    members = cluster.partition_known(env, me)
    starting = starting_nodes(env)
    running = attrs.query_known(env, attr_names(env)[0])
    if members is None or starting is None or running is None:
        log(env, "WARNING", "cluster facts unreadable: not bootstrapping this round")
        return False
    if any(node != me and node in members for node in running):
        return False  # a broker came up meanwhile: the next round joins it
    before = {node for node in members if node < me}
    planned = cluster.planned_starts(env, env.instance_base) \
        if before and not before & starting else None
    return bootstrap_turn(me, members, starting, waited_s, per_rank_s, planned)


def claim_name(env: Env) -> str:
    return f"rmq-start-{env.instance_base}"


def start(env: Env) -> int:
    if monitor(env) == Rc.SUCCESS:
        return Rc.SUCCESS
    attrs.update(env, claim_name(env), str(int(time.time())))
    try:
        return start_claimed(env, cluster.local_node(env))
    finally:
        attrs.delete(env, claim_name(env))


def start_claimed(env: Env, me: str) -> int:
    began = time.monotonic()
    deadline = began + start_wait_s(env) - 5
    per_rank_s = integer(env, "bootstrap_wait")
    said = False
    while True:
        targets = sorted(name for node, name in advertised(env).items() if node != me)
        if not targets and not may_bootstrap(env, me, time.monotonic() - began, per_rank_s):
            if time.monotonic() >= deadline:
                log(env, "ERROR", "no broker to join and not this node's turn to bootstrap")
                return Rc.ERR_GENERIC
            if not said:
                log(env, "INFO", "waiting for a node before this one to bootstrap")
                said = True
            time.sleep(2)
            continue
        ok = join(env, targets) if targets else bootstrap(env)
        if ok and monitor(env) == Rc.SUCCESS:
            how = f"joined {','.join(targets)}" if targets else "bootstrapped"
            log(env, "INFO", f"{nodename(env)} {how}")
            if targets:
                restore_definitions(env)
            return Rc.SUCCESS
        stop_broker(env)
        if time.monotonic() >= deadline or not targets:
            attrs.delete(env, attr_names(env)[0])
            return Rc.ERR_GENERIC
        log(env, "WARNING", "could not join any running member: retrying the start")


def stray_vms(env: Env) -> list[int]:
    """This node's Erlang VMs found by name (a broker that died before writing its pid file)."""
    return [pid for pid in procs.find_processes(f" {nodename(env)} ", env.param("user"))
            if "beam" in os.path.basename(procs.cmdline(pid)[0])]


def stop_broker(env: Env) -> int:
    pid = procs.read_pid(pid_file(env))
    if pid is None or pid == procs.EMPTY or not procs.is_alive(pid):
        procs.remove(pid_file(env))
        strays = stray_vms(env)
        if strays and not procs.terminate(strays, 10.0):
            return Rc.ERR_GENERIC
        return Rc.SUCCESS
    done = ctl(env, "stop", pid_file(env), timeout_s=max(env.timeout_ms() / 1000 - 5, 10))
    if procs.is_alive(pid):
        procs.terminate([pid], 5.0)
    procs.remove(pid_file(env))
    return Rc.SUCCESS if not procs.is_alive(pid) else done.returncode or Rc.ERR_GENERIC


def stop(env: Env) -> int:
    if cluster_status(env) is not None:
        save_definitions(env)
    rc = stop_broker(env)
    attrs.delete(env, attr_names(env)[0])
    attrs.delete(env, claim_name(env))  # left behind by a start killed at its timeout
    return rc


def notify(env: Env) -> int:
    """Post-stop (only with notify=true): running nodes forget the nodes that stopped."""
    if env.meta("notify_type") != "post" or env.meta("notify_operation") != "stop":
        return Rc.SUCCESS
    known = attrs.query_all(env, attr_names(env)[1])
    for node in env.meta("notify_stop_uname").split():
        if node != cluster.local_node(env) and known.get(node):
            ctl(env, "forget_cluster_node", known[node])
    return Rc.SUCCESS


AGENT = Agent(INFO, validate, {"start": start, "stop": stop, "monitor": monitor,
                               "notify": notify})
