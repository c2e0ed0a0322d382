"""Node attributes for agents, through an `attrd_updater`-style command.

Owns how an agent publishes and reads transient node attributes (pingd, gtid, rmq-node-attr-*):
the command is $HACLUSTER_ATTRD_UPDATER when set (hacluster's executor points it at our own
attrd_updater; tests at a recorder), else `attrd_updater` on PATH. It speaks Pacemaker's
options: -n NAME with -U/-B VALUE [-d DAMPEN], -D, -Q -A. Must never write the CIB directly.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence

from hacluster.agents.ocf import AgentError, Env, Rc, log

ENV_COMMAND = "HACLUSTER_ATTRD_UPDATER"
QUERY_LINE = re.compile(r'name="([^"]*)"\s+host="([^"]*)"\s+value="([^"]*)"')


def command(env: Env) -> str:
    """The attribute command; ERR_INSTALLED naming it when it cannot be found."""
    wanted = env.environ.get(ENV_COMMAND) or "attrd_updater"
    found = shutil.which(wanted, path=env.environ.get("PATH"))
    if found is None:
        raise AgentError(Rc.ERR_INSTALLED, f"attribute command {wanted} not found (set"
                         f" {ENV_COMMAND})")
    return found


def call(env: Env, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([command(env), *args], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        log(env, "WARNING", f"{' '.join(['attrd_updater', *args])} exited {done.returncode}:"
            f" {done.stderr.strip()}")
    return done


def this_node(env: Env) -> list[str]:
    """`-N <node>` when the executor told us our node name (needed on a CIB_file; harmless
    on a live cluster, where it is this node anyway)."""
    return ["-N", env.meta("on_node")] if env.meta("on_node") else []


def update(env: Env, name: str, value: str, dampen: str = "", both: bool = False,
           lifetime: str = "") -> int:
    """Set `name` on this node; `both` also sets the dampening delay (-B, as on start)."""
    args = ["-n", name, "-B" if both else "-U", value, *this_node(env)]
    args += ["-d", dampen] if dampen else []
    args += ["-l", lifetime] if lifetime else []
    return call(env, args).returncode


def delete(env: Env, name: str, lifetime: str = "") -> int:
    args = ["-n", name, "-D", *this_node(env), *(["-l", lifetime] if lifetime else [])]
    return call(env, args).returncode


NO_SUCH_ATTRIBUTE = 105  # crm_exit_t CRM_EX_NOSUCH: no node has a value


def query_known(env: Env, name: str) -> dict[str, str] | None:
    """{node: value} of `name` on every node that has it; {} when no node has it; None when
    the query itself failed (attrd unreachable, a tool error): unknown is not "nobody"."""
    done = call(env, ["-n", name, "-Q", "-A"])
    if done.returncode == NO_SUCH_ATTRIBUTE:
        return {}
    if done.returncode != 0:
        return None
    return {m.group(2): m.group(3) for m in QUERY_LINE.finditer(done.stdout)
            if m.group(1) == name}


def query_all(env: Env, name: str) -> dict[str, str]:
    """query_known, with a failed query read as empty: only for decisions where "nobody"
    is the safe answer."""
    return query_known(env, name) or {}
