"""What an agent may ask the cluster: its node name, the partition, quorum, where a resource runs.

Owns the few cluster queries the Galera and RabbitMQ agents need (SPEC.md §6.4, §6.5), made
through Pacemaker's command-line tools found on PATH (`crm_node -n/-p/-q`,
`crm_resource --locate`, `crm_simulate -L` for what the cluster plans to start);
hacluster's executor puts its own versions first on PATH. A query that fails answers
conservatively (no partition, no quorum, running nowhere, plan unknown) and is logged.
Must never change the cluster: it only reads.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from hacluster.agents.ocf import Env, log

LOCATE_LINE = re.compile(r"is running on:\s*(\S+)")


def tool(env: Env, args: list[str]) -> subprocess.CompletedProcess[str] | None:
    found = shutil.which(args[0], path=env.environ.get("PATH"))
    if found is None:
        log(env, "WARNING", f"{args[0]} not found on PATH")
        return None
    done = subprocess.run([found, *args[1:]], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL, env=dict(env.environ))
    if done.returncode != 0:
        log(env, "WARNING", f"{' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return done


def local_node(env: Env) -> str:
    """This node's name: the executor's CRM_meta_on_node, else `crm_node -n`, else uname."""
    if env.meta("on_node"):
        return env.meta("on_node")
    done = tool(env, ["crm_node", "-n"])
    if done is not None and done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    return os.uname().nodename


def partition(env: Env) -> list[str]:
    """The node names of this partition (`crm_node -p`), sorted."""
    done = tool(env, ["crm_node", "-p"])
    return sorted(done.stdout.split()) if done is not None and done.returncode == 0 else []


def partition_known(env: Env, me: str) -> list[str] | None:
    """The partition's node names, sorted; [me] without cluster tools (an agent run by hand
    or by ocf-tester); None when `crm_node -p` ran and failed (unknown, not "alone")."""
    done = tool(env, ["crm_node", "-p"])
    if done is None:
        return [me]
    if done.returncode != 0:
        return None
    return sorted(done.stdout.split()) or [me]


def has_quorum(env: Env) -> bool:
    done = tool(env, ["crm_node", "-q"])
    return done is not None and done.returncode == 0 and done.stdout.strip() == "1"


def running_on(env: Env, resource: str) -> list[str]:
    """Nodes where `resource` (a primitive or its clone) runs, from `crm_resource --locate`."""
    done = tool(env, ["crm_resource", "--locate", "--resource", resource])
    if done is None or done.returncode != 0:
        return []
    return sorted(set(LOCATE_LINE.findall(done.stdout)))


# "  * Start      p_rabbitmq-server:1     ( node-1 )", "* Move p ( node-1 -> node-2 )"...
PLANNED_LINE = re.compile(r"^\s*\*\s+(Start|Restart|Recover|Move|Migrate)\s+(\S+)\s+\(([^)]*)\)")


def planned_starts(env: Env, primitive: str) -> set[str] | None:
    """Nodes where the cluster's plan (`crm_simulate -L -S`, the scheduler run on the live
    CIB) starts an instance of `primitive`, or where it is starting now (a start in flight
    is not in the CIB yet, so it is still planned); None when the plan cannot be read.
    `-S` is needed: like Pacemaker's, our crm_simulate prints the Transition Summary only
    when it simulates (-S) or shows scores (-s)."""
    done = tool(env, ["crm_simulate", "-L", "-S"])
    if done is None or done.returncode != 0:
        return None
    return planned_nodes(done.stdout, primitive)


def planned_nodes(shown: str, primitive: str) -> set[str] | None:
    """The nodes the Transition Summary of crm_simulate's output `shown` starts an
    instance of `primitive` on (a blocked start is not planned); None without a summary."""
    if "Transition Summary:" not in shown:
        return None
    summary = shown.split("Transition Summary:", 1)[1]
    summary = summary.split("Executing Cluster Transition:", 1)[0]
    nodes: set[str] = set()
    for line in summary.splitlines():
        found = PLANNED_LINE.match(line)
        if (found and "(blocked)" not in line and found.group(3).split()
                and found.group(2).split(":")[0] == primitive):
            nodes.add(found.group(3).split()[-1])
    return nodes
