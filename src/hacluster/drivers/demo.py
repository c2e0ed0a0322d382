"""`python -m hacluster.drivers.demo`: describe the EayunStack loopback cluster.

Owns the demo's steps, one small function each: find ../shared (or $HACLUSTER_SHARED),
read corosync.loopback.conf, and print what an operator needs to know about the
cluster it describes (nodes, effective Totem timings, quorum). Later steps (start the
nodes, form a ring) grow here. Must never send traffic outside 127.0.0.0/8.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hacluster.common import HaError, Problem, Severity
from hacluster.config import ClusterConfig, load_config

CONFIG_NAME = "eayunstack/corosync.loopback.conf"


def find_shared() -> Path:
    """$HACLUSTER_SHARED, else ../shared next to the repository (or the current dir)."""
    if os.environ.get("HACLUSTER_SHARED"):
        return Path(os.environ["HACLUSTER_SHARED"])
    repo = Path(__file__).resolve().parents[3]
    for candidate in (repo.parent / "shared", Path.cwd().parent / "shared"):
        if candidate.is_dir():
            return candidate
    return repo.parent / "shared"


def read_cluster(path: Path) -> tuple[ClusterConfig, tuple[Problem, ...]]:
    config, problems = load_config(path.read_text(encoding="utf-8"), str(path))
    if any(p.severity is Severity.ERROR for p in problems):
        raise HaError(problems)
    return config, problems


def describe_nodes(config: ClusterConfig) -> list[str]:
    dialect = ("corosync 1.x/2.x interface member list" if config.node_source.value
               == "interface.member" else config.node_source.value)
    lines = [f"Cluster: {len(config.nodes)} nodes, transport {config.totem.transport},"
             f" members from the {dialect}",
             f"  {'node id':>12}  {'(hex)':>10}  address",]
    for node in config.nodes:
        lines.append(f"  {node.nodeid:>12}  {node.nodeid:#010x}  {', '.join(node.addresses)}"
                     f"{'  ' + node.name if node.name else ''}")
    if config.totem.clear_node_high_bit:
        lines.append("  node ids are the IPv4 addresses as 32-bit numbers, high bit cleared"
                     " (clear_node_high_bit: yes)")
    return lines


def describe_timings(config: ClusterConfig) -> list[str]:
    totem = config.totem
    return [
        "Totem (effective):",
        f"  token {totem.token_ms} ms, token_retransmit {totem.token_retransmit_ms} ms"
        f" (token / ({totem.token_retransmits_before_loss_const} + 0.2)), hold {totem.hold_ms} ms",
        f"  consensus {totem.consensus_ms} ms, join {totem.join_ms} ms, merge {totem.merge_ms}"
        f" ms, downcheck {totem.downcheck_ms} ms",
        f"  max_messages {totem.max_messages} per token visit, window_size"
        f" {totem.window_size}, netmtu {totem.netmtu}",
        f"  a silent node is declared lost after {totem.token_ms} ms without the token;"
        f" a new ring then needs up to {totem.consensus_ms} ms of consensus",
    ]


def describe_quorum(config: ClusterConfig) -> list[str]:
    quorum = config.quorum
    provider = quorum.provider or "not configured (votequorum rules shown)"
    survivable = max(quorum.expected_votes - quorum.quorum, 0)
    return [
        f"Quorum: provider {provider}",
        f"  expected votes {quorum.expected_votes}, quorum {quorum.quorum}:"
        f" the cluster keeps quorum after losing {survivable} node(s)",
    ]


def describe_problems(problems: Sequence[Problem]) -> list[str]:
    if not problems:
        return ["Config: no problems"]
    return ["Config notes:", *(f"  {p}" for p in problems)]


def main() -> int:
    path = find_shared() / CONFIG_NAME
    try:
        config, problems = read_cluster(path)
    except (OSError, HaError) as error:
        sys.stderr.write(f"demo: cannot load {path}: {error}\n")
        return 78 if isinstance(error, HaError) else 66
    lines = [f"hacluster demo: the cluster described by {path}", ""]
    for step in (describe_nodes(config), describe_timings(config), describe_quorum(config),
                 describe_problems(problems)):
        lines.extend(step)
        lines.append("")
    sys.stdout.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
