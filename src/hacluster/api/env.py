"""Where commands read and write: a CIB file (CIB_file / pcs -f) or the live cluster.

Owns the api layer's I/O: `CibFile` (read, apply a request with the pure cib operations,
write back atomically), `Client` (the blocking Unix-socket client of the local haclusterd:
frames of hacluster.common.ipcwire carrying hacluster.events.IPC_CODEC messages; socket
failures become HaError with IPC_* codes),
`LiveCluster` (the CIB calls over a Client), and `environment()` which picks one the way
Pacemaker's tools do: an explicit file, else $CIB_file, else the live cluster.
Must never hold CIB semantics (hacluster.cib owns them) nor print.
Requests are the frozen dataclasses of hacluster.events (IPC vocabulary): the daemon answers
DaemonPing, DaemonStatus, DaemonShutdown and Subscribe(events: output class names or "*";
then the node's outputs of those classes arrive as they are: CpgDeliver (its data the bytes
sent, byte-exact), CpgConfigChange, Deliver, ConfigChange, QuorumNotice; a pushed frame that
does not decode is dropped and counted in Client.drops under IPC_EVENT_MALFORMED) itself; every
NodeRequest goes to the Node as a ClientRequest (CpgJoinRequest, CpgSendRequest, ...;
CibQuery → CibText; CibWrite(CIBRequest.to_bytes()) → CibWritten("a.e.n") once the write
has been applied in agreed order, or the problems why not). Every reply body is one of
hacluster.events' ReplyBody classes (None: a plain acknowledgement).
"""

from __future__ import annotations

import dataclasses
import functools
import getpass
import os
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from lxml import etree

from hacluster.cib import (
    CIBDocument,
    CIBRequest,
    SchemaCheck,
    Update,
    apply_request,
    parse_cib,
    relaxng_check,
)
from hacluster.common import MAX_CIB_BYTES, Code, DecodeError, HaError, Problem, ipcwire
from hacluster.events import (
    IPC_CODEC,
    PUSHED_EVENTS,
    CibQuery,
    CibText,
    CibWrite,
    DaemonRequest,
    IpcReply,
    IpcRequest,
    NodeRequest,
    PushedEvent,
    ReplyBody,
)

DEFAULT_STATE_DIR = "/var/lib/hacluster"
DEFAULT_TIMEOUT_MS = 5000
# CIB calls wait longer: a multi-MB write is applied on every node before it is answered
# (Pacemaker's cibadmin waits 30 s unless told otherwise with -t).
CIB_TIMEOUT_MS = 30_000
READ_CHUNK = 256 * 1024
RECEIVED = (IpcReply, *PUSHED_EVENTS)
# How every IpcReply frame starts (IPC_CODEC writes the tag first).
REPLY_HEAD = b'{"@":"%s"' % IPC_CODEC.tag_of(IpcReply).encode()


def state_dir(explicit: str | None = None) -> str:
    """Where the daemon keeps its socket: explicit, else $HACLUSTER_STATE_DIR, else default."""
    return explicit or os.environ.get("HACLUSTER_STATE_DIR") or DEFAULT_STATE_DIR


def socket_path(explicit_state_dir: str | None = None) -> str:
    return os.path.join(state_dir(explicit_state_dir), ipcwire.SOCKET_NAME)


class Client:
    """One connection to the daemon; `call` sends a request and waits for its reply."""

    def __init__(self, state_dir_path: str | None = None,
                 timeout_ms: int = DEFAULT_TIMEOUT_MS,
                 connected: socket.socket | None = None) -> None:
        """Connect to the daemon's socket (`connected`: use this socket as it is)."""
        self.path = socket_path(state_dir_path)
        self._sock = connected or socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout_ms / 1000)
        self._next_id = 1
        self._buffer = bytearray()  # received bytes; those before _at are consumed
        self._at = 0
        self._assembler = ipcwire.MessageAssembler()
        # Pushed frames that did not decode, by code: dropped, never raised (peer input).
        self.drops: Counter[Code] = Counter()
        if connected is not None:
            return
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

    def call(self, request: NodeRequest | DaemonRequest) -> ReplyBody | None:
        """Send one request; return the reply body or raise HaError with its problems."""
        request_id = self._next_id
        self._next_id += 1
        self._send(IpcRequest(request_id, request))
        while True:
            reply = self._receive()
            if not isinstance(reply, IpcReply):
                continue
            if reply.id == request_id:
                break
            if reply.id is None and not reply.ok:
                raise error_of(reply)  # refused before our request was read
        if not reply.ok:
            raise error_of(reply)
        return reply.body

    def events(self) -> Iterator[PushedEvent]:
        """Pushed events (after a Subscribe), until the daemon closes."""
        while True:
            message = self._receive()
            if not isinstance(message, IpcReply):
                yield message

    def _send(self, message: IpcRequest) -> None:
        try:
            self._sock.sendall(ipcwire.frame(IPC_CODEC.encode(message)))
        except OSError as error:
            # The daemon may have refused us and closed: its reason is waiting to be read.
            try:
                refusal: IpcReply | PushedEvent | None = self._receive()
            except HaError:
                refusal = None
            if isinstance(refusal, IpcReply) and not refusal.ok:
                raise error_of(refusal) from None
            raise HaError.single(Code.IPC_DISCONNECTED,
                                 f"lost connection to haclusterd: {error}") from None

    def _receive(self) -> IpcReply | PushedEvent:
        """The next whole message (the parts of a split one are joined). A frame that does
        not decode is a protocol error when it was a reply (its caller would wait forever)
        and otherwise dropped and counted: a pushed event we cannot read is skipped."""
        while True:
            whole = self._next_payload()
            message = IPC_CODEC.check(whole, RECEIVED)
            if not isinstance(message, DecodeError):
                return message  # type: ignore[no-any-return]
            if whole.startswith(REPLY_HEAD):
                raise HaError.single(Code.IPC_PROTOCOL,
                                     f"malformed reply frame from haclusterd: {message.reason}")
            self.drops[Code.IPC_EVENT_MALFORMED] += 1

    def _next_payload(self) -> bytes:
        while True:
            header = self._read_exact(ipcwire.FRAME_HEADER.size)
            (length,) = ipcwire.FRAME_HEADER.unpack(header)
            if length > ipcwire.FRAME_MAX:
                raise HaError.single(Code.IPC_PROTOCOL,
                                     f"reply frame too large ({length} bytes)")
            whole = self._assembler.add(self._read_exact(length))
            if isinstance(whole, ipcwire.Refused):
                raise HaError.single(whole.code, whole.message)
            if whole is not None:
                return whole

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


