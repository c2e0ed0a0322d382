"""Checks that need the whole model: node ids, addresses, timings, crypto, local node.

Owns the problems no single key can show: duplicate node ids or addresses, no
members, consensus < 1.2 × token with ≥ 3 nodes, derived timings under Corosync's
floors, crypto without a key, a local node that cannot be found. Facts about the
host (does the key file exist, which node am I) come in as arguments.
Must never raise, never look at the host, and always return every problem at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from hacluster.common import Code, Problem, Severity
from hacluster.config.model import ClusterConfig, NodeSource
from hacluster.config.parse import problem_at
from hacluster.config.schema import MINIMUM_TIMEOUT_HOLD_MS, MINIMUM_TIMEOUT_MS

Position = tuple[int, int]
# The largest burst corosync lets one token visit send: kernel buffer / MTU.
_SEND_BUFFER_BYTES = 256_000


def in_file(code: Code, filename: str, message: str,
            severity: Severity = Severity.ERROR, **details: object) -> Problem:
    """A problem about the file as a whole (no single line to blame)."""
    return Problem(code, f"{filename}: {message}",
                   MappingProxyType({"file": filename, **details}), severity)


def check_nodes(config: ClusterConfig, filename: str,
                positions: tuple[Position, ...]) -> list[Problem]:
    """Duplicate node ids and addresses, each reported at the later node."""
    problems: list[Problem] = []
    ids: dict[int, int] = {}
    owners: dict[str, int] = {}
    for index, node in enumerate(config.nodes):
        line, column = positions[index] if index < len(positions) else (0, 0)
        if node.nodeid and node.nodeid in ids:
            problems.append(problem_at(
                Code.CONFIG_DUPLICATE_NODEID, filename, line, column,
                f"node id {node.nodeid} is already used by node {ids[node.nodeid] + 1}",
                nodeid=node.nodeid))
        ids.setdefault(node.nodeid, index)
        for address in sorted(set(a for a in node.addresses if a)):
            if address in owners:
                problems.append(problem_at(
                    Code.CONFIG_DUPLICATE_ADDRESS, filename, line, column,
                    f"address {address} is already used by node {owners[address] + 1}",
                    address=address))
            owners.setdefault(address, index)
    if not config.nodes and config.totem.transport != "udp":
        problems.append(in_file(
            Code.CONFIG_NO_MEMBERS, filename,
            f"no cluster members: transport {config.totem.transport} needs a nodelist"
            " (or 1.x interface member entries)"))
    return problems


def check_totem(config: ClusterConfig, filename: str,
                where: Mapping[str, Position]) -> list[Problem]:
    """Timings against Corosync's floors and advice; crypto consistency."""
    totem = config.totem
    problems: list[Problem] = []

    def at(key: str, code: Code, message: str, severity: Severity = Severity.ERROR) -> None:
        line, column = where.get(f"totem.{key}", where.get("totem", (0, 0)))
        problems.append(problem_at(code, filename, line, column, message, severity, key=key))

    if totem.token_retransmit_ms < MINIMUM_TIMEOUT_MS:
        at("token", Code.CONFIG_VALUE_OUT_OF_RANGE,
           f"token_retransmit works out at {totem.token_retransmit_ms} ms, under the"
           f" {MINIMUM_TIMEOUT_MS} ms minimum: raise token or lower"
           " token_retransmits_before_loss_const")
    if totem.hold_ms < MINIMUM_TIMEOUT_HOLD_MS:
        at("token", Code.CONFIG_VALUE_OUT_OF_RANGE,
           f"hold works out at {totem.hold_ms} ms, under the {MINIMUM_TIMEOUT_HOLD_MS} ms"
           " minimum")
    floor = int(1.2 * totem.token_ms)
    if "consensus" in totem.configured and totem.consensus_ms < floor \
            and len(config.nodes) >= 3:
        at("consensus", Code.CONFIG_CONSENSUS_TOO_SMALL,
           f"consensus {totem.consensus_ms} ms is under 1.2 × token ({floor} ms) with"
           f" {len(config.nodes)} nodes: odd membership changes become likely",
           Severity.WARNING)
    # knet fragments itself; the kernel-buffer bound is about udp/udpu frames.
    if totem.transport != "knet" and totem.max_messages > _SEND_BUFFER_BYTES // totem.netmtu:
        at("max_messages", Code.CONFIG_VALUE_OUT_OF_RANGE,
           f"max_messages {totem.max_messages} exceeds {_SEND_BUFFER_BYTES} / netmtu"
           f" = {_SEND_BUFFER_BYTES // totem.netmtu}: the send buffer may overflow",
           Severity.WARNING)
    if totem.crypto_cipher != "none" and totem.crypto_hash == "none":
        at("crypto_cipher", Code.CONFIG_CONFLICT,
           "crypto_cipher needs a crypto_hash too (it is 'none')")
    return problems + _check_interfaces(config, filename, where)


def _check_interfaces(config: ClusterConfig, filename: str,
                      where: Mapping[str, Position]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[int] = set()
    for index, interface in enumerate(config.totem.interfaces):
        line, column = where.get(f"totem.interface.{index}", (0, 0))
        if interface.linknumber in seen:
            problems.append(problem_at(
                Code.CONFIG_CONFLICT, filename, line, column,
                f"link {interface.linknumber} is configured by two interface sections"))
        seen.add(interface.linknumber)
    quorum = config.quorum
    if quorum.two_node and len(config.nodes) > 2 and config.node_source != NodeSource.NONE:
        line, column = where.get("quorum.two_node", (0, 0))
        problems.append(problem_at(
            Code.CONFIG_CONFLICT, filename, line, column,
            f"two_node has no effect with {len(config.nodes)} nodes", Severity.WARNING))
    return problems


def check_environment(
    config: ClusterConfig,
    filename: str,
    keyfile_exists: Callable[[str], bool] | None = None,
    local_found: bool | None = None,
    local_required: bool = False,
    local_hint: str = "",
) -> list[Problem]:
    """Problems that depend on this host: the key file, and which node is local.

    `keyfile_exists` is None when nobody checked; `local_found` is None likewise.
    A missing local node is an error when it was asked for (`local_required`).
    """
    problems: list[Problem] = []
    totem = config.totem
    if (totem.secauth or totem.is_crypto_enabled) and not totem.key \
            and keyfile_exists is not None and not keyfile_exists(totem.keyfile):
        problems.append(in_file(
            Code.CONFIG_SECAUTH_NO_KEY, filename,
            f"secauth/crypto is on but the key file {totem.keyfile} does not exist"
            " (create it with corosync-keygen)", keyfile=totem.keyfile))
    if local_found is False:
        severity = Severity.ERROR if local_required else Severity.WARNING
        problems.append(in_file(
            Code.CONFIG_LOCAL_NODE_NOT_FOUND, filename,
            f"the local node is not among the {len(config.nodes)} members{local_hint}",
            severity))
    return problems
