"""The seam between the daemon and the cluster model: config file → settings, settings → Node.

Owns loading corosync.conf through hacluster.config, finding the local node (an explicit
--address wins; else the hostname; else the first member address this host can bind),
reading the authkey when secauth is on, the cmap-style key list the tools show, building
hacluster.node.Node (with its CIB replica started from the state dir's CIBStore, or an empty
CIB listing the configured nodes), and normalizing its status for the tools ("view"). Must never step the
Node or touch sockets beyond the bind probe.
"""

from __future__ import annotations

import os
import random
import socket
import time
from typing import Any

from hacluster import events
from hacluster.common import Code, HaError, NodeId
from hacluster.config import DEFAULT_MCASTPORT, ClusterConfig, find_local_node, parse_config
from hacluster.drivers.cibfile import CIBStore, load_cib_bytes, schema_lookup
from hacluster.drivers.settings import DaemonSettings, LogSettings, effective_crypto, read_authkey
from hacluster.drivers.settings import read_text as read_config_text
from hacluster.node import (
    OFFLOAD_MIN_BYTES,
    RING_SEQ_FILE,
    Node,
    cib_replica_for,
    params_from_config,
    quorum_from_config,
    secauth,
)

TOTEM_CMAP_KEYS = (
    ("block_unlisted_ips", "block_unlisted_ips", "u32"),
    ("cancel_token_hold_on_retransmit", "cancel_token_hold_on_retransmit", "u32"),
    ("consensus", "consensus_ms", "u32"), ("downcheck", "downcheck_ms", "u32"),
    ("fail_recv_const", "fail_recv_const", "u32"),
    ("heartbeat_failures_allowed", "heartbeat_failures_allowed", "u32"),
    ("hold", "hold_ms", "u32"), ("join", "join_ms", "u32"),
    ("max_messages", "max_messages", "u32"),
    ("max_network_delay", "max_network_delay_ms", "u32"), ("merge", "merge_ms", "u32"),
    ("miss_count_const", "miss_count_const", "u32"), ("send_join", "send_join_ms", "u32"),
    ("seqno_unchanged_const", "seqno_unchanged_const", "u32"), ("token", "token_ms", "u32"),
    ("token_retransmit", "token_retransmit_ms", "u32"),
    ("token_retransmits_before_loss_const", "token_retransmits_before_loss_const", "u32"),
    ("token_warning", "token_warning_percent", "u32"), ("window_size", "window_size", "u32"),
)


def is_local_address(address: str) -> bool:
    """True when this host owns `address` (binding an ephemeral port on it works)."""
    probe = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET,
                          socket.SOCK_DGRAM)
    try:
        probe.bind((address, 0))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def local_node_of(config: ClusterConfig, override_address: str | None, path: str) -> Any:
    if override_address is not None:
        node = find_local_node(config, override_address=override_address)
    else:
        candidates = [a for n in config.nodes for a in n.addresses if is_local_address(a)]
        node = find_local_node(config, candidates, socket.gethostname())
    if node is None:
        where = f"address {override_address}" if override_address else "this host"
        raise HaError.single(Code.CONFIG_LOCAL_NODE_NOT_FOUND,
                             f"{path}: no node of the cluster matches {where}", path=path)
    return node


def cmap_of(config: ClusterConfig, local_id: int) -> tuple[tuple[str, str, Any], ...]:
    """The configuration keys corosync-cmapctl shows, with Corosync's names and types."""
    totem = config.totem
    entries: list[tuple[str, str, Any]] = []
    for key, attribute, kind in TOTEM_CMAP_KEYS:
        value = getattr(totem, attribute)
        entries.append((f"runtime.config.totem.{key}", kind, int(value)))
    # Corosync 3.1 lists its knet settings even for udpu; so do we (they change nothing here).
    entries += [
        ("runtime.config.totem.knet_compression_level", "i32", totem.knet_compression_level),
        ("runtime.config.totem.knet_compression_model", "str", totem.knet_compression_model),
        ("runtime.config.totem.knet_compression_threshold", "u32",
         totem.knet_compression_threshold),
        ("runtime.config.totem.knet_mtu", "u32", totem.knet_mtu),
        ("runtime.config.totem.knet_pmtud_interval", "u32", totem.knet_pmtud_interval_s)]
    for number, interface in enumerate(totem.interfaces or ()):
        prefix = f"runtime.config.totem.interface.{interface.linknumber or number}"
        entries += [(f"{prefix}.knet_ping_interval", "u32", interface.knet_ping_interval_ms),
                    (f"{prefix}.knet_ping_timeout", "u32", interface.knet_ping_timeout_ms)]
    entries += [("totem.cluster_name", "str", totem.cluster_name),
                ("totem.transport", "str", totem.transport),
                ("totem.crypto_cipher", "str", totem.crypto_cipher),
                ("totem.crypto_hash", "str", totem.crypto_hash),
                ("totem.version", "u32", totem.version)]
    for position, node in enumerate(config.nodes):
        prefix = f"nodelist.node.{position}"
        entries.append((f"{prefix}.nodeid", "u32", node.nodeid))
        for ring, address in enumerate(node.addresses):
            entries.append((f"{prefix}.ring{ring}_addr", "str", address))
        if node.name:
            entries.append((f"{prefix}.name", "str", node.name))
        if node.nodeid == local_id:
            entries.append(("nodelist.local_node_pos", "u32", position))
    quorum = config.quorum
    if quorum.provider:
        entries.append(("quorum.provider", "str", quorum.provider))
    entries += [("runtime.votequorum.two_node", "u8", int(quorum.two_node)),
                ("runtime.votequorum.ev_barrier", "u32", quorum.expected_votes)]
    return tuple(entries)


