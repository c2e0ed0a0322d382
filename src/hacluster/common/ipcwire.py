"""The IPC wire format between the local tools and haclusterd: frames, nothing else.

Owns the frame: a 4-byte big-endian length, then one JSON object, or (cpg_send only, the
CPG hot path) the binary request of encode_cpg_send, whose payload starts with
CPG_SEND_MARK where a JSON frame starts with "{". Requests are {"id", "name", "body"};
replies {"id", "ok", "body", "problems": [{"code", "message"}]}; pushed events
{"event", "body"}. Both sides use this module: drivers/ipc.py (the server) and
hacluster.api.env (the blocking client). Must never do I/O and never raise on what a peer
sent: decoders return None for a malformed frame.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from hacluster.common.errors import Code, HaError, Problem

FRAME_HEADER = struct.Struct("!I")
FRAME_MAX = 16 * 1024 * 1024
SOCKET_NAME = "haclusterd.sock"
CPG_SEND_MARK = b"\x01"
CPG_SEND_HEAD = struct.Struct("!QIH")  # request id, pid, group name length


def encode_frame(message: dict[str, Any]) -> bytes:
    payload = json.dumps(message, separators=(",", ":"), sort_keys=True).encode()
    assert len(payload) <= FRAME_MAX, "frame too large"
    return FRAME_HEADER.pack(len(payload)) + payload


def encode_cpg_send(request_id: int, group: str, pid: int, data: bytes) -> bytes:
    """A cpg_send request as a binary frame (no JSON, data as bytes); its reply is an
    ordinary JSON reply."""
    name = group.encode()
    payload = CPG_SEND_MARK + CPG_SEND_HEAD.pack(request_id, pid, len(name)) + name + data
    assert len(payload) <= FRAME_MAX, "frame too large"
    return FRAME_HEADER.pack(len(payload)) + payload


def decode_cpg_send(payload: bytes) -> tuple[int, dict[str, Any]] | None:
    """(request id, cpg_send body) of a binary frame, or None when it is malformed."""
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
    return request_id, {"group": group, "pid": pid, "data": payload[start + size:]}


def decode_payload(payload: bytes) -> dict[str, Any] | None:
    """The frame's object, or None when it is not a JSON object."""
    try:
        message = json.loads(payload)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return message if isinstance(message, dict) else None


def error_from_reply(reply: dict[str, Any]) -> HaError:
    """Rebuild the daemon's problems as one HaError (unknown codes become IPC_PROTOCOL)."""
    problems = []
    for item in reply.get("problems") or [{"message": "request failed"}]:
        raw = item if isinstance(item, dict) else {"message": str(item)}
        try:
            code = Code(raw.get("code", Code.IPC_PROTOCOL))
        except ValueError:
            code = Code.IPC_PROTOCOL
        problems.append(Problem(code, str(raw.get("message", ""))))
    return HaError(problems)
