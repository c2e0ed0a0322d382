"""The daemon's Unix-socket server for local tools: framing, peer credentials, routing.

Owns accepting connections on `haclusterd.sock`, the SO_PEERCRED check (uid 0, the daemon's
own uid, or a member of group `haclient`; anyone else gets one clear error frame and is
closed), reading request frames and writing reply / event frames. Must never interpret a
request: each one goes to the `on_request` callback with a Connection to answer on.
Frame format: hacluster.common.ipcwire (4-byte length + an IPC_CODEC message of
hacluster.events, or binary cpg_send); a frame that does not decode to an IpcRequest is
answered IPC_PROTOCOL with the codec's reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import logging
import os
import pwd
import socket
import struct
from collections.abc import Callable

from hacluster.common import Code, HaError, Problem, ipcwire
from hacluster.events import (
    IPC_CODEC,
    CpgSendRequest,
    DaemonRequest,
    IpcReply,
    IpcRequest,
    NodeRequest,
    ReplyBody,
)

log = logging.getLogger(__name__)

ALLOWED_GROUP = "haclient"
# A client that stops reading is cut off once this much is queued for it: the daemon's
# memory must not grow with a stuck tool.
WRITE_BUFFER_MAX = 32 * 1024 * 1024
READ_CHUNK = 256 * 1024
SEND_BUFFER_BYTES = 4 * 1024 * 1024
_UCRED = struct.Struct("3i")


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end of a Unix socket."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    pid, uid, gid = _UCRED.unpack(raw)
    return pid, uid, gid


def supplementary_groups(pid: int) -> frozenset[int]:
    """The peer's supplementary groups from /proc (empty when it already exited)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("Groups:"):
                    return frozenset(int(g) for g in line.split()[1:])
    except OSError:
        pass
    return frozenset()


def is_peer_allowed(pid: int, uid: int, gid: int) -> bool:
    """uid 0, our own uid, or a member of `haclient` (primary, supplementary or listed)."""
    if uid in (0, os.geteuid()):
        return True
    try:
        group = grp.getgrnam(ALLOWED_GROUP)
    except KeyError:
        return False
    if gid == group.gr_gid or group.gr_gid in supplementary_groups(pid):
        return True
    try:
        return pwd.getpwuid(uid).pw_name in group.gr_mem
    except KeyError:
        return False


class Connection:
    """One accepted client: write replies and pushed events to it."""

    def __init__(self, number: int, writer: asyncio.StreamWriter, uid: int) -> None:
        self.number = number
        self.uid = uid
        self._writer = writer
        self.subscriptions: set[str] = set()
        self.groups: set[tuple[str, int]] = set()  # CPG (group, pid) joined through us
        self._pending: list[bytes | Callable[[], bytes]] = []

    @property
    def is_closed(self) -> bool:
        return self._writer.is_closing()

    def reply(self, request_id: int | None, ok: bool, body: ReplyBody | None = None,
              problems: tuple[Problem, ...] = ()) -> None:
        """Answer a request. A reply that cannot be encoded (too large, or a bug) becomes an
        error reply with its code: the client always hears back, the daemon goes on."""
        if ok and body is None and not problems and type(request_id) is int:
            # The plain acknowledgement (one per cpg_send): IPC_CODEC's bytes, written here.
            payload = ACK_TEMPLATE % request_id
            self.write_frame(ipcwire.FRAME_HEADER.pack(len(payload)) + payload)
            return
        try:
            frame = encode_frame(IpcReply(request_id, ok, body, problems))
        except HaError as error:
            frame = encode_frame(IpcReply(request_id, False, None, error.problems))
        except Exception:  # noqa: BLE001 - an unencodable body is a bug, not a crash
            log.exception("ipc reply could not be encoded connection=%d", self.number)
            frame = encode_frame(IpcReply(request_id, False, None, (
                Problem(Code.INTERNAL_ERROR, "reply not encodable"),)))
        self.write_frame(frame)

    def write_frame(self, frame: bytes | Callable[[], bytes]) -> None:
        """Queue an encoded frame, or a function that encodes it when the queue is flushed."""
        if self._writer.is_closing():
            return
        self._pending.append(frame)
        if len(self._pending) == 1:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        frames, self._pending = self._pending, []
        if self._writer.is_closing() or not frames:
            return
        if self._writer.transport.get_write_buffer_size() > WRITE_BUFFER_MAX:
            log.warning("ipc client not reading, disconnected connection=%d", self.number)
            self._writer.close()
            return
        self._writer.write(b"".join(self._encoded(f) for f in frames))

    def _encoded(self, frame: bytes | Callable[[], bytes]) -> bytes:
        """A queued frame's bytes; an event that cannot be encoded is logged and skipped."""
        if isinstance(frame, bytes):
            return frame
        try:
            return frame()
        except Exception:  # noqa: BLE001 - one bad event must not stop the daemon
            log.exception("ipc event could not be encoded connection=%d", self.number)
            return b""

    def close(self) -> None:
        self._flush()  # what was answered before the close still goes out
        self._writer.close()


def encode_frame(message: IpcReply) -> bytes:
    """The frame(s) of one message (HaError IPC_MESSAGE_TOO_LARGE when it cannot be sent)."""
    return ipcwire.frame(IPC_CODEC.encode(message))


