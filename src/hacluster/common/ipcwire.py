"""The IPC wire format between the local tools and haclusterd: frames, nothing else.

Owns the frame: a 4-byte big-endian length, then one message encoded by the IPC codec
(hacluster.events.IPC_CODEC: IpcRequest, IpcReply, the pushed events; a payload starting
with "{"), or (cpg_send only, the CPG hot path) the binary request of encode_cpg_send, whose
payload starts with CPG_SEND_MARK. A message larger than one frame (FRAME_MAX) is split: frames
marked PART_MARK, then one marked LAST_PART_MARK, joined by MessageAssembler up to
MAX_IPC_MESSAGE_BYTES (a CIB of MAX_CIB_BYTES always fits: the limits agree, see
common/limits.py). Both sides use this module: drivers/ipc.py (the server) and
hacluster.api.env (the blocking client). Must never do I/O, never know the messages (the
codec does) and never raise on what a peer sent: decoders return None for a malformed frame.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from hacluster.common.errors import Code, HaError
from hacluster.common.limits import MAX_IPC_FRAME_BYTES, MAX_IPC_MESSAGE_BYTES

FRAME_HEADER = struct.Struct("!I")
FRAME_MAX = MAX_IPC_FRAME_BYTES
SOCKET_NAME = "haclusterd.sock"
CPG_SEND_MARK = b"\x01"
CPG_SEND_HEAD = struct.Struct("!QIH")  # request id, pid, group name length
PART_MARK = b"\x02"  # one part of a split message; more parts follow
LAST_PART_MARK = b"\x03"  # the last part of a split message


def too_large(size: int) -> HaError:
    return HaError.single(Code.IPC_MESSAGE_TOO_LARGE,
                          f"message of {size} bytes is over the IPC limit of "
                          f"{MAX_IPC_MESSAGE_BYTES} bytes", size=size)


def frame(payload: bytes) -> bytes:
    """One frame for `payload`, or its parts when it is larger than a frame. A payload over
    MAX_IPC_MESSAGE_BYTES is our own error: HaError IPC_MESSAGE_TOO_LARGE."""
    size = len(payload)
    if size <= FRAME_MAX:
        return FRAME_HEADER.pack(size) + payload
    if size > MAX_IPC_MESSAGE_BYTES:
        raise too_large(size)
    step = FRAME_MAX - 1
    out: list[bytes] = []
    for at in range(0, size, step):
        part = payload[at:at + step]
        mark = LAST_PART_MARK if at + step >= size else PART_MARK
        out += [FRAME_HEADER.pack(len(part) + 1), mark, part]
    return b"".join(out)


def encode_cpg_send(request_id: int, group: str, pid: int, data: bytes) -> bytes:
    """A cpg_send request as a binary frame (no JSON, data as bytes); its reply is an
    ordinary JSON reply."""
    name = group.encode()
    return frame(CPG_SEND_MARK + CPG_SEND_HEAD.pack(request_id, pid, len(name)) + name + data)


@dataclass(frozen=True, slots=True)
class Refused:
    """Why MessageAssembler gave up on a message (the reader answers with it and closes)."""

    code: Code
    message: str


class MessageAssembler:
    """Joins split messages for one connection: `add(frame payload)` returns the whole
    message payload, None while parts are missing, or Refused (over max_bytes, or a
    message interleaved with the parts of another)."""

    def __init__(self, max_bytes: int = MAX_IPC_MESSAGE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, payload: bytes) -> bytes | Refused | None:
        mark = payload[:1]
        if mark != PART_MARK and mark != LAST_PART_MARK:
            if self._parts:
                self._reset()
                return Refused(Code.IPC_PROTOCOL, "a message arrived inside another's parts")
            return payload
        self._size += len(payload) - 1
        if self._size > self.max_bytes:
            size = self._size
            self._reset()
            return Refused(Code.IPC_MESSAGE_TOO_LARGE, f"message of more than {size} bytes "
                           f"is over the IPC limit of {self.max_bytes} bytes")
        self._parts.append(payload[1:])
        if mark == PART_MARK:
            return None
        whole = b"".join(self._parts)
        self._reset()
        return whole

    def _reset(self) -> None:
        self._parts = []
        self._size = 0


@dataclass(frozen=True, slots=True)
class CpgSendFrame:
    """The fields of a binary cpg_send request (the server makes its CpgSendRequest)."""

    request_id: int
    group: str
    pid: int
    data: bytes


def decode_cpg_send(payload: bytes) -> CpgSendFrame | None:
    """The binary cpg_send request in `payload`, or None when it is malformed."""
    start = len(CPG_SEND_MARK) + CPG_SEND_HEAD.size
    if not payload.startswith(CPG_SEND_MARK) or len(payload) < start:
        return None
    request_id, pid, size = CPG_SEND_HEAD.unpack_from(payload, len(CPG_SEND_MARK))
    if len(payload) < start + size:
        return None
    try:
        group = payload[start:start + size].decode()
    except UnicodeDecodeError:
        return None
    return CpgSendFrame(request_id, group, pid, payload[start + size:])
