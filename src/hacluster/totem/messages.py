"""Totem wire messages as frozen dataclasses with an explicit compact binary encoding.

Owns the packet layout (big endian, struct): every packet starts with
    version u8 | type u8 | sender node id u32 | ring rep u32 | ring seq u64
followed by the type's body. `decode` never raises on peer input: anything malformed,
truncated, oversized or of an unknown version/type returns None (the core counts it).
Also owns packing of application messages into chunks and fragmenting below netmtu.
Spec: Amir et al., "The Totem single-ring ordering and membership protocol" (TOCS 1995).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from hacluster.common import NodeId
from hacluster.events import RingId

VERSION = 1
HEADER = struct.Struct("!BBIIQ")
TOKEN_BODY = struct.Struct("!QQQIQHHBH")
MCAST_BODY = struct.Struct("!QBH")
CHUNK_HEAD = struct.Struct("!BI")
JOIN_BODY = struct.Struct("!QHH")
COMMIT_BODY = struct.Struct("!BH")
ENTRY = struct.Struct("!IIQQQ")
LEAVE_BODY = struct.Struct("!Q")
U32 = struct.Struct("!I")
U64 = struct.Struct("!Q")
MAX_LIST = 1024
MAX_PACKET = 65536
MCAST_OVERHEAD = HEADER.size + MCAST_BODY.size + CHUNK_HEAD.size


class MsgType(IntEnum):
    TOKEN = 1
    MCAST = 2
    JOIN = 3
    COMMIT = 4
    MERGE_DETECT = 5
    LEAVE = 6
    HOLD_CANCEL = 7


class Frag(IntEnum):
    """Where a chunk sits in its application message."""

    WHOLE = 0
    FIRST = 1
    MIDDLE = 2
    LAST = 3


@dataclass(frozen=True, slots=True)
class Token:
    """The ordering token (ORF token): rotates in ring order, carries the global seq."""

    sender: NodeId
    ring_id: RingId
    token_seq: int
    seq: int
    aru: int
    aru_id: int
    safe: int
    fcc: int
    quiet: int
    recovered: bool
    rtr: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Mcast:
    """One sequenced datagram: application chunks, or (encapsulated) an old ring's
    message retransmitted during recovery."""

    sender: NodeId
    ring_id: RingId
    seq: int
    encapsulated: bool
    chunks: tuple[tuple[Frag, bytes], ...]  # Chunks: (frag, data) each
    safe: bool = False


@dataclass(frozen=True, slots=True)
class Join:
    """Membership join: the sender's proc and fail sets and the highest ring seq it saw."""

    sender: NodeId
    ring_id: RingId
    ring_seq: int
    proc: tuple[NodeId, ...]
    fail: tuple[NodeId, ...]


@dataclass(frozen=True, slots=True)
class CommitEntry:
    """One member's line on the commit token: where it comes from and what it holds."""

    node_id: NodeId
    old_ring_id: RingId
    my_aru: int
    high_seq: int


@dataclass(frozen=True, slots=True)
class CommitToken:
    """The commit token of a new ring (`ring_id`); `rotation` is 1 then 2."""

    sender: NodeId
    ring_id: RingId
    rotation: int
    members: tuple[NodeId, ...]
    entries: tuple[CommitEntry, ...]


@dataclass(frozen=True, slots=True)
class MergeDetect:
    """A ring's representative announcing its ring so a foreign ring can merge with it."""

    sender: NodeId
    ring_id: RingId


@dataclass(frozen=True, slots=True)
class Leave:
    """Graceful leave: the sender is going away; treat it as failed at once."""

    sender: NodeId
    ring_id: RingId
    ring_seq: int


@dataclass(frozen=True, slots=True)
class HoldCancel:
    """A member has messages queued while the ring idles: whoever holds the token (the
    representative, for hold_ms) passes it on now instead of at the end of the hold."""

    sender: NodeId
    ring_id: RingId


Message = Token | Mcast | Join | CommitToken | MergeDetect | Leave | HoldCancel


def _header(kind: MsgType, sender: int, ring_id: RingId) -> bytes:
    return HEADER.pack(VERSION, kind, sender, ring_id.rep, ring_id.seq)


