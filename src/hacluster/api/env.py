"""Where commands read and write the CIB: a file (CIB_file / pcs -f) or the live cluster.

Owns `CibFile` (read, apply a request with the pure cib operations, write back atomically)
and `LiveCluster` (the same two calls sent to the local haclusterd over api/client.py), and
`environment()` which picks one the way Pacemaker's tools do: an explicit file, else
$CIB_file, else the live cluster. Must never hold CIB semantics: hacluster.cib owns them.
IPC names (served by the node's CIBReplica): "cib_query" → {"xml": CIB text};
"cib_request" with {"request": CIBRequest.to_bytes() text} → {"version": "a.e.n"} once the
write has been applied in agreed order (or the problems why not).
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import tempfile
import time
from pathlib import Path
from typing import Protocol

from hacluster.cib import CIBDocument, CIBRequest, Update, apply_request, parse_cib
from hacluster.common import Code, HaError


class CIBEnvironment(Protocol):
    def read(self) -> CIBDocument: ...

    def submit(self, request: CIBRequest) -> CIBDocument: ...


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same directory, fsync, rename, fsync the directory."""
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
        new, diff = apply_request(old, request)
        if new is not old:
            self.write(new)
        return new, diff

    def submit(self, request: CIBRequest) -> CIBDocument:
        return self.apply(request)[0]


class LiveCluster:
    """The CIB of the running local node, through haclusterd's Unix socket. Writes carry
    the stamp Pacemaker records on the root: cib-last-written (wall clock, read here, at
    the edge), update-client and update-user; the node adds update-origin."""

    def __init__(self, state_dir: str | None = None, client_name: str = "cibadmin") -> None:
        self.state_dir = state_dir
        self.client_name = client_name

    def stamp(self) -> tuple[tuple[str, str], ...]:
        return (("cib-last-written", time.strftime("%a %b %d %H:%M:%S %Y")),
                ("update-client", self.client_name), ("update-user", getpass.getuser()))

    def _call(self, name: str, body: object = None) -> object:
        from hacluster.api import client

        try:
            return client.call(name, body, self.state_dir)
        except HaError as error:
            if any(p.code is Code.IPC_UNKNOWN_REQUEST for p in error.problems):
                raise HaError.single(
                    Code.CIB_NO_LIVE_CLUSTER,
                    "no live cluster connection: haclusterd does not serve the CIB yet "
                    "(use CIB_file=FILE or -f FILE)") from None
            raise

    def _document(self, body: object) -> CIBDocument:
        if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
            raise HaError.single(Code.CIB_NO_LIVE_CLUSTER,
                                 "no live cluster connection: unexpected reply from haclusterd")
        return parse_cib(body["xml"])

    def read(self) -> CIBDocument:
        return self._document(self._call("cib_query"))

    def submit(self, request: CIBRequest) -> CIBDocument:
        stamped = dataclasses.replace(request, stamp=self.stamp())
        self._call("cib_request", {"request": stamped.to_bytes().decode()})
        return self.read()


def environment(cib_file: str | None = None, state_dir: str | None = None,
                client_name: str = "cibadmin") -> CIBEnvironment:
    """An explicit file, else $CIB_file, else the live cluster."""
    path = cib_file or os.environ.get("CIB_file")
    if path:
        return CibFile(path)
    return LiveCluster(state_dir, client_name)
