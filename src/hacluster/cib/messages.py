"""The CIB replicas' wire messages as frozen dataclasses, and their one codec.

Owns what replicas say to each other through the agreed order: a client's write
(`CIBUpdate`), "I applied and persisted it" (`CIBApplied`), each member's announcement at a
membership change (`CIBAnnounce`), and the sync winner's copy (`CIBSync`). Encoded and
decoded only by `CIB_CODEC` (hacluster.common.codec, tagged JSON, bytes unescaped); a
payload that does not decode is the receiver's to drop and count. Must never do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from hacluster.cib.lineage import Lineage
from hacluster.cib.requests import CIBRequest
from hacluster.common import Codec


@dataclass(frozen=True, slots=True)
class CIBUpdate:
    """A client's write, broadcast by the node the client asked (`origin`)."""

    origin: int
    request_id: int
    request: CIBRequest


@dataclass(frozen=True, slots=True)
class CIBApplied:
    """The sender applied and persisted `origin`'s write `request_id` (sent after Persist)."""

    origin: int
    request_id: int


@dataclass(frozen=True, slots=True)
class CIBAnnounce:
    """A member's copy at the start of ring `ring`'s sync. `base_digest` covers everything
    but the members' own node_state entries; `node_state` is the sender's own entry (its
    own truth, "" when it has none)."""

    ring: int
    lineage: Lineage
    version: tuple[int, int, int]
    base_digest: str
    digest: str
    node_state: str


@dataclass(frozen=True, slots=True)
class CIBSync:
    """The sync winner's whole copy, sent when the members' bases differ."""

    ring: int
    xml: bytes


CIBMessage = CIBUpdate | CIBApplied | CIBAnnounce | CIBSync

CIB_CODEC = Codec({"cib.update": CIBUpdate, "cib.applied": CIBApplied,
                   "cib.announce": CIBAnnounce, "cib.sync": CIBSync})