def log_settings_of(config: ClusterConfig) -> LogSettings:
    logging_config = config.logging
    return LogSettings(to_stderr=logging_config.to_stderr, to_logfile=logging_config.to_logfile,
                       logfile=logging_config.logfile,
                       timestamp=str(logging_config.timestamp) not in ("off", "no", "False"),
                       debug=str(logging_config.debug) in ("on", "trace", "yes", "True"),
                       to_syslog=logging_config.to_syslog,
                       syslog_facility=logging_config.syslog_facility)


def node_names_of(config: ClusterConfig, local_id: int, override: str | None) -> dict[NodeId, str]:
    """Each node's name as Pacemaker's tools show it: the nodelist `name`, else its
    ring0_addr, else (the local node only) the host name; `override` (--name) wins for
    the local node."""
    names: dict[NodeId, str] = {}
    for n in config.nodes:
        name = n.name or (n.addresses[0] if n.addresses else "")
        if not name and n.nodeid == local_id:
            name = socket.gethostname()
        if name:
            names[NodeId(n.nodeid)] = name
    if override:
        names[NodeId(local_id)] = override
    return names


def load_settings(path: str, override_address: str | None, state_dir: str,
                  override_name: str | None = None) -> DaemonSettings:
    """Everything the daemon needs, or an HaError naming what is wrong (config, key)."""
    config = parse_config(read_config_text(path), path)
    local = local_node_of(config, override_address, path)
    totem = config.totem
    port = totem.interfaces[0].mcastport if totem.interfaces else DEFAULT_MCASTPORT
    enabled = secauth.is_enabled(totem.secauth, totem.crypto_cipher, totem.crypto_hash)
    cipher, crypto_hash = totem.crypto_cipher, totem.crypto_hash
    authkey = b""
    if enabled:
        cipher, crypto_hash = effective_crypto(cipher, crypto_hash)
        authkey = totem.key.encode() if totem.key else read_authkey(totem.keyfile)
    peers = {NodeId(n.nodeid): n.addresses[0] for n in config.nodes
             if n.nodeid != local.nodeid and n.addresses}
    names = node_names_of(config, local.nodeid, override_name)
    return DaemonSettings(
        node_id=NodeId(local.nodeid), address=override_address or local.addresses[0],
        port=port, peers=peers, names=names, token_ms=totem.token_ms, state_dir=state_dir,
        config_path=path, cluster_name=totem.cluster_name, secauth=enabled,
        crypto_cipher=cipher, crypto_hash=crypto_hash, keyfile=totem.keyfile,
        authkey=authkey, logging=log_settings_of(config), cmap=cmap_of(config, local.nodeid),
        config=config)


def node_seed(settings: DaemonSettings) -> random.Random:
    """The Node's jitter source: seeded per boot so restarts do not repeat their timing."""
    return random.Random(f"{settings.node_id}-{time.time_ns()}")


def read_ring_seq(state_dir: str) -> int:
    """The last ring seq this node persisted (0 on a first boot or an unreadable file)."""
    try:
        with open(os.path.join(state_dir, RING_SEQ_FILE), encoding="ascii") as handle:
            return max(0, int(handle.read().strip() or 0))
    except (OSError, ValueError):
        return 0


def build_node(settings: DaemonSettings) -> Node:
    """The Node for these settings, resuming the persisted ring seq and CIB (the newest valid
    copy); a first boot leaves a CIB on disk like any other."""
    store = CIBStore(settings.state_dir)
    replica, first = cib_replica_for(settings.node_id, settings.members, settings.names,
                                     load_cib_bytes(store), schema_lookup(),
                                     offload_min_bytes=OFFLOAD_MIN_BYTES)
    if first is not None:
        store.save(first)
    replica.warm()  # the digests the first ring's CIB sync needs, before Totem runs
    config = settings.config
    rsctmp = os.path.join(settings.state_dir, "rsctmp")
    os.makedirs(rsctmp, exist_ok=True)
    wall_offset_ms = time.time_ns() // 1_000_000 - time.monotonic_ns() // 1_000_000
    return Node(settings.node_id, settings.members, params_from_config(config),
                node_seed(settings), quorum=quorum_from_config(config),
                ring_seq=read_ring_seq(settings.state_dir), cib=replica, crm=True,
                wall_offset_ms=wall_offset_ms, rsctmp_dir=rsctmp)


def format_ring_id(ring_id: Any) -> str:
    """Corosync's "rep.seq" in hex (corosync-quorumtool prints ring ids that way)."""
    rep, seq = getattr(ring_id, "rep", None), getattr(ring_id, "seq", None)
    if isinstance(rep, int) and isinstance(seq, int):
        return f"{rep:x}.{seq:x}"
    return str(ring_id or "")


def status_view(status: Any) -> events.RingView:
    """The Node's status as the tools read it (see hacluster.api.cluster)."""
    quorum = getattr(status, "quorum", None)
    cib = getattr(status, "cib", None)
    figures: dict[str, Any] = {}
    if quorum is not None:
        figures.update(quorate=bool(quorum.quorate), expected_votes=int(quorum.expected_votes),
                       highest_expected=int(quorum.highest_expected),
                       total_votes=int(quorum.total_votes), quorum=int(quorum.quorum),
                       flags=tuple(quorum.flags))
    if cib is not None:
        figures.update(cib_version=cib.version_text, cib_digest=cib.digest,
                       cib_syncing=bool(cib.syncing))
    return events.RingView(
        ring_id=format_ring_id(getattr(status, "ring_id", None)),
        members=tuple(sorted(int(m) for m in (getattr(status, "members", ()) or ()))),
        state=str(getattr(status, "state", "")), **figures)
