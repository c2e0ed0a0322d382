"""The Totem single-ring protocol core: token rotation, total order, retransmission, flow
control, token hold and hold-cancel, and the dispatch of every input (membership: phases.py).

Owns one node's protocol state; sans-I/O: step(now_ms, event) -> outputs, with deadlines
it computes itself. Must never read clocks, sockets or global randomness, and never raise
on peer input (drops are counted in status()). Follows Amir, Moser, Melliar-Smith,
Agarwal, Ciarfella, "The Totem single-ring ordering and membership protocol" (TOCS 1995);
timer meanings from corosync.conf(5).

Token hold: on an idle ring the representative keeps the token for hold_ms per rotation
(CPU and packets saved). A message must not sit that out: the holder passes the token at
once when it queues one itself, and any other member whose queue was empty and who passed a
token quiet enough to be held before it comes back multicasts a HoldCancel, on which the
holder passes it at once, or skips its next hold if the token has not reached it yet. One
cancel per such token at most, none while the member has a backlog or the ring is busy
(Corosync's token hold cancel, in meaning).
"""

from __future__ import annotations

from dataclasses import replace

from hacluster.common import NodeId
from hacluster.events import (
    Multicast,
    PacketIn,
    PeerUnreachable,
    RingId,
    Send,
    SendRequest,
    Shutdown,
    Tick,
)
from hacluster.totem import drops
from hacluster.totem.messages import (
    MCAST_OVERHEAD,
    CommitToken,
    Frag,
    HoldCancel,
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
from hacluster.totem.phases import MembershipPhases
from hacluster.totem.ring import RingLog
from hacluster.totem.state import (
    RING_SEQ_FILE,
    HeldToken,
    Input,
    Output,
    SentToken,
    TotemState,
    TotemStatus,
)

RTR_MAX = 64
# Room kept in every datagram so an old message still fits once encapsulated for recovery.
ENCAP_MARGIN = 128
OWN_WINDOW = 1 << 40

__all__ = ["RING_SEQ_FILE", "Totem", "TotemState", "TotemStatus"]


class Totem(MembershipPhases):
    """One node's Totem SRP. Outputs go to the wire (Send/Multicast), to disk (Persist:
    the ring seq, so a restart never reuses a ring id) or up (Deliver/ConfigChange)."""

    # ------------------------------------------------------------------ the contract

    def step(self, now_ms: int, event: Input) -> list[Output]:
        if type(event) is SendRequest:  # a local proposal (the hot path): queued, no output
            self._queue_local(event.data, event.safe)
            return []
        out: list[Output] = []
        if not self.started and not isinstance(event, Shutdown):
            self.started = True
            out += self._enter_gather(now_ms, (), (), "start")
        match event:
            case Tick():
                out += self._on_tick(now_ms)
            case PacketIn(data=data, src=src):
                out += self._on_packet(now_ms, data, src)
            case PeerUnreachable(node_id=node_id):
                out += self._on_unreachable(now_ms, node_id)
            case Shutdown():
                out += self._leave()
        return out

    def _queue_local(self, data: bytes, safe: bool) -> None:
        """Queue an application message for agreed (or safe) delivery to the ring."""
        assert self.state is not TotemState.LEFT, "send after leaving"
        was_empty = not self.queue
        self.queue.append((bytes(data), safe))
        if self.held is not None and self.nxt is None:
            self.held = replace(self.held, release_at_ms=0)  # stop holding: pass it at once
        elif was_empty and self.saw_quiet and self.state is TotemState.OPERATIONAL:
            self.saw_quiet = False  # one cancel per quiet token seen
            self.hold_cancel_due = True  # multicast on the next step (next_deadline_ms: now)

    # ------------------------------------------------------------------ dispatch

    def _on_packet(self, now: int, data: bytes, src: str = "") -> list[Output]:
        msg = decode(data)
        if msg is None:
            return self._garbage(now, src, "dropped_malformed", drops.MALFORMED)
        if msg.sender not in self.nodes:
            return self._garbage(now, src, "dropped_unknown_sender", drops.FOREIGN)
        if msg.sender == self.me:
            # our own datagram, retransmitted by a member that answered a token's rtr: we
            # hold it already (churn, not garbage)
            self.counters["dropped_own"] += 1
            return []
        self.heard_at[msg.sender] = now
        self.gather_refusals.pop(msg.sender, None)
        if self.retransmit is not None and msg.sender == self.retransmit.dst:
            self.unreachable_hits = 0  # it speaks: earlier refusals were not its death
        return self._dispatch(now, msg)

    def _garbage(self, now: int, src: str, counter: str, reason: str) -> list[Output]:
        """Count a datagram that is no Totem packet of this cluster; warn about its peer at
        most once per interval (drops.GarbageWarnings), with the number suppressed since."""
        self.counters[counter] += 1
        suppressed = self.garbage_warnings.note(src or "-", now)
        if suppressed is not None:
            self.log.warning("garbage from peer dropped peer=%s reason=%s suppressed=%d",
                             src or "-", reason, suppressed)
        return []

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
            case (TotemState.OPERATIONAL, HoldCancel()):
                return self._on_hold_cancel(now, msg)
            case (_, HoldCancel()):
                self.counters["dropped_foreign_hold_cancel"] += 1
                return []
            case (_, MergeDetect()):
                return []
            case (_, Leave()):
                return self._on_leave(now, msg)
        self.counters["dropped_unexpected"] += 1
        return []

    def _on_tick(self, now: int) -> list[Output]:
        out: list[Output] = []
        if self.hold_cancel_due:
            self.hold_cancel_due = False
            if self.state is TotemState.OPERATIONAL and self.held is None:
                self.counters["token_hold_cancel_tx"] += 1
                out.append(Multicast(encode(HoldCancel(self.me, self.cur.ring_id))))
        if self.held is not None and self.held.release_at_ms <= now:
            out += self._release_held(now)
        if self.retransmit is not None and self.retransmit.resend_at_ms <= now:
            sent = self.retransmit
            self.retransmit = replace(sent, resend_at_ms=now + self.params.token_retransmit_ms)
            self.token_sends += 1
            self.counters["token_retransmits"] += 1
            out.append(Send(sent.dst, sent.data))
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
        if self.silence_at is not None and self.silence_at <= now:
            out += self._on_silence(now)
        if self.merge_at is not None and self.merge_at <= now:
            self.merge_at = now + self.params.merge_ms
            out.append(Multicast(encode(MergeDetect(self.me, self.cur.ring_id))))
        return out

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
            ring.insert(msg, OWN_WINDOW)  # our own datagram: never too far ahead
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
        if ring.is_failing_to_receive(seq, p.fail_recv_const):
            self.log.warning("failed to receive ring=%s aru=%d seq=%d", ring.ring_id, ring.my_aru, seq)
            self.counters["failed_to_receive"] += 1
            return out + self._enter_gather(now, self._known_members(), (), "failed to receive")
        if self.state is TotemState.RECOVERY and recovered:
            out += self._finish_recovery(now)
        if self.state is TotemState.OPERATIONAL:
            out += ring.deliver_ready(self.me)
        ring.collect_garbage()
        # Idle also needs every member to have seen a token whose safe point covers every
        # datagram (the one we passed last time came back): else a hold would delay the
        # safe delivery of the last messages at the others.
        idle = (quiet >= len(ring.members) and not self.queue and ring.safe_passed >= seq
                and self.state is TotemState.OPERATIONAL)
        ring.safe_passed = safe
        # The representative (position 0) holds a token that reaches it with quiet >= n - 1;
        # passed from position p with `quiet`, that can happen this rotation iff quiet >= p.
        self.saw_quiet = self.me != ring.members[0] and quiet >= ring.members.index(self.me)
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
        hold = idle and is_rep and self.params.hold_ms > 0 and not self.hold_cancelled
        self.hold_cancelled = False
        if after == self.me or hold:
            delay = self.params.hold_ms if idle else 0
            self.held = HeldToken(now + delay, tok)
            return []
        return self._send_token(now, after, encode(tok), tok.seq)

    def _send_token(self, now: int, after: NodeId, data: bytes, seq: int) -> list[Output]:
        """Pass the token on and keep it for retransmission; evidence about the successor
        is counted afresh for every token (phases._on_unreachable)."""
        self.retransmit = SentToken(now + self.params.token_retransmit_ms, after, data, seq)
        self.token_sends = 1
        self.unreachable_hits = 0
        return [Send(after, data)]

    def _release_held(self, now: int) -> list[Output]:
        assert self.held is not None
        tok = self.held.token
        self.held = None
        ring = self._ring_for(tok.ring_id)
        if ring is None:
            return []
        after = ring.next_member(self.me)
        if after == self.me:
            return self._on_token(now, tok, local=True)
        return self._send_token(now, after, encode(tok), tok.seq)

    def _on_hold_cancel(self, now: int, msg: HoldCancel) -> list[Output]:
        """A member has messages queued: pass a held token now, or skip the next hold if
        the token is still on its way to us."""
        if msg.ring_id != self.cur.ring_id or msg.sender not in self.cur.members:
            self.counters["dropped_foreign_hold_cancel"] += 1
            return []
        self.counters["token_hold_cancel_rx"] += 1
        if self.held is not None:
            return self._release_held(now)
        self.hold_cancelled = self.me == self.cur.members[0]
        return []

    def _on_mcast(self, msg: Mcast) -> list[Output]:
        window = self.params.window_size
        for ring in (self.cur, self.nxt):
            if ring is None or msg.ring_id != ring.ring_id or msg.sender not in ring.members:
                continue
            if not ring.insert(msg, window):
                self.counters["dropped_duplicate_mcast"] += 1
                return []
            if self.retransmit is not None and msg.seq > self.retransmit.seq:
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
            self.cur.insert(old, OWN_WINDOW)
