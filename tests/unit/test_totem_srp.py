"""The Totem core stepped by hand: a few cores, packets routed by the test itself."""

from __future__ import annotations

import random

from hacluster.common import NodeId
from hacluster.events import (
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
from hacluster.totem import (
    RING_SEQ_FILE,
    Join,
    Leave,
    Token,
    Totem,
    TotemParams,
    TotemState,
    decode,
    encode,
)

IDS = [NodeId(1), NodeId(2), NodeId(3)]
PARAMS = TotemParams()


def cores(ids: list[NodeId] = IDS) -> dict[NodeId, Totem]:
    return {n: Totem(n, ids, PARAMS, random.Random(n)) for n in ids}


def pump(nodes: dict[NodeId, Totem], now: int, outputs: dict[NodeId, list[object]],
         until_ms: int, drop: frozenset[NodeId] = frozenset()) -> int:
    """Deliver packets instantly (1 ms per hop) and tick deadlines until nothing is left."""
    queue = [(now, src, out) for src, outs in outputs.items() for out in outs]
    while now <= until_ms:
        while queue:
            at, src, out = queue.pop(0)
            now = max(now, at)
            targets = [out.dst] if isinstance(out, Send) else (
                [n for n in nodes if n != src] if isinstance(out, Multicast) else [])
            for dst in targets:
                if dst in drop or src in drop:
                    continue
                data = out.data  # type: ignore[attr-defined]
                queue += [(now + 1, dst, o) for o in nodes[dst].step(now + 1, PacketIn(data))]
        due = [(d, n) for n, c in nodes.items() if n not in drop
               and (d := c.next_deadline_ms()) is not None]
        if not due:
            break
        at, node = min(due)
        if at > until_ms:
            break
        now = max(now, at)
        queue += [(now, node, o) for o in nodes[node].step(now, Tick())]
    return now


def formed(ids: list[NodeId] = IDS) -> tuple[dict[NodeId, Totem], int]:
    nodes = cores(ids)
    now = pump(nodes, 0, {n: nodes[n].step(0, Tick()) for n in ids}, 2_000)
    assert all(c.state is TotemState.OPERATIONAL and c.cur.members == tuple(ids)
               for c in nodes.values())
    return nodes, now


def test_a_lone_node_forms_a_ring_of_itself_and_persists_its_ring_seq() -> None:
    core = Totem(NodeId(1), IDS, PARAMS, random.Random(1), ring_seq=40)
    out = core.step(0, Tick())
    assert core.state is TotemState.OPERATIONAL and core.cur.members == (NodeId(1),)
    assert Persist(RING_SEQ_FILE, b"44") in out
    assert any(isinstance(o, Multicast) and isinstance(decode(o.data), Join) for o in out)


class Recording:
    """A core whose every output is also kept (pump keeps only the packets)."""

    def __init__(self, core: Totem) -> None:
        self.core = core
        self.outputs: list[object] = []

    def step(self, now_ms: int, event: object) -> list[object]:
        out = self.core.step(now_ms, event)  # type: ignore[arg-type]
        self.outputs += out
        return list(out)

    def next_deadline_ms(self) -> int | None:
        return self.core.next_deadline_ms()


def test_a_local_proposal_enters_through_step_and_is_delivered_everywhere_in_order() -> None:
    nodes, now = formed()
    recording = {n: Recording(c) for n, c in nodes.items()}
    assert nodes[NodeId(2)].step(now, SendRequest(b"\x00first")) == []  # queued for the token
    assert nodes[NodeId(2)].step(now, SendRequest(b"second", safe=True)) == []
    pump(recording, now, {}, now + 2_000)  # type: ignore[arg-type]
    for node in IDS:
        delivered = [o.data for o in recording[node].outputs if isinstance(o, Deliver)]
        assert delivered == [b"\x00first", b"second"], node


def test_three_cores_merge_into_one_ring() -> None:
    nodes, _ = formed()
    assert len({c.cur.ring_id for c in nodes.values()}) == 1


def test_token_loss_enters_gather() -> None:
    nodes, now = formed()
    lost = pump(nodes, now, {}, now + 5_000, drop=frozenset({NodeId(3)}))
    core = nodes[NodeId(1)]
    assert core.status().counter("tokens_lost") >= 1
    assert core.cur.members == (NodeId(1), NodeId(2))
    assert lost > now + PARAMS.token_ms


def test_a_duplicate_token_is_dropped_and_counted() -> None:
    nodes, now = formed()
    core = nodes[NodeId(2)]
    old = Token(NodeId(1), core.cur.ring_id, 0, 0, 0, 0, 0, 0, 0, False)
    core.step(now + 1, PacketIn(encode(old)))
    assert core.status().counter("dropped_duplicate_token") == 1


def test_a_token_of_a_foreign_ring_is_dropped() -> None:
    nodes, now = formed()
    alien = Token(NodeId(1), RingId(NodeId(1), 999), 50, 0, 0, 0, 0, 0, 0, False)
    nodes[NodeId(2)].step(now + 1, PacketIn(encode(alien)))
    assert nodes[NodeId(2)].status().counter("dropped_foreign_token") == 1


def test_a_join_older_than_the_ring_is_stale() -> None:
    nodes, now = formed()
    core = nodes[NodeId(1)]
    before = core.status().counter("dropped_stale_join")
    stale = Join(NodeId(2), RingId(NodeId(2), 0), 0, (NodeId(2),), ())
    core.step(now + 1, PacketIn(encode(stale)))
    assert core.state is TotemState.OPERATIONAL
    assert core.status().counter("dropped_stale_join") == before + 1


def test_a_current_join_from_a_member_starts_gather() -> None:
    nodes, now = formed()
    core = nodes[NodeId(1)]
    fresh = Join(NodeId(2), core.cur.ring_id, core.cur.ring_id.seq, (NodeId(1), NodeId(2)), ())
    core.step(now + 1, PacketIn(encode(fresh)))
    assert core.state is TotemState.GATHER


def test_peer_unreachable_fails_a_node_at_once_during_gather() -> None:
    nodes, now = formed()
    core = nodes[NodeId(1)]
    core.step(now + 1, PeerUnreachable(NodeId(3)))
    assert core.state is TotemState.OPERATIONAL  # 3 is not the successor of 1: ignored
    fresh = Join(NodeId(2), core.cur.ring_id, core.cur.ring_id.seq, tuple(IDS), ())
    core.step(now + 2, PacketIn(encode(fresh)))
    core.step(now + 3, PeerUnreachable(NodeId(3)))
    assert NodeId(3) not in core.fail, "one stray error is not evidence"
    core.step(now + 4, PeerUnreachable(NodeId(3)))
    assert NodeId(3) in core.fail


def test_shutdown_multicasts_a_leave_and_answers_joins_with_another() -> None:
    nodes, now = formed()
    core = nodes[NodeId(3)]
    out = core.step(now + 1, Shutdown())
    assert core.state is TotemState.LEFT
    assert [type(decode(o.data)) for o in out if isinstance(o, Multicast)] == [Leave]
    join = Join(NodeId(1), core.cur.ring_id, core.cur.ring_id.seq, tuple(IDS), ())
    again = core.step(now + 2, PacketIn(encode(join)))
    assert again and isinstance(decode(again[0].data), Leave)  # type: ignore[union-attr]
    assert core.next_deadline_ms() is None


def test_a_node_that_keeps_missing_messages_declares_it_after_fail_recv_const_visits() -> None:
    from hacluster.totem.ring import RingLog

    log = RingLog(RingId(NodeId(1), 4), (NodeId(1), NodeId(2)))
    assert not any(log.is_failing_to_receive(seq=5, limit=3) for _ in range(2))
    assert log.is_failing_to_receive(seq=5, limit=3)
    fresh = RingLog(RingId(NodeId(1), 4), (NodeId(1), NodeId(2)))
    assert not any(fresh.is_failing_to_receive(seq=0, limit=3) for _ in range(10))


# ------------------------------------------------------------------ operational fast path

N1, N2, N3 = IDS


def token_sent_to(nodes: dict[NodeId, Totem], now: int, dst: NodeId) -> tuple[Totem, int]:
    """Run the ring with `dst` dead (its packets lost) until its predecessor has just passed
    the token to it; returns that predecessor and the time of the send."""
    before = next(c for c in nodes.values() if c.cur.next_member(c.me) == dst)
    for _ in range(2_000):
        pending = before.retransmit
        if pending is not None and pending.dst == dst:
            return before, pending.resend_at_ms - PARAMS.token_retransmit_ms
        now = pump(nodes, now, {}, now + 1, drop=frozenset({dst}))
        now += 1
    raise AssertionError("the token never went to the dead node")


def test_a_refused_token_is_resent_at_once_and_a_second_refusal_gathers_without_it() -> None:
    nodes, now = formed()
    core, sent_at = token_sent_to(nodes, now, N3)
    assert core.retransmit is not None
    token = core.retransmit.data
    out = core.step(sent_at + 1, PeerUnreachable(N3))
    assert core.state is TotemState.OPERATIONAL  # one report is not enough...
    assert out == [Send(N3, token)]  # ...but the token goes again now, not after retransmit
    out = core.step(sent_at + 2, PeerUnreachable(N3))
    assert core.state is TotemState.GATHER and N3 in core.fail
    assert any(isinstance(o, Multicast) and isinstance(decode(o.data), Join) for o in out)
    assert core.status().counter("successor_unreachable") == 1
    assert core.status().counter("unreachable_confirm_sends") == 1
    assert core.status().counter("tokens_lost") == 0


def test_a_crashed_token_holder_is_failed_two_refusals_after_the_first_retransmission() -> None:
    nodes, now = formed()
    core, sent_at = token_sent_to(nodes, now, N3)  # 3 took it (silently) and died holding it
    resend_at = core.next_deadline_ms()
    assert resend_at == sent_at + PARAMS.token_retransmit_ms
    out = core.step(resend_at, Tick())
    assert [o.dst for o in out if isinstance(o, Send)] == [N3]  # the token re-sent to 3
    again = core.step(resend_at + 1, PeerUnreachable(N3))
    assert [o.dst for o in again if isinstance(o, Send)] == [N3]  # confirmed at once
    joined = core.step(resend_at + 2, PeerUnreachable(N3))
    assert core.state is TotemState.GATHER and N3 in core.fail
    # the survivors form their ring long before the token would even be declared lost
    survivors = {n: c for n, c in nodes.items() if n != N3}
    done = pump(nodes, resend_at + 2, {core.me: joined},
                sent_at + PARAMS.token_ms - 1, drop=frozenset({N3}))
    assert done < sent_at + PARAMS.token_ms
    assert all(c.state is TotemState.OPERATIONAL and c.cur.members == (N1, N2)
               for c in survivors.values())
    assert all(c.status().counter("tokens_lost") == 0 for c in survivors.values())


def test_evidence_about_a_member_that_is_not_the_token_successor_is_ignored() -> None:
    nodes, now = formed()
    core, sent_at = token_sent_to(nodes, now, N3)
    other = nodes[N1]  # its successor is 2; 3 is reached by the token through 2
    for at in range(1, 5):
        other.step(sent_at + at, PeerUnreachable(N3))
    assert other.state is TotemState.OPERATIONAL
    assert other.status().counter("unreachable_ignored") == 4


def test_evidence_is_cleared_when_the_successor_speaks_again() -> None:
    nodes, now = formed()
    core, sent_at = token_sent_to(nodes, now, N3)
    core.step(sent_at + 1, PeerUnreachable(N3))
    stale = Token(N3, core.cur.ring_id, 0, 0, 0, 0, 0, 0, 0, False)
    core.step(sent_at + 2, PacketIn(encode(stale)))  # dropped as a duplicate, but 3 is alive
    core.step(sent_at + 3, PeerUnreachable(N3))
    assert core.state is TotemState.OPERATIONAL
    core.step(sent_at + 4, PeerUnreachable(N3))
    assert core.state is TotemState.GATHER


def test_evidence_with_no_token_outstanding_is_ignored() -> None:
    nodes, now = formed()
    core, sent_at = token_sent_to(nodes, now, N3)
    core.retransmit = None  # as if 3 had taken the token and passed it on
    for at in range(1, 4):
        core.step(sent_at + at, PeerUnreachable(N3))
    assert core.state is TotemState.OPERATIONAL


# ------------------------------------------------------------------ silent loss (no ICMP)


def test_a_silent_member_is_failed_silence_ms_into_gather_not_after_consensus() -> None:
    params = TotemParams(token_ms=3650, token_retransmit_ms=869, hold_ms=685, consensus_ms=4380)
    assert params.silence_ms == 3285  # three quarters of consensus: many joins of a live member
    nodes = {n: Totem(n, IDS, params, random.Random(n)) for n in IDS}
    now = pump(nodes, 0, {n: nodes[n].step(0, Tick()) for n in IDS}, 2_000)
    stopped_at = now
    # node 3 stops (SIGSTOP, or its packets dropped): nothing from it, no ICMP either
    survivors = [nodes[N1], nodes[N2]]

    def new_ring() -> bool:
        return all(c.state is TotemState.OPERATIONAL and c.cur.members == (N1, N2)
                   for c in survivors)

    while not new_ring() and now < stopped_at + params.token_ms + params.consensus_ms:
        now = pump(nodes, now, {}, now + 10, drop=frozenset({N3})) + 1
    assert new_ring()
    assert sum(c.status().counter("gather_silent_failed") for c in survivors) >= 1
    lost_by = stopped_at + params.token_ms  # the token timer ran out by then at the latest
    assert now - lost_by < params.silence_ms + 50 < params.consensus_ms
    assert now - lost_by > params.silence_ms - params.token_retransmit_ms - params.hold_ms


def test_after_a_lost_token_the_mute_member_is_failed_and_the_talking_one_kept() -> None:
    nodes, now = formed()
    core = nodes[N1]
    assert core.token_loss_at is not None
    lost = core.token_loss_at
    core.step(lost, Tick())  # nothing came back: the token is lost
    assert core.state is TotemState.GATHER
    later = lost + PARAMS.silence_ms
    for at in range(lost + 1, later, PARAMS.join_ms):  # 2 keeps answering, 3 says nothing
        core.step(at, PacketIn(encode(Join(N2, core.cur.ring_id, core.cur.ring_id.seq,
                                           (N1, N2), ()))))
    assert N3 not in core.fail
    core.step(later, Tick())
    assert core.fail == frozenset({N3}), "3 said nothing: failed; 2 keeps talking: kept"
    assert core.status().counter("gather_silent_failed") == 1


def test_a_gather_not_entered_for_a_lost_token_waits_out_consensus() -> None:
    nodes, now = formed()
    core = nodes[N1]
    fresh = Join(N2, core.cur.ring_id, core.cur.ring_id.seq, tuple(IDS), ())
    core.step(now + 1, PacketIn(encode(fresh)))  # a merge or a join: 3 may be busy committing
    assert core.state is TotemState.GATHER and core.silence_at is None
    core.step(now + 1 + PARAMS.silence_ms, Tick())
    assert N3 not in core.fail
    core.step(now + 1 + PARAMS.consensus_ms, Tick())
    assert N3 in core.fail  # consensus, as configured
