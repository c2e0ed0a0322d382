"""RabbitMQ nodes on one host, for the real rabbitmq-server agent (tests, live tests).

Owns what each broker would have on its own machine, made distinct so that several share
one kernel (SPEC.md §7): node i is the Erlang node `<prefix>-<slot>-i@localhost` with its
own AMQP and distribution ports on 127.0.0.1 and its own mnesia, log and pid file under
`root/<node>`; epmd stays on loopback. `params()` are the agent's instance attributes for
a node. The slot keeps concurrent runs of the suite apart (`pick_slot`). Needs root (the
brokers run as user rabbitmq); `why_not_here` says what is missing. Stdlib only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hacluster.agents.lab_ports import first_free_slot

CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TOOLS = ("rabbitmq-server", "rabbitmqctl", "epmd")
POLICY = 'ha-all "." {"ha-mode":"all","ha-sync-mode":"automatic"}'
AMQP_BASE, DIST_BASE = 30000, 40000  # + slot * 10 + node number


@dataclass(frozen=True)
class RabbitLab:
    """`prefix` starts every Erlang node name of this lab, `slot` is this run's (1-250)."""

    root: Path
    prefix: str
    slot: int

    def erlang_name(self, node: str) -> str:
        return f"{self.prefix}-{self.slot}-{node.rsplit('-', 1)[-1]}@localhost"

    def params(self, node: str) -> dict[str, str]:
        home, number = self.root / node, int(node.rsplit("-", 1)[-1])
        return {"set_policy": POLICY, "nodename": self.erlang_name(node), "node_ip": "127.0.0.1",
                "node_port": str(AMQP_BASE + self.slot * 10 + number),
                "dist_port": str(DIST_BASE + self.slot * 10 + number),
                "erl_args": "-kernel inet_dist_use_interface {127,0,0,1}",
                "mnesia_base": str(home / "mnesia"), "log_base": str(home / "log"),
                "pid_file": str(home / "run" / "rabbit.pid")}

    def ctl(self, node: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["rabbitmqctl", "-n", self.erlang_name(node), *args],
                              capture_output=True, text=True, timeout=60,
                              env={"PATH": CLEAN_PATH, "ERL_EPMD_ADDRESS": "127.0.0.1"},
                              stdin=subprocess.DEVNULL)

    def cluster_status(self, node: str) -> dict[str, list[str]]:
        """running_nodes and disk_nodes as node's broker sees them (empty when it is down)."""
        done = self.ctl(node, "cluster_status", "--formatter", "json")
        try:
            status = json.loads(done.stdout) if done.returncode == 0 else {}
        except json.JSONDecodeError:
            status = {}
        return {key: sorted(status.get(key, [])) for key in ("running_nodes", "disk_nodes")}

    def broker_pid(self, node: str) -> int:
        """The Erlang VM's pid from its pid file, 0 when there is none."""
        try:
            return int((self.root / node / "run" / "rabbit.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0


def why_not_here() -> str:
    """'' when RabbitMQ brokers can run here, else what is missing."""
    if os.geteuid() != 0:
        return "needs root (RabbitMQ runs as user rabbitmq)"
    for tool in TOOLS:
        if shutil.which(tool, path=CLEAN_PATH) is None:
            return f"{tool} is not installed (Debian rabbitmq-server)"
    return ""


def pick_slot(nodes: int, seed: int, listening: Callable[[], str]) -> int:
    """A free slot (1-250) for `nodes` brokers, starting from `seed`; 0 when none is free."""
    return first_free_slot(seed, listening(), lambda slot: (
        base + slot * 10 + n for base in (AMQP_BASE, DIST_BASE) for n in range(1, nodes + 1)))


def epmd_running() -> bool:
    return subprocess.run(["pgrep", "-x", "epmd"], capture_output=True).returncode == 0


def stop_epmd() -> None:
    """`epmd -kill`: epmd refuses while any Erlang node is still registered with it."""
    subprocess.run(["epmd", "-kill"], capture_output=True, timeout=30,
                   env={"PATH": CLEAN_PATH, "ERL_EPMD_ADDRESS": "127.0.0.1"})
