"""Closed process groups over Totem's agreed order: named groups of (node id, pid),
join/leave, messages, and per-group membership changes with a reason.

Owns the group views of one node. Every node applies the same CPG messages in the same
(agreed) order, so views agree; after each regular configuration every node re-announces
its local members (a sync), and members on nodes that left are removed ("nodedown").
Must never talk to Totem itself: node.py carries payloads both ways. Never raises on peer
input: a malformed payload is dropped and counted.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from hacluster.common import NodeId
from hacluster.events import CpgConfigChange, CpgDeliver

JOIN, LEAVE, MESSAGE, SYNC = 1, 2, 3, 4
REASONS = ("join", "leave", "nodedown", "procdown")
HEAD = struct.Struct("!BBH")  # kind, reason index, group name length
PID = struct.Struct("!I")
COUNT = struct.Struct("!H")
MAX_GROUP = 128

Member = tuple[NodeId, int]
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


def decode_op(data: bytes) -> tuple[int, str, int, bytes, str] | list[tuple[str, int]] | None:
    """(kind, group, pid, data, reason), or the (group, pid) list of a sync; None if bad."""
    try:
        kind, reason, size = HEAD.unpack_from(data, 0)
        if kind == SYNC:
            return _decode_sync(data, HEAD.size)
        if kind not in (JOIN, LEAVE, MESSAGE) or reason >= len(REASONS) or not 0 < size <= MAX_GROUP:
            return None
        at = HEAD.size
        group = data[at:at + size].decode()
        (pid,) = PID.unpack_from(data, at + size)
        return kind, group, pid, data[at + size + PID.size:], REASONS[reason]
    except (struct.error, UnicodeDecodeError):
        return None


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
    """Group views of one node. The `*_payload` methods return bytes for node.py to send
    through Totem; `deliver` applies a delivered payload; `configuration` applies a regular
    configuration and returns the sync payload to send."""

    def __init__(self, node_id: NodeId) -> None:
        self.me = node_id
        self.groups: dict[str, set[Member]] = {}
        self.local: set[tuple[str, int]] = set()
        self.dropped = 0

    def join_payload(self, group: str, pid: int) -> bytes:
        return encode_op(JOIN, group, pid)

    def leave_payload(self, group: str, pid: int, reason: str = "leave") -> bytes:
        return encode_op(LEAVE, group, pid, reason=reason)

    def message_payload(self, group: str, pid: int, data: bytes) -> bytes:
        return encode_op(MESSAGE, group, pid, data)

    def deliver(self, sender: NodeId, payload: bytes) -> list[Output]:
        op = decode_op(payload)
        if op is None:
            self.dropped += 1
            return []
        if isinstance(op, list):
            return self._apply_sync(sender, op)
        kind, group, pid, data, reason = op
        if kind == MESSAGE:
            if self._has_local(group):
                return [CpgDeliver(group, sender, pid, data)]
            return []
        if kind == JOIN:
            return self._add(group, [(sender, pid)], "join")
        return self._remove(group, [(sender, pid)], reason)

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

    def _apply_sync(self, sender: NodeId, local: list[tuple[str, int]]) -> list[Output]:
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
                self.local.add((group, pid))
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
                self.local.discard((group, pid))
        left = [(n, p, reason) for n, p in gone]
        if had_local:
            return [CpgConfigChange(group, tuple(sorted(view)), (), tuple(left))]
        return []

    def _has_local(self, group: str) -> bool:
        return any(g == group for g, _ in self.local)

    def _notify(self, group: str, joined: list[tuple[NodeId, int, str]]) -> list[Output]:
        if not self._has_local(group):
            return []
        members = tuple(sorted(self.groups[group]))
        return [CpgConfigChange(group, members, tuple(joined), ())]