def _ids(values: tuple[int, ...]) -> bytes:
    return b"".join(U32.pack(v) for v in values)


def encode(msg: Message) -> bytes:
    """The wire bytes of `msg`."""
    match msg:
        case Token():
            body = TOKEN_BODY.pack(msg.token_seq, msg.seq, msg.aru, msg.aru_id, msg.safe,
                                   msg.fcc, msg.quiet, int(msg.recovered), len(msg.rtr))
            rtr = b"".join(U64.pack(s) for s in msg.rtr)
            return _header(MsgType.TOKEN, msg.sender, msg.ring_id) + body + rtr
        case Mcast():
            parts = [_header(MsgType.MCAST, msg.sender, msg.ring_id),
                     MCAST_BODY.pack(msg.seq, int(msg.encapsulated) | (int(msg.safe) << 1),
                                     len(msg.chunks))]
            for frag, data in msg.chunks:
                parts.append(CHUNK_HEAD.pack(frag, len(data)))
                parts.append(data)
            return b"".join(parts)
        case Join():
            return (_header(MsgType.JOIN, msg.sender, msg.ring_id)
                    + JOIN_BODY.pack(msg.ring_seq, len(msg.proc), len(msg.fail))
                    + _ids(msg.proc) + _ids(msg.fail))
        case CommitToken():
            entries = b"".join(
                ENTRY.pack(e.node_id, e.old_ring_id.rep, e.old_ring_id.seq, e.my_aru, e.high_seq)
                for e in msg.entries)
            return (_header(MsgType.COMMIT, msg.sender, msg.ring_id)
                    + COMMIT_BODY.pack(msg.rotation, len(msg.members)) + _ids(msg.members)
                    + U32.pack(len(msg.entries)) + entries)
        case MergeDetect():
            return _header(MsgType.MERGE_DETECT, msg.sender, msg.ring_id)
        case Leave():
            return _header(MsgType.LEAVE, msg.sender, msg.ring_id) + LEAVE_BODY.pack(msg.ring_seq)
        case HoldCancel():
            return _header(MsgType.HOLD_CANCEL, msg.sender, msg.ring_id)


def decode(data: bytes) -> Message | None:
    """The message in `data`, or None when it is not a well-formed packet of ours."""
    if len(data) < HEADER.size or len(data) > MAX_PACKET:
        return None
    try:
        version, kind, sender, rep, seq = HEADER.unpack_from(data, 0)
        if version != VERSION or sender == 0:
            return None
        ring_id = RingId(NodeId(rep), seq)
        return _decode_body(kind, NodeId(sender), ring_id, data, HEADER.size)
    except (struct.error, ValueError):
        return None


def _decode_body(kind: int, sender: NodeId, ring_id: RingId, data: bytes, at: int) -> Message | None:
    if kind == MsgType.TOKEN:
        return _decode_token(sender, ring_id, data, at)
    if kind == MsgType.MCAST:
        return _decode_mcast(sender, ring_id, data, at)
    if kind == MsgType.JOIN:
        ring_seq, n_proc, n_fail = JOIN_BODY.unpack_from(data, at)
        at += JOIN_BODY.size
        proc, at = _read_ids(data, at, n_proc)
        fail, at = _read_ids(data, at, n_fail)
        return Join(sender, ring_id, ring_seq, proc, fail) if at == len(data) else None
    if kind == MsgType.COMMIT:
        return _decode_commit(sender, ring_id, data, at)
    if kind == MsgType.MERGE_DETECT:
        return MergeDetect(sender, ring_id) if at == len(data) else None
    if kind == MsgType.HOLD_CANCEL:
        return HoldCancel(sender, ring_id) if at == len(data) else None
    if kind == MsgType.LEAVE:
        (ring_seq,) = LEAVE_BODY.unpack_from(data, at)
        ok = at + LEAVE_BODY.size == len(data)
        return Leave(sender, ring_id, ring_seq) if ok else None
    return None


def _read_ids(data: bytes, at: int, count: int) -> tuple[tuple[NodeId, ...], int]:
    if count > MAX_LIST or at + 4 * count > len(data):
        raise ValueError("id list out of bounds")
    ids = tuple(NodeId(U32.unpack_from(data, at + 4 * i)[0]) for i in range(count))
    return ids, at + 4 * count


