"""The Totem core stepped by hand: a few cores, packets routed by the test itself."""

from __future__ import annotations

import random

from hacluster.common import NodeId
from hacluster.events import (
    Multicast,
    PacketIn,
    PeerUnreachable,
    Persist,
    RingId,
    Send,
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


def test_peer_unreachable_fails_a_node_during_gather_only() -> None:
    nodes, now = formed()
    core = nodes[NodeId(1)]
    core.step(now + 1, PeerUnreachable(NodeId(3)))
    assert core.state is TotemState.OPERATIONAL  # never shortens token loss detection
    fresh = Join(NodeId(2), core.cur.ring_id, core.cur.ring_id.seq, tuple(IDS), ())
    core.step(now + 2, PacketIn(encode(fresh)))
    core.step(now + 3, PeerUnreachable(NodeId(3)))
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
