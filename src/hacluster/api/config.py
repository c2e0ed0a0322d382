"""Library commands over corosync.conf for the CLIs: check a config, list its cmap values.

Owns what `hacluster config check` and `corosync-keygen` decide (not how they print):
the effective values as corosync-cmapctl keys and types, and the authkey size rules
(corosync-keygen(8): 256 bytes by default, 128..4096 allowed). Must never read files,
the clock or the host: the CLI passes text and host facts in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hacluster.common import Code, Problem
from hacluster.config import (
    ClusterConfig,
    ConfigCheck,
    NodeConfig,
    as_nodelist,
    check_config,
    parse_config,
    write_config,
)

AUTHKEY_SIZE_DEFAULT = 256
AUTHKEY_SIZE_MIN = 128
AUTHKEY_SIZE_MAX = 4096
DEFAULT_AUTHKEY_PATH = "/etc/corosync/authkey"
DEFAULT_CONFIG_PATH = "/etc/corosync/corosync.conf"

__all__ = [
    "AUTHKEY_SIZE_DEFAULT",
    "AUTHKEY_SIZE_MAX",
    "AUTHKEY_SIZE_MIN",
    "DEFAULT_AUTHKEY_PATH",
    "DEFAULT_CONFIG_PATH",
    "CmapEntry",
    "ConfigCheck",
    "authkey_size_problems",
    "check_config_text",
    "cmap_entries",
    "Conversion",
    "convert_to_nodelist",
]

_RUNTIME_TOTEM = (
    # (cmap key under runtime.config.totem., TotemConfig field)
    ("block_unlisted_ips", "block_unlisted_ips"),
    ("cancel_token_hold_on_retransmit", "cancel_token_hold_on_retransmit"),
    ("consensus", "consensus_ms"),
    ("downcheck", "downcheck_ms"),
    ("fail_recv_const", "fail_recv_const"),
    ("heartbeat_failures_allowed", "heartbeat_failures_allowed"),
    ("hold", "hold_ms"),
    ("join", "join_ms"),
    ("max_messages", "max_messages"),
    ("max_network_delay", "max_network_delay_ms"),
    ("merge", "merge_ms"),
    ("miss_count_const", "miss_count_const"),
    ("send_join", "send_join_ms"),
    ("seqno_unchanged_const", "seqno_unchanged_const"),
    ("token", "token_ms"),
    ("token_retransmit", "token_retransmit_ms"),
    ("token_retransmits_before_loss_const", "token_retransmits_before_loss_const"),
    ("token_warning", "token_warning_percent"),
    ("window_size", "window_size"),
)


@dataclass(frozen=True, slots=True)
class CmapEntry:
    """One `key (type) = value` line as corosync-cmapctl prints it."""

    key: str
    type: str
    value: int | str

    def __str__(self) -> str:
        return f"{self.key} ({self.type}) = {self.value}"


def check_config_text(
    text: str,
    filename: str,
    *,
    keyfile_exists: Callable[[str], bool] | None = None,
    addresses: Iterable[str] = (),
    hostname: str | None = None,
    local_address: str | None = None,
) -> ConfigCheck:
    """Every problem of a corosync.conf text; the local node is required only when
    `local_address` names it."""
    return check_config(text, filename, keyfile_exists=keyfile_exists, addresses=addresses,
                        hostname=hostname, override_address=local_address)


def cmap_entries(config: ClusterConfig, local_node: NodeConfig | None = None) -> list[CmapEntry]:
    """The effective values under corosync-cmapctl's key names, sorted as it sorts them."""
    totem = config.totem
    entries = [
        CmapEntry(f"runtime.config.totem.{key}", "u32", int(getattr(totem, name)))
        for key, name in _RUNTIME_TOTEM
    ]
    entries.append(CmapEntry("totem.transport", "str", totem.transport))
    entries.append(CmapEntry("totem.version", "u32", totem.version))
    if totem.cluster_name:
        entries.append(CmapEntry("totem.cluster_name", "str", totem.cluster_name))
    for index, node in enumerate(config.nodes):
        prefix = f"nodelist.node.{index}"
        for link, address in enumerate(node.addresses):
            if address:
                entries.append(CmapEntry(f"{prefix}.ring{link}_addr", "str", address))
        entries.append(CmapEntry(f"{prefix}.nodeid", "u32", node.nodeid))
        if node.name:
            entries.append(CmapEntry(f"{prefix}.name", "str", node.name))
    if local_node is not None and local_node in config.nodes:
        entries.append(CmapEntry("nodelist.local_node_pos", "u32",
                                 config.nodes.index(local_node)))
    entries.extend(_quorum_entries(config))
    return sorted(entries, key=lambda e: e.key)


def _quorum_entries(config: ClusterConfig) -> list[CmapEntry]:
    quorum = config.quorum
    entries = []
    if quorum.provider:
        entries.append(CmapEntry("quorum.provider", "str", quorum.provider))
    if quorum.expected_votes_configured:
        entries.append(CmapEntry("quorum.expected_votes", "u32",
                                 quorum.expected_votes_configured))
    if "two_node" in quorum.configured:
        entries.append(CmapEntry("quorum.two_node", "u8", int(quorum.two_node)))
    return entries


def authkey_size_problems(size: int) -> list[Problem]:
    """corosync-keygen's size rule."""
    if AUTHKEY_SIZE_MIN <= size <= AUTHKEY_SIZE_MAX:
        return []
    return [Problem(Code.KEY_BAD_SIZE,
                    f"Unsupported key size (supported <{AUTHKEY_SIZE_MIN},{AUTHKEY_SIZE_MAX}>)")]


@dataclass(frozen=True, slots=True)
class Conversion:
    """A config rewritten in another dialect, and the effective values that moved."""

    text: str
    changes: tuple[str, ...]


def convert_to_nodelist(text: str, filename: str) -> Conversion:
    """The corosync 2/3 nodelist form of a config; raises HaError when it has errors."""
    before = parse_config(text, filename)
    after = as_nodelist(before)
    old = {e.key: e.value for e in cmap_entries(before)}
    changes = tuple(
        f"{e.key}: {old[e.key]} -> {e.value}" for e in cmap_entries(after)
        if e.key.startswith("runtime.config.") and old.get(e.key) != e.value)
    return Conversion(write_config(after), changes)
