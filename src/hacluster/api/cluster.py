"""Library calls behind corosync-cfgtool / corosync-quorumtool / corosync-cmapctl.

Owns asking the local haclusterd for its status (over hacluster.api.env.Client) and turning the
reply into a frozen `ClusterStatus`, plus the cmap-style key list the tools show. Must never
print or format for a terminal: the cli renders.
The daemon's DaemonStatus reply carries: node_id, address, port, transport,
cluster_name, members (configured), addresses, names, cmap (static keys), stats (the
`stats.` keys, named and explained in drivers/stats.py), and a "view"
block {ring_id, members, quorate, expected_votes, highest_expected, total_votes, quorum,
flags, votes} that drivers/nodecore.py normalizes from the Node's status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hacluster.api import env
from hacluster.common import Code, HaError
from hacluster.events import DaemonPid, DaemonPing, DaemonShutdown, DaemonStatus, StatusTree

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


def _int_keys(raw: Any) -> Mapping[int, Any]:
    if not isinstance(raw, dict):
        return MappingProxyType({})
    return MappingProxyType({int(k): v for k, v in raw.items()})


def status_from_reply(reply: Mapping[str, Any]) -> ClusterStatus:
    """Build the status from a DaemonStatus reply; a malformed one is an IPC_PROTOCOL error."""
    try:
        view = reply.get("view") or {}
        return ClusterStatus(
            node_id=int(reply["node_id"]), address=str(reply["address"]),
            port=int(reply["port"]), transport=str(reply.get("transport", "udpu")),
            cluster_name=str(reply.get("cluster_name", "")),
            configured=tuple(int(n) for n in reply.get("members", ())),
            addresses=_int_keys(reply.get("addresses")), names=_int_keys(reply.get("names")),
            ring_id=str(view.get("ring_id", "")),
            members=tuple(int(n) for n in view.get("members", ())),
            quorate=bool(view.get("quorate", False)),
            expected_votes=int(view.get("expected_votes", 0)),
            highest_expected=int(view.get("highest_expected", 0)),
            total_votes=int(view.get("total_votes", 0)), quorum=int(view.get("quorum", 0)),
            flags=tuple(str(f) for f in view.get("flags", ())),
            votes=_int_keys(view.get("votes")),
            cmap=tuple((str(k), str(t), v) for k, t, v in reply.get("cmap", ())),
            secauth=bool(reply.get("secauth", False)),
            transport_stats=MappingProxyType(dict(reply.get("transport_stats") or {})),
            stats=MappingProxyType({str(k): int(v) for k, v in (reply.get("stats") or {}).items()}),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise HaError.single(Code.IPC_PROTOCOL,
                             f"unexpected status reply from haclusterd: {error}") from None


def local_status(state_dir: str | None = None) -> ClusterStatus:
    """Ask the local daemon (state dir: explicit, $HACLUSTER_STATE_DIR or the default)."""
    return status_from_reply(daemon_description(state_dir))


def shutdown_daemon(state_dir: str | None = None,
                    timeout_ms: int = env.DEFAULT_TIMEOUT_MS) -> None:
    """Ask the local daemon to leave the cluster and stop."""
    env.call(DaemonShutdown(), state_dir_path=state_dir, timeout_ms=timeout_ms)


def daemon_description(state_dir: str | None = None,
                       timeout_ms: int = env.DEFAULT_TIMEOUT_MS) -> dict[str, Any]:
    """The daemon's own description (settings, status, counters) as it sends it."""
    reply = env.call(DaemonStatus(), state_dir_path=state_dir, timeout_ms=timeout_ms)
    if not isinstance(reply, StatusTree) or not isinstance(reply.tree, dict):
        raise HaError.single(Code.IPC_PROTOCOL, "unexpected status reply from haclusterd")
    return reply.tree


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