# IPC_CODEC's encoding of IpcReply(id, True), with %d for the id (pinned by a unit test).
ACK_TEMPLATE = b'{"@":"ipc.reply","id":%d,"ok":true,"body":null,"problems":[]}'

RequestHandler = Callable[[Connection, int, NodeRequest | DaemonRequest], None]


class IpcServer:
    """Serves `path`; calls on_request(connection, id, request) for every request frame."""

    def __init__(self, path: str, on_request: RequestHandler,
                 on_close: Callable[[Connection], None]) -> None:
        self.path = path
        self._on_request = on_request
        self._on_close = on_close
        self._server: asyncio.AbstractServer | None = None
        self._connections: dict[int, Connection] = {}
        self._next_number = 1
        self.refused = 0
        self._inode: int | None = None

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self._server = await asyncio.start_unix_server(self._serve, path=self.path)
        os.chmod(self.path, 0o777)  # access is decided by SO_PEERCRED, not file mode
        self._inode = os.stat(self.path).st_ino

    async def stop(self) -> None:
        for connection in list(self._connections.values()):
            connection.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
        # Unlink only our own socket: a successor may already have bound the same path.
        with contextlib.suppress(FileNotFoundError):
            if os.stat(self.path).st_ino == self._inode:
                os.unlink(self.path)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        # Room for a burst of events to a client that is a little behind: fewer short writes
        # and write-ready rounds (the kernel caps this at net.core.wmem_max).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        pid, uid, gid = peer_credentials(sock)
        if not is_peer_allowed(pid, uid, gid):
            await self._refuse(writer, pid, uid)
            return
        connection = Connection(self._next_number, writer, uid)
        self._next_number += 1
        self._connections[connection.number] = connection
        try:
            await self._read_requests(reader, connection)
        finally:
            self._connections.pop(connection.number, None)
            self._on_close(connection)
            writer.close()

    async def _refuse(self, writer: asyncio.StreamWriter, pid: int, uid: int) -> None:
        self.refused += 1
        log.warning("ipc client refused pid=%d uid=%d", pid, uid)
        message = (f"access denied: uid {uid} is neither root nor a member of group "
                   f"{ALLOWED_GROUP!r}")
        writer.write(encode_frame(IpcReply(None, False, None, (
            Problem(Code.IPC_ACCESS_DENIED, message),))))
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    async def _read_requests(self, reader: asyncio.StreamReader,
                             connection: Connection) -> None:
        """Frames from large reads: a pipelining client's burst costs one await per read,
        not two per frame. A frame or message over the limits gets one error reply with its
        code, then the connection is closed (the stream cannot be resynchronized)."""
        buffer = bytearray()
        assembler = ipcwire.MessageAssembler()
        while True:
            try:
                chunk = await reader.read(READ_CHUNK)
            except ConnectionError:
                return
            if not chunk:
                return
            buffer += chunk
            at = 0
            while len(buffer) - at >= ipcwire.FRAME_HEADER.size:
                (length,) = ipcwire.FRAME_HEADER.unpack_from(buffer, at)
                if length > ipcwire.FRAME_MAX:
                    self._refuse_message(connection, ipcwire.Refused(
                        Code.IPC_MESSAGE_TOO_LARGE,
                        f"frame of {length} bytes is over the limit of {ipcwire.FRAME_MAX}"))
                    return
                end = at + ipcwire.FRAME_HEADER.size + length
                if end > len(buffer):
                    break
                whole = assembler.add(bytes(buffer[at + ipcwire.FRAME_HEADER.size:end]))
                at = end
                if isinstance(whole, ipcwire.Refused):
                    self._refuse_message(connection, whole)
                    return
                if whole is not None:
                    self._handle_frame(connection, whole)
            del buffer[:at]

    def _refuse_message(self, connection: Connection, refused: ipcwire.Refused) -> None:
        log.warning("ipc request refused connection=%d code=%s", connection.number,
                    refused.code.value)
        connection.reply(None, False, problems=(Problem(refused.code, refused.message),))

    def _handle_frame(self, connection: Connection, payload: bytes) -> None:
        """One request; a failure while handling it is this client's, never the daemon's:
        logged, answered with INTERNAL_ERROR, and the server goes on."""
        try:
            self._dispatch(connection, payload)
        except Exception:  # noqa: BLE001 - any bug here must not stop the daemon
            log.exception("ipc request failed connection=%d", connection.number)
            connection.reply(None, False, problems=(Problem(
                Code.INTERNAL_ERROR, "haclusterd failed to handle the request (see its log)"),))

    def _dispatch(self, connection: Connection, payload: bytes) -> None:
        if payload.startswith(ipcwire.CPG_SEND_MARK):
            fast = ipcwire.decode_cpg_send(payload)
            if fast is not None:
                self._on_request(connection, fast.request_id,
                                 CpgSendRequest(fast.group, fast.pid, fast.data))
                return
        message = IPC_CODEC.check(payload, IpcRequest)
        if not isinstance(message, IpcRequest):
            connection.reply(None, False, problems=(Problem(
                Code.IPC_PROTOCOL, f"malformed request frame: {message.reason}"),))
            return
        self._on_request(connection, message.id, message.request)
