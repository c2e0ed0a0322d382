"""The bodies of haclusterd's IPC replies: what an answer carries, as frozen values.

Owns one class per kind of answer (CibText for CibQuery, CibWritten for CibWrite, DaemonPid,
Subscribed, AttrValues, FencerReport, FenceOutcome, RingView for NodeStatusQuery and
DaemonReport for DaemonStatus), ReplyBody, their union, which is IpcReply.body's type (None:
a plain acknowledgement), and REPLY_TAGS, their codec tags. hacluster.events registers them
in IPC_CODEC and re-exports them; attrd and fencing keep their AttrValue and FenceEvent here,
so the core's value and the wire's are one class. Every field is typed: a tool reads
attributes, never keys of a JSON tree. Must never hold behaviour and never import above
hacluster.common.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class CibText:
    """The answer to CibQuery: the whole CIB as text."""

    xml: str


@dataclass(frozen=True, slots=True)
class CibWritten:
    """The answer to CibWrite once applied in agreed order: the new version "a.e.n"."""

    version: str


@dataclass(frozen=True, slots=True)
class DaemonPid:
    """The answer to DaemonPing and DaemonShutdown: the daemon's process id."""

    pid: int


@dataclass(frozen=True, slots=True)
class Subscribed:
    """The answer to Subscribe: every class name this connection now receives."""

    events: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AttrValue:
    """One node attribute as attrd holds it."""

    node: str
    name: str
    value: str
    lifetime: str


@dataclass(frozen=True, slots=True)
class AttrValues:
    """The answer to AttrdQuery: the asking node's name and the values found."""

    node: str
    values: tuple[AttrValue, ...]


@dataclass(frozen=True, slots=True)
class FenceEvent:
    """One finished fencing operation in the fencer's history."""

    target: str
    action: str
    ok: bool
    origin: str
    executioner: str
    device: str
    completed_ms: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FencerReport:
    """The answer to FencerStatusQuery: devices, history, and the node's clock (now_ms) the
    history's completed_ms are read against."""

    devices: tuple[str, ...]
    now_ms: int
    history: tuple[FenceEvent, ...]


@dataclass(frozen=True, slots=True)
class FenceOutcome:
    """The answer to FenceRequest: whether a device confirmed it, which, or why not."""

    ok: bool
    device: str
    reason: str


def _no_votes() -> Mapping[int, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class RingView:
    """The answer to NodeStatusQuery (and DaemonReport.view): the node's ring, quorum and CIB
    as corosync-quorumtool, pcs and crm_node read them. `ring_id` is Corosync's "rep.seq" in
    hex ("" before the first ring); `cib_syncing` is None on a node without a CIB."""

    ring_id: str
    members: tuple[int, ...]
    state: str
    quorate: bool = False
    expected_votes: int = 0
    highest_expected: int = 0
    total_votes: int = 0
    quorum: int = 0
    flags: tuple[str, ...] = ()
    votes: Mapping[int, int] = field(default_factory=_no_votes)
    cib_version: str = ""
    cib_digest: str = ""
    cib_syncing: bool | None = None


@dataclass(frozen=True, slots=True)
class CmapEntry:
    """One corosync-cmapctl key: its name, its type ("u32", "str", ...) and its value."""

    key: str
    kind: str
    value: bool | int | float | str | None


@dataclass(frozen=True, slots=True)
class DaemonIdentity:
    """Who the daemon is and how it was configured (its settings, as the tools show them)."""

    node_id: int
    address: str
    port: int
    cluster_name: str
    token_ms: int
    members: tuple[int, ...]  # every configured node id
    addresses: Mapping[int, str]
    names: Mapping[int, str]
    secauth: bool
    crypto_cipher: str
    crypto_hash: str
    config_path: str
    cmap: tuple[CmapEntry, ...]
    transport: str = "udpu"


@dataclass(frozen=True, slots=True)
class DaemonReport:
    """The answer to DaemonStatus: the daemon's identity, its node's view (None for a core
    without one), the `stats.` counters (named in drivers/stats.py), the transport's counters
    and the loop's own."""

    identity: DaemonIdentity
    view: RingView | None
    stats: Mapping[str, int]
    transport_stats: Mapping[str, int]
    uptime_ms: int
    steps: int
    packets_dropped_overload: int
    pid: int


ReplyBody = (CibText | CibWritten | DaemonPid | Subscribed | AttrValues | FencerReport
             | FenceOutcome | RingView | DaemonReport)
REPLY_TAGS: Mapping[str, type] = MappingProxyType({
    "cib.text": CibText, "cib.written": CibWritten, "daemon.pid": DaemonPid,
    "daemon.subscribed": Subscribed, "attrd.value": AttrValue, "attrd.values": AttrValues,
    "stonith.event": FenceEvent, "stonith.report": FencerReport,
    "stonith.outcome": FenceOutcome, "node.view": RingView, "daemon.report": DaemonReport,
    "daemon.identity": DaemonIdentity, "cmap.entry": CmapEntry})
