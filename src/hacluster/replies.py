"""The bodies of haclusterd's IPC replies: what an answer carries, as frozen values.

Owns one class per kind of answer (CibText for CibQuery, CibWritten for CibWrite, DaemonPid,
Subscribed, AttrValues, FencerReport, FenceOutcome, and StatusTree for the status snapshots)
and ReplyBody, their union, which is IpcReply.body's type (None: a plain acknowledgement).
hacluster.events registers them in IPC_CODEC and re-exports them; attrd and fencing keep
their AttrValue and FenceEvent here, so the core's value and the wire's are one class.
Must never hold behaviour and never import above hacluster.common.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


@dataclass(frozen=True, slots=True)
class StatusTree:
    """The answer to NodeStatusQuery and DaemonStatus: a status snapshot as one JSON tree
    (the frozen status dataclasses rendered by drivers.loop.to_jsonable, with "_type" keys),
    as the tools read many nested, growing fields of it by name."""

    tree: Any


ReplyBody = (CibText | CibWritten | DaemonPid | Subscribed | AttrValues | FencerReport
             | FenceOutcome | StatusTree)
