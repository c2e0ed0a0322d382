"""Durable CIB files: atomic writes, digest files and numbered backups, and recovery at load.

Owns the on-disk layout of a node's CIB directory: cib.xml with cib.xml.sig (md5 hex of the
exact bytes), and backups cib-N.raw with cib-N.raw.sig, the newest `keep` of them. A write
goes temp file → fsync → rename → fsync(dir), the backup first and cib.xml last, so a crash
at any point leaves a copy whose digest matches. At load a torn or corrupted cib.xml is
detected by its digest and the newest valid backup is used, with an error-level log.
Must never interpret the CIB beyond an optional parse check: the cib core owns its meaning.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
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


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data` so a reader sees the old or the new bytes, never a mix."""
    directory = path.parent
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    fsync_dir(directory)


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

    def _write_with_sig(self, path: Path, data: bytes) -> None:
        atomic_write(path, data)
        atomic_write(path.with_name(path.name + SIG_SUFFIX), (md5_hex(data) + "\n").encode())

    def save(self, data: bytes) -> Path:
        """Write a new version: backup cib-N.raw first, then cib.xml; prune old backups."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o750)
        backups = self.backups()
        number = backups[0][0] + 1 if backups else 1
        backup = self.directory / f"cib-{number}.raw"
        self._write_with_sig(backup, data)
        self._write_with_sig(self.path, data)
        for _, old in self.backups()[self.keep:]:
            old.unlink(missing_ok=True)
            old.with_name(old.name + SIG_SUFFIX).unlink(missing_ok=True)
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
