"""Library calls behind corosync-cfgtool / corosync-quorumtool / corosync-cmapctl.

Owns asking the local haclusterd for its status (over hacluster.api.env.Client) and turning the
reply into a frozen `ClusterStatus`, plus the cmap-style key list the tools show. Must never
print or format for a terminal: the cli renders.
The daemon's DaemonStatus reply is a DaemonReport (hacluster.replies): its identity (node_id,
address, port, transport, cluster_name, members configured, addresses, names, cmap), the
`stats.` counters (named and explained in drivers/stats.py) and the node's RingView (ring_id,
members, quorum figures, CIB version) that drivers/nodecore.py makes of the Node's status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hacluster.api import env
from hacluster.common import Code, HaError
from hacluster.events import (
    DaemonPid,
    DaemonPing,
    DaemonShutdown,
    DaemonStatus,
    RingView,
)
from hacluster.events import DaemonReport as DaemonReport  # re-exported for the cli

CmapEntry = tuple[str, str, Any]


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """What the local node knows: who it is, the ring it is in, quorum, and its config keys."""

    node_id: int
    address: str
    port: int
    transport: str
    cluster_name: str
    configured: tuple[int, ...]
    addresses: Mapping[int, str]
    names: Mapping[int, str]
    ring_id: str
    members: tuple[int, ...]
    quorate: bool
    expected_votes: int
    highest_expected: int
    total_votes: int
    quorum: int
    flags: tuple[str, ...]
    votes: Mapping[int, int]
    cmap: tuple[CmapEntry, ...]
    secauth: bool = False
    transport_stats: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    stats: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def name_of(self, node_id: int) -> str:
        """The nodelist name, else the ring0 address (we never resolve names)."""
        return self.names.get(node_id) or self.addresses.get(node_id, str(node_id))


def status_from_reply(report: DaemonReport) -> ClusterStatus:
    """The status the tools show, from a DaemonStatus reply (a node without a view: not in a
    ring, no quorum)."""
    me = report.identity
    view = report.view or RingView("", (), "")
    return ClusterStatus(
        node_id=me.node_id, address=me.address, port=me.port, transport=me.transport,
        cluster_name=me.cluster_name, configured=me.members,
        addresses=MappingProxyType(dict(me.addresses)), names=MappingProxyType(dict(me.names)),
        ring_id=view.ring_id, members=view.members, quorate=view.quorate,
        expected_votes=view.expected_votes, highest_expected=view.highest_expected,
        total_votes=view.total_votes, quorum=view.quorum, flags=view.flags,
        votes=MappingProxyType(dict(view.votes)),
        cmap=tuple((e.key, e.kind, e.value) for e in me.cmap), secauth=me.secauth,
        transport_stats=MappingProxyType(dict(report.transport_stats)),
        stats=MappingProxyType(dict(report.stats)))


def local_status(state_dir: str | None = None) -> ClusterStatus:
    """Ask the local daemon (state dir: explicit, $HACLUSTER_STATE_DIR or the default)."""
    return status_from_reply(daemon_description(state_dir))


def shutdown_daemon(state_dir: str | None = None,
                    timeout_ms: int = env.DEFAULT_TIMEOUT_MS) -> None:
    """Ask the local daemon to leave the cluster and stop."""
    env.call(DaemonShutdown(), state_dir_path=state_dir, timeout_ms=timeout_ms)


def daemon_description(state_dir: str | None = None,
                       timeout_ms: int = env.DEFAULT_TIMEOUT_MS) -> DaemonReport:
    """The daemon's own description (identity, its node's view, counters)."""
    reply = env.call(DaemonStatus(), state_dir_path=state_dir, timeout_ms=timeout_ms)
    if not isinstance(reply, DaemonReport):
        raise HaError.single(Code.IPC_PROTOCOL, "unexpected status reply from haclusterd")
    return reply


def ping_daemon(state_dir: str | None = None, timeout_ms: int = env.DEFAULT_TIMEOUT_MS) -> int:
    """The local daemon's pid (HaError IPC_NOT_RUNNING when none answers)."""
    reply = env.call(DaemonPing(), state_dir_path=state_dir, timeout_ms=timeout_ms)
    if not isinstance(reply, DaemonPid):
        raise HaError.single(Code.IPC_PROTOCOL, "unexpected ping reply from haclusterd")
    return reply.pid


def common_ring(views: Sequence[ClusterStatus | None]) -> tuple[str, tuple[int, ...]] | None:
    """(ring id, members) when every view (one per daemon, None: no answer) reports the same
    ring and its members are exactly these daemons' nodes; None otherwise."""
    if not views or any(view is None for view in views):
        return None
    rings = {(v.ring_id, v.members) for v in views if v is not None}
    if len(rings) != 1:
        return None
    ring_id, members = next(iter(rings))
    expected = {v.node_id for v in views if v is not None}
    return (ring_id, members) if ring_id and set(members) == expected else None


def runtime_entries(status: ClusterStatus) -> list[CmapEntry]:
    """runtime.members.* and the ring id, as corosync-cmapctl names them."""
    entries: list[CmapEntry] = []
    for node in sorted(status.members):
        prefix = f"runtime.members.{node}"
        entries += [(f"{prefix}.config_version", "u64", 0),
                    (f"{prefix}.ip", "str", f"r(0) ip({status.addresses.get(node, '')}) "),
                    (f"{prefix}.join_count", "u32", 1),
                    (f"{prefix}.status", "str", "joined")]
    entries.append(("runtime.totem.pg.mrp.srp.ring_id", "str", status.ring_id))
    entries.append(("runtime.votequorum.this_node_id", "u32", status.node_id))
    if status.configured:
        entries += [("runtime.votequorum.highest_node_id", "u32", max(status.configured)),
                    ("runtime.votequorum.lowest_node_id", "u32", min(status.configured))]
    entries += [(key, "u64", value) for key, value in sorted(status.stats.items())]
    if not status.stats:  # a daemon from before the stats map: its transport counters
        counters = status.transport_stats
        for key in ("sent", "received", "refused", "auth_dropped"):
            if key in counters:
                entries.append((f"stats.srp.udp.{key}", "u64", counters[key]))
    return entries


def cmap_entries(status: ClusterStatus, prefix: str = "") -> list[CmapEntry]:
    """Every key (config + runtime) starting with `prefix`, sorted by key."""
    entries = [*status.cmap, *runtime_entries(status)]
    return sorted((e for e in entries if e[0].startswith(prefix)), key=lambda e: e[0])
