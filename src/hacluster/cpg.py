"""Closed process groups over Totem's agreed order: named groups of (node id, pid),
join/leave, messages, and per-group membership changes with a reason.

Owns the group views of one node. Every node applies the same CPG messages in the same
(agreed) order, so views agree; after each regular configuration every node re-announces
its local members (a sync), and members on nodes that left are removed ("nodedown").
Contract (DESIGN.md §2): `step(now_ms, event)` takes the local requests (CpgJoinRequest,
CpgLeaveRequest, CpgSendRequest, ProcessExited), `Delivered` payloads and regular
`ConfigChange`s; it returns CpgDeliver / CpgConfigChange for local members and `Propose`
(a payload for node.py to send through Totem). Wire ops are the frozen `CpgOp` / `CpgSync`,
in a compact binary form (CPG is a hot path). Must never talk to Totem itself: node.py
carries payloads both ways. Never raises on peer input: a malformed payload is dropped and
counted.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from hacluster.common import NodeId
from hacluster.events import (
    ConfigChange,
    CpgConfigChange,
    CpgDeliver,
    CpgJoinRequest,
    CpgLeaveRequest,
    CpgSendRequest,
    ProcessExited,
)


class OpKind(IntEnum):
    JOIN = 1
    LEAVE = 2
    MESSAGE = 3
    SYNC = 4


JOIN, LEAVE, MESSAGE, SYNC = 1, 2, 3, 4  # OpKind's wire values as plain ints (struct packs
# an int faster than an IntEnum)
KINDS = (OpKind.JOIN, OpKind.JOIN, OpKind.LEAVE, OpKind.MESSAGE)  # by wire value (0 unused)
MESSAGE_BYTE = bytes([OpKind.MESSAGE])  # a payload that starts with it is a MESSAGE op
REASONS = ("join", "leave", "nodedown", "procdown")
HEAD = struct.Struct("!BBH")  # kind, reason index, group name length
PID = struct.Struct("!I")
COUNT = struct.Struct("!H")
MAX_GROUP = 128

Member = tuple[NodeId, int]


@dataclass(frozen=True, slots=True)
class CpgOp:
    """A join, leave or message of one process, as every node delivers it."""

    kind: OpKind
    group: str
    pid: int
    data: bytes = b""
    reason: str = "join"


@dataclass(frozen=True, slots=True)
class CpgSync:
    """A node's local members, re-announced after each regular configuration."""

    local: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Delivered:
    """Input: a CPG payload Totem delivered in agreed order, from node `sender`."""

    sender: NodeId
    payload: bytes


@dataclass(frozen=True, slots=True)
class Propose:
    """Output: send `payload` through Totem (agreed order, or safe)."""

    payload: bytes
    safe: bool = False


LocalRequest = CpgJoinRequest | CpgLeaveRequest | CpgSendRequest | ProcessExited
Input = LocalRequest | Delivered | ConfigChange
Output = CpgDeliver | CpgConfigChange


@dataclass(frozen=True, slots=True)
class CpgStatus:
    groups: tuple[tuple[str, tuple[Member, ...]], ...]
    local: tuple[tuple[str, int], ...]
    dropped: int


def encode_op(kind: int, group: str, pid: int, data: bytes = b"", reason: str = "join") -> bytes:
    name = group.encode()
    assert 0 < len(name) <= MAX_GROUP, "group names are 1..128 bytes"
    return HEAD.pack(kind, REASONS.index(reason), len(name)) + name + PID.pack(pid) + data


def encode_sync(local: Sequence[tuple[str, int]]) -> bytes:
    parts = [HEAD.pack(SYNC, 0, 0), COUNT.pack(len(local))]
    for group, pid in local:
        name = group.encode()
        parts += [COUNT.pack(len(name)), name, PID.pack(pid)]
    return b"".join(parts)


def message_prefix(group: str, pid: int) -> bytes:
    """What every MESSAGE op of (group, pid) starts with (the encoding is canonical)."""
    return encode_op(MESSAGE, group, pid)


def decode_op(data: bytes) -> CpgOp | CpgSync | None:
    """The op in a delivered payload, or None when it is malformed."""
    try:
        kind, reason, size = HEAD.unpack_from(data, 0)
        if kind == SYNC:
            local = _decode_sync(data, HEAD.size)
            return None if local is None else CpgSync(tuple(local))
        if kind not in (JOIN, LEAVE, MESSAGE) or reason >= len(REASONS) or not 0 < size <= MAX_GROUP:
            return None
        at = HEAD.size
        group = data[at:at + size].decode()
        (pid,) = PID.unpack_from(data, at + size)
        return CpgOp(KINDS[kind], group, pid, data[at + size + PID.size:], REASONS[reason])
    except (struct.error, UnicodeDecodeError):
        return None


def _message_of(sender: NodeId, data: bytes) -> CpgDeliver | None:
    """A MESSAGE op decoded straight into its delivery (the hot path: no CpgOp is built;
    the checks are decode_op's)."""
    try:
        _, reason, size = HEAD.unpack_from(data, 0)
        if reason >= len(REASONS) or not 0 < size <= MAX_GROUP:
            return None
        at = HEAD.size
        group = data[at:at + size].decode()
        (pid,) = PID.unpack_from(data, at + size)
    except (struct.error, UnicodeDecodeError):
        return None
    return CpgDeliver(group, sender, pid, data[at + size + PID.size:])


