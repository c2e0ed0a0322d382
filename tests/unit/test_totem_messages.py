"""The Totem wire codec: round trips, and peer garbage never raises (h11's rule)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from hacluster.common import NodeId
from hacluster.events import PacketIn, RingId, Tick
from hacluster.totem import (
    CommitEntry,
    CommitToken,
    Join,
    Leave,
    Mcast,
    MergeDetect,
    Token,
    Totem,
    TotemParams,
    TotemState,
    decode,
    encode,
)
from hacluster.totem.messages import CHUNK_HEAD, Frag, pack_messages

RING = RingId(NodeId(1), 8)
SAMPLES = [
    Token(NodeId(2), RING, 7, 10, 9, 2, 5, 3, 0, False, (4, 6)),
    Mcast(NodeId(3), RING, 11, False, ((Frag.WHOLE, b"abc"), (Frag.FIRST, b"de")), True),
    Join(NodeId(1), RING, 8, (NodeId(1), NodeId(2), NodeId(3)), (NodeId(3),)),
    CommitToken(NodeId(1), RingId(NodeId(1), 12), 1, (NodeId(1), NodeId(2)),
                (CommitEntry(NodeId(1), RING, 10, 11),)),
    MergeDetect(NodeId(1), RING),
    Leave(NodeId(2), RING, 8),
]


def test_every_message_kind_survives_a_round_trip() -> None:
    for msg in SAMPLES:
        assert decode(encode(msg)) == msg


def test_truncated_packets_decode_to_none() -> None:
    for msg in SAMPLES:
        data = encode(msg)
        for cut in range(len(data)):
            assert decode(data[:cut]) is None, (msg, cut)


def test_trailing_garbage_is_rejected() -> None:
    for msg in SAMPLES:
        assert decode(encode(msg) + b"\x00") is None


def test_small_messages_are_packed_and_large_ones_fragmented() -> None:
    queue = [(b"a" * 10, False), (b"b" * 10, False), (b"c" * 500, False)]
    chunks, done, offset = pack_messages(queue, 0, 200)
    assert [f for f, _ in chunks] == [Frag.WHOLE, Frag.WHOLE, Frag.FIRST]
    assert done == 2 and offset == sum(len(d) for f, d in chunks if f == Frag.FIRST)
    rest = queue[done:]
    pieces = [chunks[-1][1]]
    while rest:
        chunks, done, offset = pack_messages(rest, offset, 200)
        pieces += [d for _, d in chunks]
        del rest[:done]
    assert b"".join(pieces) == b"c" * 500


def test_a_message_that_does_not_fit_the_rest_of_a_datagram_fills_it_with_a_fragment() -> None:
    queue = [(b"a" * 120, False), (b"b" * 120, False)]
    chunks, done, offset = pack_messages(queue, 0, 200)
    assert [f for f, _ in chunks] == [Frag.WHOLE, Frag.FIRST] and done == 1
    assert sum(CHUNK_HEAD.size + len(d) for _, d in chunks) == 200
    chunks, done, offset = pack_messages(queue[1:], offset, 200)
    assert [f for f, _ in chunks] == [Frag.LAST] and done == 1 and offset == 0


def operational_core() -> Totem:
    core = Totem(NodeId(1), [NodeId(1), NodeId(2), NodeId(3)], TotemParams(), random.Random(1))
    core.step(0, Tick())
    assert core.state is TotemState.OPERATIONAL
    return core


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_and_leave_the_ring_alone(data: bytes) -> None:
    core = operational_core()
    before = core.status().ring_id
    core.step(1, PacketIn(data))
    assert core.status().ring_id == before


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([encode(m) for m in SAMPLES]), st.lists(
    st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=6))
def test_mutated_valid_packets_never_raise(packet: bytes, flips: list[tuple[int, int]]) -> None:
    core = operational_core()
    before = core.status().ring_id
    data = bytearray(packet)
    for at, value in flips:
        if data:
            data[at % len(data)] = value
    core.step(1, PacketIn(bytes(data)))
    core.step(2, Tick())
    assert core.status().ring_id == before


def test_malformed_packets_are_counted() -> None:
    core = operational_core()
    core.step(1, PacketIn(b"\x09garbage"))
    assert core.status().counter("dropped_malformed") == 1
