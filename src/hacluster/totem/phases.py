"""Totem membership: gather (join messages, consensus on proc and fail sets), commit
(the commit token's two rotations), recovery (old ring messages retransmitted on the new
ring so survivors deliver the same set: extended virtual synchrony), merge detection,
graceful leave, and ICMP evidence (a token successor that refuses the token is failed at
once instead of after token loss: `_on_successor_unreachable` says why that is safe).

Owns the membership transitions of the Totem core, as methods over TotemCore's state.
Must never order application messages (srp.py does) nor do I/O. Follows the Totem paper
(TOCS 1995) section 4; the decisions themselves are pure functions in membership.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from hacluster.common import NodeId
from hacluster.events import ConfigChange, Multicast, Persist, Send
from hacluster.totem import membership as mb
from hacluster.totem.messages import CommitToken, Join, Leave, MergeDetect, Message, Token, encode
from hacluster.totem.ring import RingLog
from hacluster.totem.state import RING_SEQ_FILE, Output, SentToken, TotemCore, TotemState

NEVER_SEQ = 1 << 62


class MembershipPhases(TotemCore):
    """Gather, commit, recovery, merge and leave."""

    def _enter_gather(self, now: int, proc: Iterable[NodeId], fail: Iterable[NodeId],
                      reason: str, check: bool = True) -> list[Output]:
        if self.state is not TotemState.GATHER or reason == "start":
            self.log.info("gather entered reason=%s ring=%s", reason, self.cur.ring_id)
            self.gather_since = now
            self.gather_refusals.clear()
            # the silence rule watches the members of a ring whose token we lost (_on_silence)
            lost = reason in ("token loss", "commit token loss")
            self.silence_watch = self._known_members() - {self.me} if lost else frozenset()
        self.state = TotemState.GATHER
        self.proc = frozenset(proc) | frozenset(self.cur.members) | {self.me}
        self.fail = frozenset(fail) - {self.me}
        self.agreed = {self.me}
        self.rep_suspect = False
        self.nxt = None
        self.commit = None
        self.recovery_queue = []
        self.held = None
        self.saw_quiet = self.hold_cancel_due = self.hold_cancelled = False
        self.retransmit = None
        self.token_loss_at = self.commit_at = self.merge_at = None
        self.queue_offset = 0  # a half-sent fragmented message starts again on the new ring
        self.consensus_at = now + self.params.consensus_ms
        self.silence_at = self._silent_members(now)[1]
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
        """Positive evidence that nothing listens at a member's (host, port): the kernel of a
        live host answered a datagram to it with ICMP port unreachable (the driver reports
        each refusal, attributed by address). During gather a second report about the member
        puts it in the fail set at once instead of waiting out consensus (our joins reach it
        every join_ms, so a dead one refuses twice within ~join_ms); in the other states see
        `_on_successor_unreachable`. A lossy or partitioned network sends no ICMP: there the
        token still has to be lost, then gather's silence rule (`_on_silence`) applies."""
        if node_id == self.me or self.state is TotemState.LEFT:
            return []
        if self.state is not TotemState.GATHER:
            return self._on_successor_unreachable(now, node_id)
        if node_id not in self.proc or node_id in self.fail:
            return []
        self.gather_refusals[node_id] += 1
        if self.gather_refusals[node_id] < 2:
            return []  # one stray error is never evidence; joins to it repeat every join_ms
        return self._change_sets(now, self.proc, self.fail | {node_id})

    def _on_successor_unreachable(self, now: int, node_id: NodeId) -> list[Output]:
        """The fast path of operational (and commit, recovery). The token (or the commit
        token) is stuck at a member only if its predecessor cannot hand it over, so only
        evidence about the member we are passing it to (`retransmit`'s destination, not yet
        seen to take it) is acted on; evidence about any other member is counted and
        ignored: whoever forwards the token to that member sees the same evidence and acts
        (or the token is lost, as without ICMP).

        Acting needs two refusals for one outstanding token. The first one re-sends the token
        at once (a confirmation: a live member that lost one datagram, or a stray error, costs
        one duplicate token it drops), so a member that really died is known two round trips
        after its predecessor first tried to hand it the token, not after the token
        retransmission period. On the second the member goes straight to the fail set and
        gather starts now instead of after token_ms (and gather needs no consensus wait for
        it). Any packet from the member clears the count (srp._on_packet), the fail set lives
        only for this gather, so a false positive (spoofed ICMP) costs one membership round:
        the member, still alive and reachable, is back in the next ring through merge
        detection."""
        pending = self.retransmit
        if pending is None or pending.dst != node_id:
            self.counters["unreachable_ignored"] += 1
            return []
        assert self.state is not TotemState.OPERATIONAL or node_id == self.cur.next_member(self.me)
        self.unreachable_hits += 1
        if self.unreachable_hits < 2:
            self.token_sends += 1
            self.counters["unreachable_confirm_sends"] += 1
            return [Send(node_id, pending.data)]
        self.counters["successor_unreachable"] += 1
        self.log.info("token successor unreachable node=%s state=%s ring=%s sends=%d reports=%d",
                      node_id, self.state, self.cur.ring_id, self.token_sends,
                      self.unreachable_hits)
        return self._enter_gather(now, self._known_members(), (node_id,),
                                  f"successor {node_id} unreachable")

    def _silent_members(self, now: int) -> tuple[frozenset[NodeId], int | None]:
        """The candidates we have not heard from since this gather began, for silence_ms or
        longer; and when the next candidate would become silent (None: no other)."""
        silent: set[NodeId] = set()
        due: int | None = None
        for node in mb.candidates(self.proc, self.fail):
            if node not in self.silence_watch:
                continue
            at = max(self.heard_at.get(node, self.gather_since), self.gather_since)
            at += self.params.silence_ms
            if at <= now:
                silent.add(node)
            else:
                due = at if due is None else min(due, at)
        return frozenset(silent), due

    def _on_silence(self, now: int) -> list[Output]:
        """After we lost our ring's token (token_ms without progress), members of that ring
        that said nothing at all since, for silence_ms, are failed without waiting out
        consensus. A live member of the ring lost the token too, or hears our joins
        (repeated every join_ms) and answers at once, so one that stays mute for several
        join periods is as dead as consensus would find it, only sooner: no second-long
        stall after a silent node loss (SIGSTOP, a dropped link). Gathers for any other
        reason (a merge, a join from elsewhere) keep waiting out consensus: there a live
        node may be busy in a commit of its own and send no joins for a while. A mute but
        live member (a clogged link) costs what consensus would: it is outside the next
        ring and merges back."""
        silent, self.silence_at = self._silent_members(now)
        if self.state is not TotemState.GATHER or not silent:
            return []
        self.counters["gather_silent_failed"] += len(silent)
        self.log.info("gather: no word for %d ms failing=%s", self.params.silence_ms,
                      sorted(silent))
        return self._change_sets(now, self.proc, self.fail | silent)

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
        self.silence_at = self._silent_members(now)[1]
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
        self.join_at = self.consensus_at = self.silence_at = None
        self.commit_at = now + self.params.token_ms
        persist = Persist(RING_SEQ_FILE, str(commit.ring_id.seq).encode())
        return [persist, *self._forward_commit(now, commit)]

    def _forward_commit(self, now: int, commit: CommitToken) -> list[Output]:
        at = commit.members.index(self.me)
        after = commit.members[(at + 1) % len(commit.members)]
        if after == self.me:
            return self._on_commit(now, commit)
        data = encode(commit)
        # only the commit token coming back (or the new ring's token) is progress here
        self.retransmit = SentToken(now + self.params.token_retransmit_ms, after, data, NEVER_SEQ)
        self.token_sends, self.unreachable_hits = 1, 0
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
        self.merge_at = self.silence_at = None
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