def _decode_sync(data: bytes, at: int) -> list[tuple[str, int]] | None:
    (count,) = COUNT.unpack_from(data, at)
    at += COUNT.size
    found: list[tuple[str, int]] = []
    for _ in range(count):
        (size,) = COUNT.unpack_from(data, at)
        if not 0 < size <= MAX_GROUP:
            return None
        group = data[at + COUNT.size:at + COUNT.size + size].decode()
        (pid,) = PID.unpack_from(data, at + COUNT.size + size)
        at += COUNT.size + size + PID.size
        found.append((group, pid))
    return found if at == len(data) else None


class Cpg:
    """Group views of one node, behind step(). The `*_payload` encoders, `deliver` and
    `configuration` are the pure parts step() is made of (tests use them directly)."""

    def __init__(self, node_id: NodeId) -> None:
        self.me = node_id
        self.groups: dict[str, set[Member]] = {}
        self.local: set[tuple[str, int]] = set()
        self._local_count: dict[str, int] = {}  # group -> local members (a per-message test)
        self.dropped = 0

    # ------------------------------------------------------------------ contract

    def step(self, now_ms: int, event: Input) -> list[Output | Propose]:
        if type(event) is CpgSendRequest:  # the hot path first
            return [Propose(self.message_payload(event.group, event.pid, event.data),
                            event.safe)]
        if type(event) is Delivered:
            return list(self.deliver(event.sender, event.payload))
        match event:
            case CpgJoinRequest(group=group, pid=pid):
                return [Propose(self.join_payload(group, pid))]
            case CpgLeaveRequest(group=group, pid=pid, reason=reason):
                return [Propose(self.leave_payload(group, pid, reason))]
            case ProcessExited(pid=pid):
                return [Propose(self.leave_payload(group, pid, "procdown"))
                        for group, member_pid in sorted(self.local) if member_pid == pid]
            case ConfigChange(kind="regular", members=members, left=left):
                out, sync = self.configuration(members, left)
                return [*out, Propose(sync)]
            case ConfigChange():
                return []
        raise AssertionError(f"cpg cannot step {event!r}")

    def next_deadline_ms(self) -> int | None:
        return None  # CPG keeps no timers: Totem's membership drives it

    # ------------------------------------------------------------------ parts

    def join_payload(self, group: str, pid: int) -> bytes:
        return encode_op(JOIN, group, pid)

    def leave_payload(self, group: str, pid: int, reason: str = "leave") -> bytes:
        return encode_op(LEAVE, group, pid, reason=reason)

    def message_payload(self, group: str, pid: int, data: bytes) -> bytes:
        return encode_op(MESSAGE, group, pid, data)

    def deliver(self, sender: NodeId, payload: bytes) -> list[Output]:
        if payload[:1] == MESSAGE_BYTE:
            message = _message_of(sender, payload)
            if message is None:
                self.dropped += 1
                return []
            return [message] if self._has_local(message.group) else []
        op = decode_op(payload)
        if op is None:
            self.dropped += 1
            return []
        if type(op) is CpgSync:
            return self._apply_sync(sender, op.local)
        assert type(op) is CpgOp
        if op.kind is OpKind.JOIN:
            return self._add(op.group, [(sender, op.pid)], "join")
        return self._remove(op.group, [(sender, op.pid)], op.reason)

    def configuration(self, members: Sequence[NodeId],
                      left: Sequence[NodeId] = ()) -> tuple[list[Output], bytes]:
        """A regular configuration: members on nodes gone are "nodedown" (also on nodes
        that left and came back, i.e. restarted: their processes are new); returns the
        outputs and our sync payload (our local members) to send on the new ring."""
        alive = set(members) - (set(left) - {self.me})
        out: list[Output] = []
        for group in sorted(self.groups):
            gone = sorted(m for m in self.groups[group] if m[0] not in alive)
            out += self._remove(group, gone, "nodedown")
        return out, encode_sync(sorted(self.local))

    def status(self) -> CpgStatus:
        groups = tuple((g, tuple(sorted(m))) for g, m in sorted(self.groups.items()) if m)
        return CpgStatus(groups, tuple(sorted(self.local)), self.dropped)

    def _apply_sync(self, sender: NodeId, local: Sequence[tuple[str, int]]) -> list[Output]:
        out: list[Output] = []
        for group in sorted({g for g, _ in local}):
            out += self._add(group, [(sender, p) for g, p in local if g == group], "join")
        return out

    def _add(self, group: str, members: list[Member], reason: str) -> list[Output]:
        view = self.groups.setdefault(group, set())
        new = sorted(m for m in members if m not in view)
        if not new:
            return []
        view.update(new)
        for node, pid in new:
            if node == self.me:
                if (group, pid) not in self.local:
                    self.local.add((group, pid))
                    self._local_count[group] = self._local_count.get(group, 0) + 1
        return self._notify(group, joined=[(n, p, reason) for n, p in new])

    def _remove(self, group: str, members: list[Member], reason: str) -> list[Output]:
        view = self.groups.get(group, set())
        gone = sorted(m for m in members if m in view)
        if not gone:
            return []
        had_local = self._has_local(group)
        view.difference_update(gone)
        for node, pid in gone:
            if node == self.me:
                if (group, pid) in self.local:
                    self.local.discard((group, pid))
                    self._local_count[group] -= 1
        left = [(n, p, reason) for n, p in gone]
        if had_local:
            return [CpgConfigChange(group, tuple(sorted(view)), (), tuple(left))]
        return []

    def _has_local(self, group: str) -> bool:
        return self._local_count.get(group, 0) > 0

    def _notify(self, group: str, joined: list[tuple[NodeId, int, str]]) -> list[Output]:
        if not self._has_local(group):
            return []
        members = tuple(sorted(self.groups[group]))
        return [CpgConfigChange(group, members, tuple(joined), ())]
