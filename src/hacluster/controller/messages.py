"""The controller's vocabulary: what node.py hands it, what it asks node.py to do, and the
messages controllers exchange over CPG group "crmd".

Owns these frozen values and their wire form (tagged JSON, never pickle). Must never hold
behaviour beyond encoding: a malformed peer message decodes to None (dropped, counted).
Spec: DESIGN.md §3b "How a resource action travels".
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hacluster.common import Codec, NodeId
from hacluster.events import OpRequest

CRMD_GROUP = "crmd"
CRMD_PID = 0  # the node's own controller, not a client process

# ------------------------------------------------------------------- inputs (facts)


@dataclass(frozen=True, slots=True)
class Membership:
    """A regular configuration: its members, votequorum's verdict and the ring seq."""

    members: tuple[NodeId, ...]
    quorate: bool
    ring_seq: int


@dataclass(frozen=True, slots=True)
class QuorumChanged:
    """Votequorum changed its verdict without a new ring (e.g. wait_for_all released)."""

    quorate: bool


@dataclass(frozen=True, slots=True)
class CibChanged:
    """The node's CIB replica holds a new document (`doc`: a hacluster.cib CIBDocument);
    `synced` is False while a membership sync is still running. `touched`: the ids of
    the node_states changed since the previous CibChanged (None: any part may have)."""

    doc: Any
    synced: bool
    touched: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class PeerMessage:
    """A message of CPG group "crmd", delivered in agreed order (ours included)."""

    sender: NodeId
    data: bytes


@dataclass(frozen=True, slots=True)
class ShutdownRequested:
    """The operator asked this node to leave (SIGTERM): stop resources first, then leave."""


# ------------------------------------------------------------------ outputs (commands)


@dataclass(frozen=True, slots=True)
class CibWrite:
    """Write `request` (a hacluster.cib CIBRequest) through this node's CIB replica."""

    request: Any


@dataclass(frozen=True, slots=True)
class PeerSend:
    """Send `data` to every controller over CPG group "crmd" (agreed order)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Leave:
    """Every resource here is stopped: the node may leave the ring now."""


# -------------------------------------------------------------- messages between nodes


@dataclass(frozen=True, slots=True)
class JoinAck:
    """A member has written its resource history for ring `ring_seq` (its CIB write
    precedes this message in the agreed order, so the DC sees it applied)."""

    node: str
    ring_seq: int


@dataclass(frozen=True, slots=True)
class ExecuteRequest:
    """The DC asks `target`'s controller to run `op` (transition key inside)."""

    dc: str
    target: str
    op: OpRequest


@dataclass(frozen=True, slots=True)
class CancelRequest:
    """The DC asks `target`'s controller to cancel recurring op `task` every
    `interval_ms` of lrm resource `rsc_id` (a graph cancel action, `transition_key`)."""

    dc: str
    target: str
    rsc_id: str
    task: str
    interval_ms: int
    transition_key: str


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The result of an action the CIB does not record (notify, delete, cancel), sent to
    the DC."""

    node: str
    transition_key: str
    rc: int
    op_status: int


Message = JoinAck | ExecuteRequest | CancelRequest | ActionResult
CODEC = Codec(MappingProxyType({"crmd.join-ack": JoinAck, "crmd.execute": ExecuteRequest,
                                "crmd.cancel": CancelRequest,
                                "crmd.action-result": ActionResult}))


def encode(message: Message) -> bytes:
    return CODEC.encode(message)


def decode(data: bytes) -> Message | None:
    """The message in `data`, or None when it is not one of ours (peer input never raises)."""
    message = CODEC.decode(data, (JoinAck, ExecuteRequest, CancelRequest, ActionResult))
    return message if isinstance(message, JoinAck | ExecuteRequest | CancelRequest
                                 | ActionResult) else None