def _decode_token(sender: NodeId, ring_id: RingId, data: bytes, at: int) -> Token | None:
    token_seq, seq, aru, aru_id, safe, fcc, quiet, recovered, n_rtr = TOKEN_BODY.unpack_from(data, at)
    at += TOKEN_BODY.size
    if n_rtr > MAX_LIST or at + 8 * n_rtr != len(data) or recovered > 1 or aru > seq:
        return None
    rtr = tuple(U64.unpack_from(data, at + 8 * i)[0] for i in range(n_rtr))
    return Token(sender, ring_id, token_seq, seq, aru, aru_id, safe, fcc, quiet, bool(recovered), rtr)


def _decode_mcast(sender: NodeId, ring_id: RingId, data: bytes, at: int) -> Mcast | None:
    seq, flags, n_chunks = MCAST_BODY.unpack_from(data, at)
    at += MCAST_BODY.size
    if flags > 3 or n_chunks > MAX_LIST or seq == 0:
        return None
    chunks: list[tuple[Frag, bytes]] = []
    for _ in range(n_chunks):
        frag, size = CHUNK_HEAD.unpack_from(data, at)
        at += CHUNK_HEAD.size
        if frag > Frag.LAST or at + size > len(data):
            return None
        chunks.append((Frag(frag), data[at:at + size]))
        at += size
    if at != len(data):
        return None
    return Mcast(sender, ring_id, seq, bool(flags & 1), tuple(chunks), bool(flags & 2))


def _decode_commit(sender: NodeId, ring_id: RingId, data: bytes, at: int) -> CommitToken | None:
    rotation, n_members = COMMIT_BODY.unpack_from(data, at)
    members, at = _read_ids(data, at + COMMIT_BODY.size, n_members)
    (n_entries,) = U32.unpack_from(data, at)
    at += U32.size
    if n_entries > n_members or at + ENTRY.size * n_entries != len(data) or rotation not in (1, 2):
        return None
    entries = []
    for i in range(n_entries):
        node, rep, seq, aru, high = ENTRY.unpack_from(data, at + ENTRY.size * i)
        entries.append(CommitEntry(NodeId(node), RingId(NodeId(rep), seq), aru, high))
    if not members or len(set(members)) != len(members) or list(members) != sorted(members):
        return None
    return CommitToken(sender, ring_id, rotation, members, tuple(entries))


# A chunk of an Mcast is (frag, data): one application message, or one fragment of it; a
# send-queue entry is (data, safe). Plain tuples, named here: one of each is made per
# message on every node's hot path, and a NamedTuple costs 5-8% of the CPU per ordered
# message in bench/totem_sim.py (measured in session 5; a frozen dataclass costs about
# the same: ~0.9 us to make one, a tuple ~0.1 us).
Chunk = tuple[Frag, bytes]
Queued = tuple[bytes, bool]
Chunks = tuple[Chunk, ...]


def pack_messages(queue: list[Queued], offset: int, room: int) -> tuple[Chunks, int, int]:
    """Fill one datagram of `room` payload bytes from the head of `queue` of (data, safe)
    (whose first message is already sent up to `offset`). Returns (chunks, messages
    finished, new offset of the head). Small messages with the same guarantee are packed
    together; a message that does not fit the rest of the datagram is fragmented into it."""
    chunks: list[Chunk] = []
    used = 0
    done = 0
    safe = queue[0][1] if queue else False
    for data, is_safe in queue:
        if is_safe != safe:
            break
        left = room - used - CHUNK_HEAD.size
        if left <= 0:
            break
        rest = len(data) - offset
        if rest <= left:
            frag = Frag.WHOLE if offset == 0 else Frag.LAST
            chunks.append((frag, data[offset:]))
            used += CHUNK_HEAD.size + rest
            done += 1
            offset = 0
            continue
        # The rest of the datagram takes the message's first fragment, as Corosync's totempg
        # fills its frames: a 1 KiB message would otherwise leave a quarter of each unused.
        frag = Frag.FIRST if offset == 0 else Frag.MIDDLE
        chunks.append((frag, data[offset:offset + left]))
        offset += left
        break
    return tuple(chunks), done, offset
