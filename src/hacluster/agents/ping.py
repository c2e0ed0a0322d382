"""ocf:pacemaker:ping: count the reachable hosts and publish `pingd` = count × multiplier.

Owns SPEC.md §6.2: a state file marks the resource as running; start and every monitor ping
each host of `host_list` (in parallel, `ping -n -q -i 0.2 -W timeout -c attempts`) and publish the
score through attrs (start with -B, which also sets the dampening delay). Monitor stays 0
when no host answers: the location rule moves the VIP, not a ping failure. Stop removes the
state file and deletes the attribute. Tests ping only loopback or their own namespaces.
"""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

from hacluster.agents import attrs, procs
from hacluster.agents.ocf import (
    Action,
    Agent,
    AgentError,
    AgentInfo,
    Env,
    Parameter,
    Rc,
    duration_s,
    find_binary,
    integer,
    log,
    require,
)

INFO = AgentInfo(
    "ping", "Publishes how many hosts answer ping as a node attribute",
    "Pings every host of host_list and sets the node attribute `name` (pingd) to the number "
    "that answered times multiplier, dampened by `dampen`. The resource itself never fails "
    "because a host is unreachable; only the attribute drops.",
    (Parameter("host_list", "space-separated hosts to ping", required=True),
     Parameter("multiplier", "score per reachable host", content="integer", default="1"),
     Parameter("name", "node attribute to set", default="pingd"),
     Parameter("dampen", "how long a new value must hold before it is written",
               default="5s"),
     Parameter("timeout", "seconds to wait for each reply", default="2"),
     Parameter("attempts", "pings per host", content="integer", default="3"),
     Parameter("options", "extra ping options"),
     Parameter("failure_score", "monitor fails below this score", content="integer"),
     Parameter("use_fping", "accepted for compatibility; ping is always used",
               content="boolean", default="false"),
     Parameter("debug", "log every update", content="boolean", default="false"),
     Parameter("pidfile", "state file marking the resource as started")),
    (Action("start", 60), Action("stop", 20), Action("monitor", 60, 10, 0),
     Action("meta-data", 5), Action("validate-all", 20)))


def state_file(env: Env) -> str:
    if env.param("pidfile"):
        return env.param("pidfile")
    base = env.environ.get("HA_RSCTMP") or "/run/resource-agents"
    return os.path.join(base, f"ping-{env.param('name')}-{env.instance_base}")


def validate(env: Env) -> int:
    if not require(env, "host_list").split():
        raise AgentError(Rc.ERR_CONFIGURED, "parameter host_list is empty")
    require(env, "name")
    integer(env, "multiplier")
    integer(env, "attempts", minimum=1)
    duration_s(env, "timeout")
    duration_s(env, "dampen")
    if env.param("failure_score"):
        integer(env, "failure_score")
    find_binary(env, "ping")
    attrs.command(env)
    return Rc.SUCCESS


def count_reachable(env: Env) -> int:
    """How many hosts of host_list answered (all pinged at once)."""
    wait_s = max(1, math.ceil(duration_s(env, "timeout")))
    attempts = env.param("attempts")
    pings = [subprocess.Popen(["ping", "-n", "-q", "-i", "0.2", "-W", str(wait_s), "-c", attempts,
                               *env.param("options").split(), host],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
             for host in env.param("host_list").split()]
    limit_s = wait_s * int(attempts) + 5
    return sum(1 for ping in pings if ping.wait(limit_s) == 0)


def publish(env: Env, on_start: bool) -> int:
    score = count_reachable(env) * int(env.param("multiplier"))
    rc = attrs.update(env, env.param("name"), str(score), env.param("dampen"), both=on_start)
    if rc != 0:
        return rc
    failure_score = env.param("failure_score")
    if failure_score and score < int(failure_score):
        log(env, "ERROR", f"score {score} is below failure_score {failure_score}")
        return Rc.ERR_GENERIC
    return Rc.SUCCESS


def start(env: Env) -> int:
    if monitor(env) == Rc.SUCCESS:
        return Rc.SUCCESS
    path = Path(state_file(env))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{os.getpid()}\n")
    rc = publish(env, on_start=True)
    if rc != Rc.SUCCESS:
        procs.remove(str(path))
        attrs.delete(env, env.param("name"))
    return rc


def monitor(env: Env) -> int:
    if not os.path.exists(state_file(env)):
        return Rc.NOT_RUNNING
    return Rc.SUCCESS if env.is_probe() else publish(env, on_start=False)


def stop(env: Env) -> int:
    procs.remove(state_file(env))
    attrs.delete(env, env.param("name"))
    return Rc.SUCCESS


AGENT = Agent(INFO, validate, {"start": start, "stop": stop, "monitor": monitor})
