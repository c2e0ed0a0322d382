"""Totem: the single-ring ordering and membership protocol as a sans-I/O core.

Public API: `Totem` (the core), `TotemParams`/`params_for_token`, `TotemState`,
`TotemStatus`, the wire codec (`encode`, `decode` and the message classes), and the
packet sealing of secauth (`Secauth`). Must never do I/O; see srp.py for the rules.
"""

from hacluster.events import RingId
from hacluster.totem.messages import (
    CommitEntry,
    CommitToken,
    HoldCancel,
    Join,
    Leave,
    Mcast,
    MergeDetect,
    Message,
    Token,
    decode,
    encode,
)
from hacluster.totem.params import TotemParams, params_for_token
from hacluster.totem.srp import RING_SEQ_FILE, Totem, TotemState, TotemStatus

__all__ = [
    "RING_SEQ_FILE",
    "CommitEntry",
    "CommitToken",
    "HoldCancel",
    "Join",
    "Leave",
    "Mcast",
    "MergeDetect",
    "Message",
    "RingId",
    "Token",
    "Totem",
    "TotemParams",
    "TotemState",
    "TotemStatus",
    "decode",
    "encode",
    "params_for_token",
]
