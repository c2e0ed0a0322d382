"""The blocking Unix-socket client the tools use to talk to the local haclusterd.

Owns the IPC frame format (shared with drivers/ipc.py): a 4-byte big-endian length then one
JSON object (or, for cpg_send only, the binary request of encode_cpg_send). Requests are {"id", "name", "body"}; replies {"id", "ok", "body", "problems"};
pushed events {"event", "body"}. Must never hold cluster logic or print: it moves frames
and turns socket failures into HaError with daemon/ipc codes.
Requests the daemon answers itself: daemon.ping, daemon.status, daemon.shutdown,
daemon.subscribe {"events": [output class names, or "*"]} (then CpgDeliver, ConfigChange,
QuorumNotice... arrive as pushed events). Every other name goes to the Node as a
ClientRequest (e.g. cpg_join/cpg_leave {group, pid}, cpg_send {group, pid, data: text}).
"""

from __future__ import annotations

import json
import os
import socket
import struct
from collections.abc import Iterator
from typing import Any

from hacluster.common import Code, HaError

FRAME_HEADER = struct.Struct("!I")
FRAME_MAX = 16 * 1024 * 1024
SOCKET_NAME = "haclusterd.sock"
DEFAULT_STATE_DIR = "/var/lib/hacluster"
DEFAULT_TIMEOUT_MS = 5000
READ_CHUNK = 256 * 1024
CPG_SEND_MARK = b"\x01"
CPG_SEND_HEAD = struct.Struct("!QIH")  # request id, pid, group name length


def state_dir(explicit: str | None = None) -> str:
    """Where the daemon keeps its socket: explicit, else $HACLUSTER_STATE_DIR, else default."""
    return explicit or os.environ.get("HACLUSTER_STATE_DIR") or DEFAULT_STATE_DIR


def socket_path(explicit_state_dir: str | None = None) -> str:
    return os.path.join(state_dir(explicit_state_dir), SOCKET_NAME)


def encode_frame(message: dict[str, Any]) -> bytes:
    payload = json.dumps(message, separators=(",", ":"), sort_keys=True).encode()
    assert len(payload) <= FRAME_MAX, "frame too large"
    return FRAME_HEADER.pack(len(payload)) + payload


def encode_cpg_send(request_id: int, group: str, pid: int, data: bytes) -> bytes:
    """A cpg_send request as a binary frame (the CPG hot path: no JSON, data as bytes).
    Its payload starts with CPG_SEND_MARK where a JSON frame starts with "{"; the reply
    is an ordinary JSON reply."""
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
    except (UnicodeDecodeError, ValueError):
        return None
    return message if isinstance(message, dict) else None


class Client:
    """One connection to the daemon; `call` sends a request and waits for its reply."""

    def __init__(self, state_dir_path: str | None = None,
                 timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        self.path = socket_path(state_dir_path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout_ms / 1000)
        self._next_id = 1
        self._buffer = bytearray()  # received bytes; those before _at are consumed
        self._at = 0
        try:
            self._sock.connect(self.path)
        except (FileNotFoundError, ConnectionRefusedError) as error:
            self._sock.close()
            raise HaError.single(
                Code.IPC_NOT_RUNNING,
                f"cannot connect to haclusterd at {self.path}: is it running? ({error.strerror})",
                path=self.path) from None
        except PermissionError:
            self._sock.close()
            raise HaError.single(Code.IPC_ACCESS_DENIED,
                                 f"permission denied connecting to {self.path}",
                                 path=self.path) from None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def call(self, name: str, body: Any = None) -> Any:
        """Send one request; return the reply body or raise HaError with its problems."""
        request_id = self._next_id
        self._next_id += 1
        self._send({"id": request_id, "name": name, "body": body})
        while True:
            reply = self._receive()
            if reply.get("id") == request_id:
                break
            if reply.get("id") is None and reply.get("ok") is False:
                raise error_from_reply(reply)  # refused before our request was read
        if not reply.get("ok"):
            raise error_from_reply(reply)
        return reply.get("body")

    def events(self) -> Iterator[dict[str, Any]]:
        """Pushed event frames (after a subscribing call), until the daemon closes."""
        while True:
            message = self._receive()
            if "event" in message:
                yield message

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self._sock.sendall(encode_frame(message))
        except OSError as error:
            # The daemon may have refused us and closed: its reason is waiting to be read.
            try:
                refusal = self._receive()
            except HaError:
                refusal = {}
            if refusal.get("ok") is False:
                raise error_from_reply(refusal) from None
            raise HaError.single(Code.IPC_DISCONNECTED,
                                 f"lost connection to haclusterd: {error}") from None

    def _receive(self) -> dict[str, Any]:
        header = self._read_exact(FRAME_HEADER.size)
        (length,) = FRAME_HEADER.unpack(header)
        if length > FRAME_MAX:
            raise HaError.single(Code.IPC_PROTOCOL, f"reply frame too large ({length} bytes)")
        message = decode_payload(self._read_exact(length))
        if message is None:
            raise HaError.single(Code.IPC_PROTOCOL, "malformed reply frame from haclusterd")
        return message

    def _read_exact(self, size: int) -> bytes:
        """`size` bytes from the buffer, refilled by large reads: a burst of pushed events
        costs one recv() per buffer-full, not two per frame. Consumed bytes are dropped
        only when the buffer is refilled, so a frame costs no move of the rest."""
        at = self._at
        if len(self._buffer) - at < size:
            del self._buffer[:at]
            self._at = at = 0
            self._fill(size)
        self._at = at + size
        return bytes(self._buffer[at:at + size])

    def _fill(self, size: int) -> None:
        buffer = self._buffer
        while len(buffer) < size:
            try:
                chunk = self._sock.recv(max(READ_CHUNK, size - len(buffer)))
            except TimeoutError:
                raise HaError.single(Code.IPC_TIMEOUT,
                                     "haclusterd did not answer in time") from None
            except OSError as error:
                raise HaError.single(Code.IPC_DISCONNECTED,
                                     f"lost connection to haclusterd: {error}") from None
            if not chunk:
                raise HaError.single(Code.IPC_DISCONNECTED, "haclusterd closed the connection")
            buffer += chunk


def error_from_reply(reply: dict[str, Any]) -> HaError:
    """Rebuild the daemon's problems as one HaError (unknown codes become IPC_PROTOCOL)."""
    from hacluster.common import Problem

    problems = []
    for item in reply.get("problems") or [{"message": "request failed"}]:
        raw = item if isinstance(item, dict) else {"message": str(item)}
        try:
            code = Code(raw.get("code", Code.IPC_PROTOCOL))
        except ValueError:
            code = Code.IPC_PROTOCOL
        problems.append(Problem(code, str(raw.get("message", ""))))
    return HaError(problems)


def call(name: str, body: Any = None, state_dir_path: str | None = None,
         timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Any:
    """One request on a fresh connection."""
    with Client(state_dir_path, timeout_ms) as client:
        return client.call(name, body)
