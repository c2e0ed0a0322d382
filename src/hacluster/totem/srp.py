"""The Totem single-ring protocol core: token rotation, total order, retransmission, flow
control, and the membership phases gather -> commit -> recovery -> operational.

Owns one node's protocol state; sans-I/O: step(now_ms, event) -> outputs, with deadlines
it computes itself. Must never read clocks, sockets or global randomness, and never raise
on peer input (drops are counted in status()). Follows Amir, Moser, Melliar-Smith,
Agarwal, Ciarfella, "The Totem single-ring ordering and membership protocol" (TOCS 1995);
timer meanings from corosync.conf(5).
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
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
    Shutdown,
    Tick,
)
from hacluster.totem import membership as mb
from hacluster.totem.messages import (
    MCAST_OVERHEAD,
    CommitToken,
    Frag,
    Join,
    Leave,
    Mcast,
    MergeDetect,
    Message,
    Token,
    decode,
    encode,
    pack_messages,
)
from hacluster.totem.params import TotemParams
from hacluster.totem.ring import RingLog

log = logging.getLogger(__name__)

RTR_MAX = 64
# Room kept in every datagram so an old message still fits once encapsulated for recovery.
ENCAP_MARGIN = 128
RING_SEQ_FILE = "totem.ringseq"

Output = Send | Multicast | Persist | Deliver | ConfigChange
Input = Tick | PacketIn | PeerUnreachable | Shutdown


class TotemState(StrEnum):
    GATHER = "gather"
    COMMIT = "commit"
    RECOVERY = "recovery"
    OPERATIONAL = "operational"
    LEFT = "left"


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


class Totem:
    """One node's Totem SRP. Outputs go to the wire (Send/Multicast), to disk (Persist:
    the ring seq, so a restart never reuses a ring id) or up (Deliver/ConfigChange)."""

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
        self.queue: list[tuple[bytes, bool]] = []
        self.queue_offset = 0
        self.started = False
        self.counters: Counter[str] = Counter()
        self.token_loss_at: int | None = None
        self.retransmit: tuple[int, NodeId, bytes, int] | None = None  # at, dst, data, seq
        self.held: tuple[int, Token] | None = None
        self.join_at: int | None = None
        self.consensus_at: int | None = None
        self.commit_at: int | None = None
        self.merge_at: int | None = None

    # ------------------------------------------------------------------ the contract

    def step(self, now_ms: int, event: Input) -> list[Output]:
        out: list[Output] = []
        if not self.started and not isinstance(event, Shutdown):
            self.started = True
            out += self._enter_gather(now_ms, (), (), "start")
        match event:
            case Tick():
                out += self._on_tick(now_ms)
            case PacketIn(data=data):
                out += self._on_packet(now_ms, data)
            case PeerUnreachable(node_id=node_id):
                out += self._on_unreachable(now_ms, node_id)
            case Shutdown():
                out += self._leave()
        return out

    def next_deadline_ms(self) -> int | None:
        if not self.started:
            return 0 if self.state is not TotemState.LEFT else None
        times = [self.token_loss_at, self.join_at, self.consensus_at, self.commit_at,
                 self.merge_at]
        if self.retransmit is not None:
            times.append(self.retransmit[0])
        if self.held is not None:
            times.append(self.held[0])
        present = [t for t in times if t is not None]
        return min(present) if present else None

    def status(self) -> TotemStatus:
        return TotemStatus(self.me, self.state, self.cur.ring_id, self.cur.members,
                           self.ring_seq_high, self.cur.my_aru, self.cur.delivered,
                           len(self.queue), tuple(sorted(self.counters.items())))

    def send(self, data: bytes, safe: bool = False) -> None:
        """Queue an application message for agreed (or safe) delivery to the ring."""
        assert self.state is not TotemState.LEFT, "send after leaving"
        self.queue.append((bytes(data), safe))
        if self.held is not None and self.nxt is None:
            self.held = (min(self.held[0], self.held[0] - self.params.hold_ms), self.held[1])

    # ------------------------------------------------------------------ dispatch

    def _on_packet(self, now: int, data: bytes) -> list[Output]:
        msg = decode(data)
        if msg is None:
            self.counters["dropped_malformed"] += 1
            return []
        if msg.sender == self.me or msg.sender not in self.nodes:
            self.counters["dropped_unknown_sender"] += 1
            return []
        return self._dispatch(now, msg)

    def _dispatch(self, now: int, msg: Message) -> list[Output]:
        state = self.state
        match (state, msg):
            case (TotemState.LEFT, Join() | Token() | CommitToken()):
                return self._answer_after_leaving(msg)
            case (TotemState.LEFT, _):
                return []
            case (_, Token()):
                return self._on_token(now, msg)
            case (_, Mcast()):
                return self._on_mcast(msg)
            case (_, Join()):
                return self._on_join(now, msg)
            case (_, CommitToken()):
                return self._on_commit(now, msg)
            case (TotemState.OPERATIONAL, MergeDetect()):
                return self._on_merge_detect(now, msg)
            case (_, MergeDetect()):
                return []
            case (_, Leave()):
                return self._on_leave(now, msg)
        self.counters["dropped_unexpected"] += 1
        return []

    def _on_tick(self, now: int) -> list[Output]:
        out: list[Output] = []
        if self.held is not None and self.held[0] <= now:
            out += self._release_held(now)
        if self.retransmit is not None and self.retransmit[0] <= now:
            at, dst, data, seq = self.retransmit
            self.retransmit = (now + self.params.token_retransmit_ms, dst, data, seq)
            self.counters["token_retransmits"] += 1
            out.append(Send(dst, data))
        if self.token_loss_at is not None and self.token_loss_at <= now:
            self.counters["tokens_lost"] += 1
            self.log.info("token lost state=%s ring=%s", self.state, self.cur.ring_id)
            out += self._enter_gather(now, self._known_members(), (), "token loss")
        if self.commit_at is not None and self.commit_at <= now:
            self.log.info("commit token lost ring=%s", self.commit.ring_id if self.commit else "-")
            out += self._enter_gather(now, self._known_members(), (), "commit token loss")
        if self.join_at is not None and self.join_at <= now:
            out += self._send_join(now)
        if self.consensus_at is not None and self.consensus_at <= now:
            out += self._on_consensus_timeout(now)
        if self.merge_at is not None and self.merge_at <= now:
            self.merge_at = now + self.params.merge_ms
            out.append(Multicast(encode(MergeDetect(self.me, self.cur.ring_id))))
        return out

    def _known_members(self) -> frozenset[NodeId]:
        found = set(self.cur.members)
        if self.commit is not None:
            found |= set(self.commit.members)
        return frozenset(found)

    # ------------------------------------------------------------------ token and messages

    def _ring_for(self, ring_id: RingId) -> RingLog | None:
        if self.state is TotemState.OPERATIONAL and ring_id == self.cur.ring_id:
            return self.cur
        if self.state is TotemState.RECOVERY and self.nxt is not None and ring_id == self.nxt.ring_id:
            return self.nxt
        return None

    def _on_token(self, now: int, tok: Token, local: bool = False) -> list[Output]:
        ring = self._ring_for(tok.ring_id)
        if ring is None or (not local and tok.sender not in ring.members):
            self.counters["dropped_foreign_token"] += 1
            return []
        if tok.token_seq <= ring.last_token_seq:
            self.counters["dropped_duplicate_token"] += 1
            return []
        ring.last_token_seq = tok.token_seq
        self.token_loss_at = now + self.params.token_ms
        self.retransmit = None
        return self._visit(now, ring, tok)

    def _visit(self, now: int, ring: RingLog, tok: Token) -> list[Output]:
        out: list[Output] = []
        rtr: list[int] = []
        for seq in tok.rtr:
            held = ring.store.get(seq)
            if held is None:
                rtr.append(seq)
            else:
                out.append(Multicast(encode(held)))
        self.counters["retransmitted"] += len(out)
        p = self.params
        allowed = min(p.max_messages, p.window_size - max(0, tok.fcc - ring.sent_last_visit))
        fresh = self._take_new(ring, max(0, allowed - len(out)), tok.seq)
        for msg in fresh:
            ring.insert(msg, p.window_size + len(fresh))
            out.append(Multicast(encode(msg)))
        seq = tok.seq + len(fresh)
        fcc = max(0, tok.fcc - ring.sent_last_visit + len(fresh))
        ring.sent_last_visit = len(fresh)
        rtr = sorted(set(rtr) | set(ring.missing(seq, RTR_MAX)))[:RTR_MAX]
        aru, aru_id, safe = self._rotation_aru(ring, tok)
        ring.advance_safe(safe)
        busy = bool(out) or bool(rtr) or ring.my_aru < seq or bool(self.recovery_queue)
        quiet = 0 if busy else min(tok.quiet + 1, 65535)
        recovered = tok.recovered or (self.state is TotemState.RECOVERY and quiet >= len(ring.members))
        passed = Token(self.me, ring.ring_id, tok.token_seq + 1, seq, aru, aru_id, safe, fcc,
                       quiet, recovered, tuple(rtr))
        if self.state is TotemState.RECOVERY and recovered:
            out += self._finish_recovery(now)
        if self.state is TotemState.OPERATIONAL:
            out += ring.deliver_ready(self.me)
        ring.collect_garbage()
        idle = quiet >= len(ring.members) and not self.queue and self.state is TotemState.OPERATIONAL
        return out + self._pass_token(now, ring, passed, idle)

    def _rotation_aru(self, ring: RingLog, tok: Token) -> tuple[int, int, int]:
        """The token's aru is the minimum of every member's aru over one rotation, which
        the representative restarts; a completed rotation's minimum is the safe point:
        every member holds every message up to it."""
        if self.me == ring.members[0]:
            safe = max(tok.safe, tok.aru) if tok.token_seq > 0 else tok.safe
            return ring.my_aru, self.me, safe
        if ring.my_aru < tok.aru:
            return ring.my_aru, self.me, tok.safe
        return tok.aru, tok.aru_id, tok.safe

    def _take_new(self, ring: RingLog, allowed: int, seq: int) -> list[Mcast]:
        fresh: list[Mcast] = []
        if self.state is TotemState.RECOVERY:
            while self.recovery_queue and len(fresh) < allowed:
                data = self.recovery_queue.pop(0)
                fresh.append(Mcast(self.me, ring.ring_id, seq + len(fresh) + 1, True,
                                   ((Frag.WHOLE, data),)))
            return fresh
        room = self.params.netmtu - MCAST_OVERHEAD - ENCAP_MARGIN
        while self.queue and len(fresh) < allowed:
            safe = self.queue[0][1]
            chunks, done, self.queue_offset = pack_messages(self.queue, self.queue_offset, room)
            del self.queue[:done]
            fresh.append(Mcast(self.me, ring.ring_id, seq + len(fresh) + 1, False, chunks, safe))
        return fresh

    def _pass_token(self, now: int, ring: RingLog, tok: Token, idle: bool) -> list[Output]:
        after = ring.next_member(self.me)
        is_rep = self.me == ring.members[0]
        if after == self.me or (idle and is_rep and self.params.hold_ms > 0):
            delay = self.params.hold_ms if idle else 0
            self.held = (now + delay, tok)
            return []
        data = encode(tok)
        self.retransmit = (now + self.params.token_retransmit_ms, after, data, tok.seq)
        return [Send(after, data)]

    def _release_held(self, now: int) -> list[Output]:
        assert self.held is not None
        _, tok = self.held
        self.held = None
        ring = self._ring_for(tok.ring_id)
        if ring is None:
            return []
        after = ring.next_member(self.me)
        if after == self.me:
            return self._on_token(now, tok, local=True)
        data = encode(tok)
        self.retransmit = (now + self.params.token_retransmit_ms, after, data, tok.seq)
        return [Send(after, data)]

    def _on_mcast(self, msg: Mcast) -> list[Output]:
        window = self.params.window_size
        for ring in (self.cur, self.nxt):
            if ring is None or msg.ring_id != ring.ring_id or msg.sender not in ring.members:
                continue
            if not ring.insert(msg, window):
                self.counters["dropped_duplicate_mcast"] += 1
                return []
            if self.retransmit is not None and msg.seq > self.retransmit[3]:
                self.retransmit = None  # the next member holds the token: it sent this
            if ring is self.nxt and msg.encapsulated:
                self._absorb_recovered(msg)
            if ring is self.cur and self.state is TotemState.OPERATIONAL:
                return list(ring.deliver_ready(self.me))
            return []
        self.counters["dropped_foreign_mcast"] += 1
        return []

    def _absorb_recovered(self, msg: Mcast) -> None:
        """A message of some old ring retransmitted on the new one: keep it if it is ours."""
        if len(msg.chunks) != 1:
            return
        old = decode(msg.chunks[0][1])
        if isinstance(old, Mcast) and old.ring_id == self.cur.ring_id and old.sender in self.cur.members:
            self.cur.insert(old, 1 << 40)

    # ------------------------------------------------------------------ membership

    def _enter_gather(self, now: int, proc: Iterable[NodeId], fail: Iterable[NodeId],
                      reason: str, check: bool = True) -> list[Output]:
        if self.state is not TotemState.GATHER or reason == "start":
            self.log.info("gather entered reason=%s ring=%s", reason, self.cur.ring_id)
        self.state = TotemState.GATHER
        self.proc = frozenset(proc) | frozenset(self.cur.members) | {self.me}
        self.fail = frozenset(fail) - {self.me}
        self.agreed = {self.me}
        self.rep_suspect = False
        self.nxt = None
        self.commit = None
        self.recovery_queue = []
        self.held = None
        self.retransmit = None
        self.token_loss_at = self.commit_at = self.merge_at = None
        self.queue_offset = 0  # a half-sent fragmented message starts again on the new ring
        self.consensus_at = now + self.params.consensus_ms
        out = self._send_join(now)
        return out + self._check_consensus(now) if check else out

    def _join_packet(self) -> bytes:
        ring_seq = max(self.ring_seq_high, self.cur.ring_id.seq)
        return encode(Join(self.me, self.cur.ring_id, ring_seq, tuple(sorted(self.proc)),
                           tuple(sorted(self.fail))))

    def _send_join(self, now: int) -> list[Output]:
        jitter = self.rng.randint(0, self.params.send_join_ms) if self.params.send_join_ms else 0
        self.join_at = now + self.params.join_ms + jitter
        return [Multicast(self._join_packet())]

    def _on_join(self, now: int, join: Join) -> list[Output]:
        self.ring_seq_high = max(self.ring_seq_high, join.ring_seq)
        if self.state is TotemState.OPERATIONAL:
            # A join older than our ring is stale (members) or comes from a node that never
            # heard of it: that one hears our merge-detect and comes back with our seq.
            if join.ring_seq < self.cur.ring_id.seq:
                self.counters["dropped_stale_join"] += 1
                return []
            out = self._enter_gather(now, (), (), f"join from {join.sender}", check=False)
            return out + self._gather_join(now, join)
        if self.state in (TotemState.COMMIT, TotemState.RECOVERY):
            assert self.commit is not None
            # older than the new ring and nothing we did not know when we agreed: stale
            if join.ring_seq < self.commit.ring_id.seq and mb.is_subset_join(self.proc, self.fail, join):
                self.counters["dropped_stale_join"] += 1
                return []
            out = self._enter_gather(now, self._known_members(), (), f"join from {join.sender}",
                                     check=False)
            return out + self._gather_join(now, join)
        return self._gather_join(now, join)

    def _gather_join(self, now: int, join: Join) -> list[Output]:
        if join.sender in self.fail:
            return []
        if mb.is_same_sets(self.proc, self.fail, join):
            self.agreed.add(join.sender)
            return self._check_consensus(now)
        if mb.is_subset_join(self.proc, self.fail, join):
            return []
        proc, fail = mb.merge_join(self.me, self.proc, self.fail, join)
        if mb.is_same_sets(proc, fail, join):
            out = self._change_sets(now, proc, fail)
            self.agreed.add(join.sender)
            return out + self._check_consensus(now)
        return self._change_sets(now, proc, fail)

    def _on_unreachable(self, now: int, node_id: NodeId) -> list[Output]:
        """Positive evidence that nothing listens there: during gather this node may go to
        the fail set at once instead of waiting out consensus. Never shortens token loss."""
        if self.state is not TotemState.GATHER or node_id == self.me:
            return []
        if node_id not in self.proc or node_id in self.fail:
            return []
        return self._change_sets(now, self.proc, self.fail | {node_id})

    def _on_consensus_timeout(self, now: int) -> list[Output]:
        silent = frozenset(mb.candidates(self.proc, self.fail)) - self.agreed
        self.consensus_at = now + self.params.consensus_ms
        if not silent:
            # everybody agreed but no commit token came: give the representative one more
            # consensus period, then count it as failed
            if not self.rep_suspect:
                self.rep_suspect = True
                return []
            silent = frozenset(mb.candidates(self.proc, self.fail)[:1]) - {self.me}
        self.log.info("consensus timeout failing=%s", sorted(silent))
        return self._change_sets(now, self.proc, self.fail | silent)

    def _change_sets(self, now: int, proc: frozenset[NodeId], fail: frozenset[NodeId]) -> list[Output]:
        """New proc/fail sets: agreement starts over and gets a full consensus period
        (sets only grow within one gather, so this happens a bounded number of times)."""
        self.proc, self.fail = proc, fail
        self.agreed = {self.me}
        self.rep_suspect = False
        self.consensus_at = now + self.params.consensus_ms
        return self._send_join(now) + self._check_consensus(now)

    def _check_consensus(self, now: int) -> list[Output]:
        if self.state is not TotemState.GATHER or not mb.has_consensus(self.proc, self.fail, self.agreed):
            return []
        members = mb.candidates(self.proc, self.fail)
        if members[0] != self.me:
            return []
        ring_id = mb.next_ring_id(self.me, max(self.ring_seq_high, self.cur.ring_id.seq))
        commit = CommitToken(self.me, ring_id, 1, members, (mb.commit_entry(self.me, self.cur),))
        return self._enter_commit(now, commit)

    def _enter_commit(self, now: int, commit: CommitToken) -> list[Output]:
        self.state = TotemState.COMMIT
        self.commit = commit
        self.ring_seq_high = max(self.ring_seq_high, commit.ring_id.seq)
        self.join_at = self.consensus_at = None
        self.commit_at = now + self.params.token_ms
        persist = Persist(RING_SEQ_FILE, str(commit.ring_id.seq).encode())
        return [persist, *self._forward_commit(now, commit)]

    def _forward_commit(self, now: int, commit: CommitToken) -> list[Output]:
        at = commit.members.index(self.me)
        after = commit.members[(at + 1) % len(commit.members)]
        if after == self.me:
            return self._on_commit(now, commit)
        data = encode(commit)
        self.retransmit = (now + self.params.token_retransmit_ms, after, data, 0)
        return [Send(after, data)]

    def _on_commit(self, now: int, commit: CommitToken) -> list[Output]:
        if self.me not in commit.members or commit.ring_id.rep != commit.members[0]:
            self.counters["dropped_foreign_commit"] += 1
            return []
        mine = self.commit is not None and commit.ring_id == self.commit.ring_id
        full = len(commit.entries) == len(commit.members)
        is_rep = self.me == commit.members[0]
        if self.state is TotemState.GATHER:
            return self._accept_commit(now, commit)
        if self.state is TotemState.COMMIT and mine and full and commit.rotation == 1 and is_rep:
            second = replace(commit, sender=self.me, rotation=2)
            self.commit = second
            return self._enter_recovery(now, second) + self._forward_commit(now, second)
        if self.state is TotemState.COMMIT and mine and full and commit.rotation == 2 and not is_rep:
            second = replace(commit, sender=self.me)
            self.commit = second
            return self._enter_recovery(now, second) + self._forward_commit(now, second)
        if self.state is TotemState.RECOVERY and mine and is_rep and commit.rotation == 2:
            assert self.nxt is not None
            if self.nxt.last_token_seq >= 0:
                return []
            self.retransmit = None
            first = Token(self.me, commit.ring_id, 0, 0, 0, 0, 0, 0, 0, False)
            return self._on_token(now, first, local=True)
        self.counters["dropped_duplicate_commit"] += 1
        return []

    def _accept_commit(self, now: int, commit: CommitToken) -> list[Output]:
        at = commit.members.index(self.me)
        expected = list(commit.members[:at])
        if (commit.rotation != 1 or commit.members != mb.candidates(self.proc, self.fail)
                or [e.node_id for e in commit.entries] != expected
                or commit.ring_id.seq <= self.cur.ring_id.seq):
            self.counters["dropped_unexpected_commit"] += 1
            return []
        entry = mb.commit_entry(self.me, self.cur)
        filled = replace(commit, sender=self.me, entries=(*commit.entries, entry))
        return self._enter_commit(now, filled)

    def _enter_recovery(self, now: int, commit: CommitToken) -> list[Output]:
        self.state = TotemState.RECOVERY
        self.commit_at = None
        self.nxt = RingLog(commit.ring_id, commit.members)
        self.transitional = mb.transitional_members(self.cur.ring_id, commit.entries)
        self.recovery_queue = [encode(m) for m in mb.recovery_plan(self.me, self.cur, commit.entries)]
        self.token_loss_at = now + self.params.token_ms
        self.log.debug("recovery entered ring=%s resend=%d", commit.ring_id, len(self.recovery_queue))
        return []

    def _finish_recovery(self, now: int) -> list[Output]:
        """EVS: deliver the old ring's messages (those after a hole in the transitional
        configuration), then install the new ring with its regular configuration."""
        old, new = self.cur, self.nxt
        assert new is not None
        regular, after_hole = old.deliver_transitional(self.transitional)
        left = tuple(sorted(set(old.members) - set(self.transitional)))
        joined = tuple(sorted(set(new.members) - set(self.transitional)))
        out: list[Output] = [*regular]
        out.append(ConfigChange("transitional", new.ring_id, self.transitional, (), left))
        out += after_hole
        out.append(ConfigChange("regular", new.ring_id, new.members, joined, left))
        self.cur, self.nxt = new, None
        self.state = TotemState.OPERATIONAL
        self.commit = None
        self.recovery_queue = []
        self.counters["rings_formed"] += 1
        if self.me == new.members[0] and len(new.members) < len(self.nodes):
            self.merge_at = now + self.params.merge_ms
        self.log.info("ring formed ring=%s members=%s", new.ring_id, list(new.members))
        return out

    def _on_merge_detect(self, now: int, msg: MergeDetect) -> list[Output]:
        if msg.ring_id == self.cur.ring_id or msg.sender in self.cur.members:
            return []
        if self.me != self.cur.members[0]:
            return []
        self.ring_seq_high = max(self.ring_seq_high, msg.ring_id.seq)
        return self._enter_gather(now, (msg.sender,), (), f"merge with {msg.ring_id}")

    def _on_leave(self, now: int, msg: Leave) -> list[Output]:
        if msg.ring_seq < self.cur.ring_id.seq:
            self.counters["dropped_stale_leave"] += 1
            return []
        if self.state is TotemState.GATHER:
            if msg.sender not in self.proc or msg.sender in self.fail:
                return []
            return self._change_sets(now, self.proc, self.fail | {msg.sender})
        if msg.sender not in self._known_members():
            return []
        return self._enter_gather(now, self._known_members(), (msg.sender,), f"leave of {msg.sender}")

    def _leave(self) -> list[Output]:
        if self.state is TotemState.LEFT:
            return []
        self.log.info("leaving ring=%s", self.cur.ring_id)
        self.state = TotemState.LEFT
        self.started = True
        self.token_loss_at = self.join_at = self.consensus_at = self.commit_at = None
        self.merge_at = None
        self.held = self.retransmit = None
        self.queue = []
        return [Multicast(self._leave_packet())]

    def _leave_packet(self) -> bytes:
        return encode(Leave(self.me, self.cur.ring_id, max(self.ring_seq_high, self.cur.ring_id.seq)))

    def _answer_after_leaving(self, msg: Message) -> list[Output]:
        """Someone still counts us in: tell it again that we left (the first leave may have
        been lost)."""
        if isinstance(msg, Join) and (self.me not in msg.proc or self.me in msg.fail):
            return []
        return [Send(msg.sender, self._leave_packet())]