def error_of(reply: IpcReply) -> HaError:
    """The daemon's refusal as one HaError (a refusal without problems is still one)."""
    return HaError(list(reply.problems) or [Problem(Code.IPC_PROTOCOL, "request failed")])


def call(request: NodeRequest | DaemonRequest, state_dir_path: str | None = None,
         timeout_ms: int = DEFAULT_TIMEOUT_MS) -> ReplyBody | None:
    """One request on a fresh connection."""
    with Client(state_dir_path, timeout_ms) as client:
        return client.call(request)


def input_too_large(name: str, size: int, limit: int) -> HaError:
    """`size` is what was seen: the whole size of a file, or limit + 1 for a stream."""
    amount = f"{size} bytes" if size != limit + 1 else f"more than {limit} bytes"
    return HaError.single(Code.CIB_TOO_LARGE, f"{name} is {amount}, over the CIB limit of "
                          f"{limit} bytes", size=size, limit=limit)


def read_input_file(path: str, limit: int = MAX_CIB_BYTES) -> bytes:
    """An input file the user named: refused by its size before it is read (a 200 MB file
    costs no memory); a pipe or device, which has no size, is read to one byte past the
    limit at most."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise input_too_large(path, size, limit)
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise HaError.single(Code.FILE_NOT_FOUND, f"{path} does not exist",
                             path=path) from None
    except OSError as error:
        raise HaError.single(Code.FILE_READ_ERROR, f"cannot read {path}: {error.strerror}",
                             path=path) from None
    if len(data) > limit:
        raise input_too_large(path, len(data), limit)
    return data


def read_input_stream(stream: BinaryIO, name: str = "standard input",
                      limit: int = MAX_CIB_BYTES) -> bytes:
    """Input from a stream (cibadmin -p), at most `limit` bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise input_too_large(name, len(data), limit)
    return data


class CIBEnvironment(Protocol):
    def read(self) -> CIBDocument: ...

    def submit(self, request: CIBRequest) -> None: ...


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same directory, fsync, rename, fsync the directory."""
    import tempfile  # here: only file writes need it, and every tool starts faster

    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temp_name, path.stat().st_mode & 0o777)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class CibFile:
    """A CIB kept in one XML file, as with CIB_file=FILE or pcs -f FILE."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise HaError.single(Code.FILE_NOT_FOUND, f"CIB file {self.path} does not exist",
                                 path=str(self.path)) from None
        except OSError as error:
            raise HaError.single(Code.FILE_READ_ERROR,
                                 f"cannot read {self.path}: {error.strerror}") from None

    def read(self) -> CIBDocument:
        return parse_cib(self.read_bytes())

    def write(self, doc: CIBDocument) -> None:
        try:
            write_atomically(self.path, doc.to_bytes())
        except OSError as error:
            raise HaError.single(Code.FILE_WRITE_ERROR,
                                 f"cannot write {self.path}: {error.strerror}") from None

    def apply(self, request: CIBRequest) -> Update:
        old = self.read()
        new, diff = apply_request(old, request, schema_check)
        if new is not old:
            self.write(new)
        return new, diff

    def submit(self, request: CIBRequest) -> None:
        self.apply(request)


