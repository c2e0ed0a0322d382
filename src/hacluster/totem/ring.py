"""Per-ring message bookkeeping: the store of sequenced datagrams, my_aru, delivery point,
safe point, garbage collection and reassembly of fragmented application messages.

Owns what one node knows about one ring's total order (Totem paper section 3: receiving
and delivering messages). Must never send anything or decide membership: srp.py does.
"""

from __future__ import annotations

from hacluster.common import NodeId
from hacluster.events import Deliver, RingId
from hacluster.totem.messages import Frag, Mcast

# A receiver ignores datagrams further than this many windows ahead of its aru: they
# would only be garbage (a corrupted seq); a real one comes back when requested.
AHEAD_WINDOWS = 16


class RingLog:
    """Mutable bookkeeping of one ring on one node (internal to the Totem core)."""

    __slots__ = ("ring_id", "members", "store", "my_aru", "high_seq", "delivered", "safe",
                 "last_token_seq", "sent_last_visit", "partial", "idle_visits", "collected", "stuck_visits", "aru_at_visit", "safe_passed")

    def __init__(self, ring_id: RingId, members: tuple[NodeId, ...]) -> None:
        assert members and list(members) == sorted(set(members))
        self.ring_id = ring_id
        self.members = members
        self.store: dict[int, Mcast] = {}
        self.my_aru = 0
        self.high_seq = 0
        self.delivered = 0
        self.safe = 0
        self.last_token_seq = -1
        self.sent_last_visit = 0
        self.partial: dict[NodeId, list[bytes]] = {}
        self.idle_visits = 0
        self.collected = 0
        self.stuck_visits = 0
        self.aru_at_visit = 0
        self.safe_passed = 0  # the safe point in the token this node passed on last

    def next_member(self, me: NodeId) -> NodeId:
        at = self.members.index(me)
        return self.members[(at + 1) % len(self.members)]

    def insert(self, msg: Mcast, window: int) -> bool:
        """Store a datagram; False when it is a duplicate, already collected or absurd."""
        seq = msg.seq
        if seq <= self.my_aru or seq in self.store or seq > self.my_aru + AHEAD_WINDOWS * window:
            return False
        self.store[seq] = msg
        self.high_seq = max(self.high_seq, seq)
        while self.my_aru + 1 in self.store:
            self.my_aru += 1
        return True

    def missing(self, upto: int, limit: int) -> list[int]:
        """Seqs up to `upto` that we lack, lowest first, at most `limit` of them."""
        found: list[int] = []
        end = min(upto, self.my_aru + AHEAD_WINDOWS * limit)
        for seq in range(self.my_aru + 1, end + 1):
            if seq not in self.store:
                found.append(seq)
                if len(found) >= limit:
                    break
        return found

    def deliver_ready(self, me: NodeId) -> list[Deliver]:
        """Deliver in seq order everything contiguous (safe datagrams wait for the safe
        point); encapsulated recovery datagrams are skipped, they are not ours to deliver."""
        out: list[Deliver] = []
        while self.delivered < self.my_aru:
            msg = self.store[self.delivered + 1]
            if msg.safe and msg.seq > self.safe:
                break
            self.delivered += 1
            if not msg.encapsulated:
                out.extend(self.reassemble(msg, transitional=False))
        return out

    def deliver_transitional(self, survivors: tuple[NodeId, ...]) -> tuple[list[Deliver], list[Deliver]]:
        """At the end of recovery: (contiguous messages, messages after holes). Holes are
        datagrams no survivor had, so every survivor delivers the same rest. A hole was
        sent by a node that did not survive (survivors hold their own datagrams), so it may
        have been a fragment of that node's message: its half-built messages are dropped."""
        regular: list[Deliver] = []
        after_hole: list[Deliver] = []
        for seq in sorted(s for s in self.store if s > self.delivered):
            msg = self.store[seq]
            contiguous = seq == self.delivered + 1
            if not contiguous:
                for sender in [s for s in self.partial if s not in survivors]:
                    del self.partial[sender]
            self.delivered = seq
            if msg.encapsulated:
                continue
            if contiguous and not after_hole:
                regular.extend(self.reassemble(msg, transitional=False))
            else:
                after_hole.extend(self.reassemble(msg, transitional=True))
        return regular, after_hole

    def reassemble(self, msg: Mcast, transitional: bool) -> list[Deliver]:
        out: list[Deliver] = []
        for index, (frag, data) in enumerate(msg.chunks):
            whole = self._join_fragment(msg.sender, frag, data)
            if whole is not None:
                out.append(Deliver(self.ring_id, msg.seq, index, msg.sender, whole, transitional))
        return out

    def _join_fragment(self, sender: NodeId, frag: Frag, data: bytes) -> bytes | None:
        if frag == Frag.WHOLE:
            return data
        if frag == Frag.FIRST:
            self.partial[sender] = [data]
            return None
        parts = self.partial.get(sender)
        if parts is None:
            return None  # its start was before our time on this ring: cannot be whole
        parts.append(data)
        if frag == Frag.MIDDLE:
            return None
        del self.partial[sender]
        return b"".join(parts)

    def collect_garbage(self) -> None:
        """Forget datagrams every member has (safe) and we delivered: recovery never
        needs them, since every member's aru is at least the safe point."""
        floor = min(self.safe, self.delivered)
        for seq in range(self.collected + 1, floor + 1):
            self.store.pop(seq, None)
        self.collected = max(self.collected, floor)

    def is_failing_to_receive(self, seq: int, limit: int) -> bool:
        """Count token visits on which we lack messages and our aru did not move; after
        `limit` of them in a row (fail_recv_const) this node cannot receive."""
        stuck = self.my_aru < seq and self.my_aru == self.aru_at_visit
        self.stuck_visits = self.stuck_visits + 1 if stuck else 0
        self.aru_at_visit = self.my_aru
        return self.stuck_visits >= limit

    def advance_safe(self, safe: int) -> None:
        self.safe = max(self.safe, min(safe, self.my_aru))
