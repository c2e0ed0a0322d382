"""The state every part of the Totem core shares: the states, the status snapshot, the
outputs, and `TotemCore`, which holds one node's protocol variables and deadlines.

Owns the variables and the status()/next_deadline_ms() views of them. Must never decide
anything: phases.py (membership) and srp.py (ordering) change the variables.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hacluster.common import NodeId
from hacluster.events import (
    ConfigChange,
    Deliver,
    Multicast,
    PacketIn,
    PeerUnreachable,
    Persist,
    RingId,
    Send,
    SendRequest,
    Shutdown,
    Tick,
)
from hacluster.totem.drops import GarbageWarnings
from hacluster.totem.messages import CommitToken, Queued, Token
from hacluster.totem.params import TotemParams
from hacluster.totem.ring import RingLog

log = logging.getLogger("hacluster.totem")

RING_SEQ_FILE = "totem.ringseq"

Output = Send | Multicast | Persist | Deliver | ConfigChange
# SendRequest: a local proposal (the node's own message, queued for agreed or safe order).
Input = Tick | PacketIn | PeerUnreachable | Shutdown | SendRequest


class TotemState(StrEnum):
    GATHER = "gather"
    COMMIT = "commit"
    RECOVERY = "recovery"
    OPERATIONAL = "operational"
    LEFT = "left"



@dataclass(frozen=True, slots=True)
class SentToken:
    """The token (or commit token) we passed on, kept until the successor is seen to take
    it: re-sent to `dst` at `resend_at_ms` (every token_retransmit_ms)."""

    resend_at_ms: int
    dst: NodeId
    data: bytes
    seq: int


@dataclass(frozen=True, slots=True)
class HeldToken:
    """A token the representative holds on an idle ring, passed on at `release_at_ms`."""

    release_at_ms: int
    token: Token


@dataclass(frozen=True, slots=True)
class TotemStatus:
    """A snapshot for tests, tools and the simulator's checks."""

    node_id: NodeId
    state: TotemState
    ring_id: RingId
    members: tuple[NodeId, ...]
    ring_seq_high: int
    my_aru: int
    delivered: int
    queue_length: int
    counters: tuple[tuple[str, int], ...]

    def counter(self, name: str) -> int:
        return dict(self.counters).get(name, 0)


class TotemCore:
    """The protocol variables of one node (current ring `cur`, forming ring `nxt`, proc and
    fail sets, the send queue) and its deadlines; no behaviour beyond views."""

    def __init__(self, node_id: NodeId, nodes: Sequence[NodeId], params: TotemParams,
                 rng: random.Random, ring_seq: int = 0, logger: Any = None) -> None:
        assert node_id in nodes, "this node must be in the configured node list"
        self.me = node_id
        self.nodes = tuple(sorted(set(nodes)))
        self.params = params
        self.rng = rng
        self.log: Any = logger if logger is not None else log
        self.state = TotemState.GATHER
        self.cur = RingLog(RingId(node_id, ring_seq), (node_id,))
        self.nxt: RingLog | None = None
        self.ring_seq_high = ring_seq
        self.proc: frozenset[NodeId] = frozenset({node_id})
        self.fail: frozenset[NodeId] = frozenset()
        self.agreed: set[NodeId] = {node_id}
        self.rep_suspect = False
        self.commit: CommitToken | None = None
        self.transitional: tuple[NodeId, ...] = ()
        self.recovery_queue: list[bytes] = []
        self.queue: list[Queued] = []  # (data, safe) each
        self.queue_offset = 0
        self.started = False
        self.counters: Counter[str] = Counter()
        self.garbage_warnings = GarbageWarnings()
        self.token_loss_at: int | None = None
        self.retransmit: SentToken | None = None
        # the outstanding token's sends to retransmit's dst, and the PeerUnreachable reports
        # about that dst since the first send (the operational fast path, phases.py)
        self.token_sends = 0
        self.unreachable_hits = 0
        # gather (phases.py): when it began, when each member was last heard from (any
        # valid packet), when a silent member is next due to be failed, and the
        # PeerUnreachable reports about each member during this gather
        self.gather_since = 0
        self.heard_at: dict[NodeId, int] = {}
        self.silence_at: int | None = None
        self.silence_watch: frozenset[NodeId] = frozenset()
        self.gather_refusals: Counter[NodeId] = Counter()
        self.held: HeldToken | None = None
        # hold-cancel (srp.py): the token we last passed was quiet (it may get held); a
        # HoldCancel is to be multicast; the representative is to skip its next hold
        self.saw_quiet = False
        self.hold_cancel_due = False
        self.hold_cancelled = False
        self.join_at: int | None = None
        self.consensus_at: int | None = None
        self.commit_at: int | None = None
        self.merge_at: int | None = None

    def next_deadline_ms(self) -> int | None:
        if not self.started:
            return 0 if self.state is not TotemState.LEFT else None
        times = [self.token_loss_at, self.join_at, self.consensus_at, self.commit_at,
                 self.merge_at, self.silence_at]
        if self.retransmit is not None:
            times.append(self.retransmit.resend_at_ms)
        if self.held is not None:
            times.append(self.held.release_at_ms)
        if self.hold_cancel_due:
            times.append(0)  # due now: the HoldCancel goes out on the next step
        present = [t for t in times if t is not None]
        return min(present) if present else None

    def status(self) -> TotemStatus:
        return TotemStatus(self.me, self.state, self.cur.ring_id, self.cur.members,
                           self.ring_seq_high, self.cur.my_aru, self.cur.delivered,
                           len(self.queue), tuple(sorted(self.counters.items())))

    def _known_members(self) -> frozenset[NodeId]:
        found = set(self.cur.members)
        if self.commit is not None:
            found |= set(self.commit.members)
        return frozenset(found)

    def _on_token(self, now: int, tok: Token, local: bool = False) -> list[Output]:
        raise NotImplementedError  # srp.Totem: the representative hands itself the first token