class LiveCluster:
    """The CIB of the running local node, through haclusterd's Unix socket. Writes carry
    the stamp Pacemaker records on the root: cib-last-written (wall clock, read here, at
    the edge), update-client and update-user; the node adds update-origin."""

    def __init__(self, state_dir: str | None = None, client_name: str = "cibadmin",
                 timeout_ms: int = CIB_TIMEOUT_MS) -> None:
        self.state_dir = state_dir
        self.client_name = client_name
        self.timeout_ms = timeout_ms

    def stamp(self) -> tuple[tuple[str, str], ...]:
        return (("cib-last-written", time.strftime("%a %b %d %H:%M:%S %Y")),
                ("update-client", self.client_name), ("update-user", getpass.getuser()))

    def _call(self, request: CibQuery | CibWrite) -> object:
        try:
            return call(request, self.state_dir, self.timeout_ms)
        except HaError as error:
            if any(p.code is Code.IPC_UNKNOWN_REQUEST for p in error.problems):
                raise HaError.single(
                    Code.CIB_NO_LIVE_CLUSTER,
                    "no live cluster connection: haclusterd does not serve the CIB yet "
                    "(use CIB_file=FILE or -f FILE)") from None
            raise

    def _document(self, body: object) -> CIBDocument:
        if not isinstance(body, CibText):
            raise HaError.single(Code.CIB_NO_LIVE_CLUSTER,
                                 "no live cluster connection: unexpected reply from haclusterd")
        return parse_cib(body.xml)

    def read(self) -> CIBDocument:
        return self._document(self._call(CibQuery()))

    def submit(self, request: CIBRequest) -> None:
        """One write, answered once it is applied in agreed order. No local pre-check: the
        replica checks every write (schema included) and refuses it with the same problems,
        so reading the CIB and loading a RelaxNG schema here only slowed every tool down."""
        stamped = dataclasses.replace(request, stamp=self.stamp())
        self._call(CibWrite(stamped.to_bytes()))


def environment(cib_file: str | None = None, state_dir: str | None = None,
                client_name: str = "cibadmin",
                timeout_ms: int = CIB_TIMEOUT_MS) -> CIBEnvironment:
    """An explicit file, else $CIB_file, else the live cluster."""
    path = cib_file or os.environ.get("CIB_file")
    if path:
        return CibFile(path)
    return LiveCluster(state_dir, client_name, timeout_ms)


# The host's installed agents first (what the real pcs reads), then the ones we ship.
OCF_ROOTS = (Path("/usr/lib/ocf"), Path(__file__).resolve().parent.parent / "agents")
FENCE_AGENT_DIRS = (Path("/usr/sbin"),)
METADATA_TIMEOUT_S = 10


def agent_metadata(standard: str, provider: str, agent_type: str) -> str | None:
    """The meta-data text of an installed agent (the host's resource-agents first, then the
    agents we ship), None when it is not installed or does not answer."""
    if "/" in provider or "/" in agent_type or agent_type.startswith("."):
        return None
    if standard == "ocf":
        for root in OCF_ROOTS:
            script = root / "resource.d" / provider / agent_type
            if script.is_file():
                env = dict(os.environ, OCF_ROOT=str(root))
                return _run_metadata([str(script), "meta-data"], env)
        return None
    if standard == "stonith":
        for directory in FENCE_AGENT_DIRS:
            if (directory / agent_type).is_file():
                return _run_metadata([str(directory / agent_type), "-o", "metadata"], None)
    return None


def _run_metadata(argv: list[str], env: dict[str, str] | None) -> str | None:
    import subprocess  # here: only agent meta-data needs it, and every tool starts faster

    try:
        done = subprocess.run(argv, capture_output=True, timeout=METADATA_TIMEOUT_S,
                              env=env, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = done.stdout.decode("utf-8", "replace")
    return text if done.returncode == 0 and text.strip() else None


def providers_of(agent_type: str) -> list[str]:
    """ocf providers that ship an agent named `agent_type` (for pcs's short names)."""
    found: list[str] = []
    for root in OCF_ROOTS:
        base = root / "resource.d"
        if base.is_dir():
            found += sorted(p.name for p in base.iterdir() if (p / agent_type).is_file())
    return found


SCHEMA_DIR = Path("/usr/share/pacemaker")


def schema_check(validate_with: str) -> SchemaCheck | None:
    """The installed Pacemaker RelaxNG schema named by validate-with, as a check returning
    its error lines; None when the schema is not installed (or validate-with is "none")."""
    relaxng = _relaxng(validate_with)
    return None if relaxng is None else relaxng_check(relaxng)


@functools.lru_cache(maxsize=8)
def _relaxng(validate_with: str) -> etree.RelaxNG | None:
    if not validate_with.startswith("pacemaker-") or "/" in validate_with:
        return None
    path = SCHEMA_DIR / f"{validate_with}.rng"
    if not path.is_file():
        return None
    try:
        return etree.RelaxNG(etree.parse(str(path)))
    except (etree.RelaxNGParseError, etree.XMLSyntaxError, OSError):
        return None
