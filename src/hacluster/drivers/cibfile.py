"""Durable CIB files: atomic writes, digest files and numbered backups, and recovery at load.

Owns the on-disk layout of a node's CIB directory: cib.xml with cib.xml.sig (md5 hex of the
exact bytes), and backups cib-N.raw with cib-N.raw.sig, the newest `keep` of them. A write
goes temp files → fsync each → renames → one fsync(dir), the backup first and cib.xml last,
so a crash at any point leaves a copy whose digest matches. At load a torn or corrupted cib.xml is
detected by its digest and the newest valid backup is used, with an error-level log.
A status-only version (the same lineage, admin_epoch and epoch as the last save: only
num_updates moved) replaces cib.xml without a backup and without fsync, as Pacemaker does
not write status changes to disk at all: the status is rebuilt from each node's executor at
join, and eight fsyncs per op result held the daemon's loop (and Totem's token) for tens of
milliseconds. A power loss may then cost those versions (cib.xml's digest check falls back
to the newest backup). `CIBWriter` writes them from a thread, newest only, so even the
rename's wait on a busy disk stays off the loop; a daemon killed meanwhile loses at most
that status version, which its node rebuilds when it joins again.
Must never interpret the CIB beyond an optional parse check: the cib core owns its meaning.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from hacluster.common import Code, HaError
from hacluster.node import parse_cib, relaxng_check

log = logging.getLogger(__name__)

SCHEMA_DIR = Path("/usr/share/pacemaker")
CIB_NAME = "cib.xml"
SIG_SUFFIX = ".sig"
BACKUP_PATTERN = re.compile(r"^cib-(\d+)\.raw$")
DEFAULT_KEEP = 20


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o600, durable: bool = True) -> None:
    """Replace `path` with `data` so a reader sees the old or the new bytes, never a mix
    (and, when `durable`, so that they survive a power loss once this returns)."""
    directory = path.parent
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(directory)


def replace_all_durably(files: list[tuple[Path, bytes]], mode: int = 0o600) -> None:
    """atomic_write of several files of one directory, durable once this returns, with
    one fsync per file and a single one of the directory (not one per file): every temp
    file is on disk before the first rename, and the renames go in the given order."""
    assert len({path.parent for path, _ in files}) == 1, "one directory"
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in files:
            fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=path.parent)
            temps.append((temp_name, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, mode)
        for temp_name, path in temps:
            os.replace(temp_name, path)
    except BaseException:
        for temp_name, _ in temps:
            Path(temp_name).unlink(missing_ok=True)
        raise
    fsync_dir(files[0][0].parent)


_ROOT_TAG = re.compile(rb"<cib\b[^>]*>")
_CONFIG_VERSION = re.compile(rb'\s(admin_epoch|epoch)="([^"]*)"')


def configuration_mark(data: bytes) -> bytes | None:
    """What changes with a persisted CIB's configuration or lineage: the lineage line and
    the root's admin_epoch and epoch (num_updates, which status writes move, left out);
    None when the root tag is not found near the start."""
    head = data[:8192]
    root = _ROOT_TAG.search(head)
    if root is None:
        return None
    versions = sorted(_CONFIG_VERSION.findall(root.group(0)))
    lineage = head[:root.start()]
    return lineage + b"|" + b"|".join(name + b"=" + value for name, value in versions)


@dataclass(frozen=True, slots=True)
class LoadedCIB:
    """What load() found: the bytes, the file they came from, and whether it was a backup."""

    data: bytes
    source: Path
    recovered: bool


def is_valid_copy(path: Path) -> bool:
    """The file exists, its .sig matches its bytes, and it parses as a CIB."""
    sig = path.with_name(path.name + SIG_SUFFIX)
    try:
        data = path.read_bytes()
        expected = sig.read_text().strip()
    except OSError:
        return False
    if md5_hex(data) != expected:
        return False
    try:
        parse_cib(data)
    except HaError:
        return False
    return True


class CIBStore:
    """A node's CIB directory (Pacemaker keeps the same shape in /var/lib/pacemaker/cib)."""

    def __init__(self, directory: str | Path, keep: int = DEFAULT_KEEP) -> None:
        assert keep >= 1, "keep at least one backup"
        self.directory = Path(directory)
        self.keep = keep
        self._durable_mark: bytes | None = None  # configuration_mark of the last backup

    @property
    def path(self) -> Path:
        return self.directory / CIB_NAME

    def backups(self) -> list[tuple[int, Path]]:
        """(number, path) of every backup, newest first."""
        found: list[tuple[int, Path]] = []
        if not self.directory.is_dir():
            return found
        for entry in self.directory.iterdir():
            match = BACKUP_PATTERN.match(entry.name)
            if match:
                found.append((int(match.group(1)), entry))
        return sorted(found, reverse=True)

    @staticmethod
    def _sig_path(path: Path) -> Path:
        return path.with_name(path.name + SIG_SUFFIX)

    def _write_with_sig(self, path: Path, data: bytes, durable: bool = True) -> None:
        atomic_write(path, data, durable=durable)
        atomic_write(self._sig_path(path), (md5_hex(data) + "\n").encode(), durable=durable)

    def is_status_only(self, data: bytes) -> bool:
        """Would `data` be saved as a status-only version (see the module doc)?"""
        mark = configuration_mark(data)
        return mark is not None and mark == self._durable_mark and self.path.exists()

    def save(self, data: bytes) -> Path:
        """Write a new version: backup cib-N.raw first, then cib.xml; prune old backups.
        A status-only version (see the module doc) only replaces cib.xml, without fsync."""
        mark = configuration_mark(data)
        if self.is_status_only(data):
            self._write_with_sig(self.path, data, durable=False)
            return self.path
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o750)
        backups = self.backups()
        number = backups[0][0] + 1 if backups else 1
        backup = self.directory / f"cib-{number}.raw"
        sig = (md5_hex(data) + "\n").encode()
        # the backup (with its .sig) lands first, so a crash between renames leaves
        # cib.xml old-and-valid or torn (then the new backup is the newest valid copy)
        replace_all_durably([(backup, data), (self._sig_path(backup), sig),
                             (self.path, data), (self._sig_path(self.path), sig)])
        for _, old in self.backups()[self.keep:]:
            old.unlink(missing_ok=True)
            old.with_name(old.name + SIG_SUFFIX).unlink(missing_ok=True)
        self._durable_mark = mark
        return backup

    def load(self) -> LoadedCIB | None:
        """The current CIB, or the newest valid backup when cib.xml is torn or corrupt;
        None when the directory holds no CIB at all."""
        candidates = [self.path] + [p for _, p in self.backups()]
        if not any(p.exists() for p in candidates):
            return None
        for path in candidates:
            if is_valid_copy(path):
                recovered = path != self.path
                if recovered:
                    log.error("cib.xml failed its digest check, using backup path=%s dir=%s",
                              path.name, self.directory)
                return LoadedCIB(path.read_bytes(), path, recovered)
            if path.exists():
                log.warning("cib copy failed its digest check path=%s", path)
        raise HaError.single(Code.CIB_NO_VALID_COPY,
                             f"no CIB copy in {self.directory} passes its digest check",
                             directory=str(self.directory))


class CIBWriter:
    """Saves a node's CIB versions through `store` for the daemon's loop: a configuration
    version at once (durable, before the loop goes on to the outputs that depend on it)
    unless deferred, a status-only (or deferred) one from a thread, newest only. The lock
    keeps a thread's older version from landing after a newer one the loop saved."""

    def __init__(self, store: CIBStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._pending: bytes | None = None
        self._saved: bytes | None = None  # the bytes presave() wrote (the same object)
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="cib-writer", daemon=True)
        self._thread.start()

    def save(self, data: bytes, defer: bool = False) -> bool:
        """Save `data`; True when it was written before returning (durable). With `defer`
        a configuration version too goes to the thread (durable there, with its backup):
        for a replica whose acknowledgements wait for presave() (the daemon's, which makes
        every write an ApplyJob), what else it persists (a sync's merged copy) nothing
        acknowledges, and any later save is of a whole newer copy, so a crash before it
        lands only leaves the older copy this node held before that membership change."""
        with self._lock:
            if data is self._saved:
                self._saved = None
                return True  # presave() wrote these very bytes already
            if not self._closed and (defer or self.store.is_status_only(data)):
                self._pending = data
                self._wake.set()
                return False
            self._pending = None
            self.store.save(data)
            return True

    def presave(self, data: bytes) -> None:
        """Save `data` now, from a worker thread, exactly as save() would (a configuration
        version durably); the loop's own save() of the same bytes object then returns at
        once. For a version the loop will surely save next (an applied write's cib.xml):
        its disk wait is then the worker's, not the loop's."""
        with self._lock:
            self._pending = None
            self.store.save(data)
            self._saved = data

    def close(self) -> None:
        """Write what is pending and stop the thread."""
        with self._lock:
            self._closed = True
            pending, self._pending = self._pending, None
            if pending is not None:
                self.store.save(pending)
        self._wake.set()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            with self._lock:
                self._wake.clear()
                if self._closed:
                    return
                pending, self._pending = self._pending, None
                if pending is None:
                    continue
                try:
                    self.store.save(pending)
                except OSError as error:
                    log.error("cib version not saved dir=%s: %s", self.store.directory,
                              error)


def load_cib_bytes(store: CIBStore) -> bytes | None:
    """The node's CIB to start a CIBReplica with: the newest valid copy, None when the
    directory holds none yet (the replica then starts empty and takes the cluster's copy)."""
    loaded = store.load()
    return None if loaded is None else loaded.data


SchemaCheck = Callable[[Any], list[str]]


def schema_lookup(schema_dir: Path = SCHEMA_DIR) -> Callable[[str], SchemaCheck | None]:
    """validate-with name -> the installed Pacemaker RelaxNG schema's check (None when it
    is not installed or names no schema, e.g. "none"), each schema read once per daemon.
    The node's CIB replica checks every write with it (hacluster.cib.replica)."""
    loaded: dict[str, SchemaCheck | None] = {}

    def lookup(validate_with: str) -> SchemaCheck | None:
        if validate_with not in loaded:
            loaded[validate_with] = _load_schema(schema_dir, validate_with)
        return loaded[validate_with]

    return lookup


def _load_schema(schema_dir: Path, validate_with: str) -> SchemaCheck | None:
    if not validate_with.startswith("pacemaker-") or "/" in validate_with:
        return None
    path = schema_dir / f"{validate_with}.rng"
    if not path.is_file():
        return None
    try:
        return relaxng_check(etree.RelaxNG(etree.parse(str(path))))
    except (etree.RelaxNGParseError, etree.XMLSyntaxError, OSError) as error:
        log.warning("cib schema unreadable path=%s error=%s", path, error)
        return None
