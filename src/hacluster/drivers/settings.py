"""What the daemon needs from corosync.conf, the command line and the authkey, as one value.

Owns reading the config and key files and adapting hacluster.config's model into
`DaemonSettings` (local node, peers, port, token period, secauth, logging, the
cmap-style key list the tools show). Must never run anything: it only reads and decides
what the daemon will be.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hacluster.common import Code, HaError, NodeId
from hacluster.node import secauth

DEFAULT_CONFIG = "/etc/corosync/corosync.conf"
DEFAULT_KEYFILE = "/etc/corosync/authkey"
DEFAULT_PORT = 5405


@dataclass(frozen=True, slots=True)
class LogSettings:
    """logging {}: where lines go and how they look."""

    to_stderr: bool = True
    to_logfile: bool = False
    logfile: str = ""
    timestamp: bool = True
    debug: bool = False
    to_syslog: bool = False
    syslog_facility: str = "daemon"


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    """One node's daemon: who it is, whom it talks to, how, and where it keeps state."""

    node_id: NodeId
    address: str
    port: int
    peers: Mapping[NodeId, str]
    names: Mapping[NodeId, str]
    token_ms: int
    state_dir: str
    config_path: str
    cluster_name: str = ""
    secauth: bool = False
    crypto_cipher: str = "none"
    crypto_hash: str = "none"
    keyfile: str = DEFAULT_KEYFILE
    authkey: bytes = b""
    logging: LogSettings = LogSettings()
    cmap: tuple[tuple[str, str, Any], ...] = ()
    config: Any = field(default=None, compare=False, repr=False)

    @property
    def members(self) -> tuple[NodeId, ...]:
        return tuple(sorted({self.node_id, *self.peers}))


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise HaError.single(Code.FILE_NOT_FOUND, f"{path}: no such file", path=path) from None
    except OSError as error:
        raise HaError.single(Code.FILE_READ_ERROR, f"{path}: {error.strerror}",
                             path=path) from None


def read_authkey(path: str) -> bytes:
    """The authkey bytes; too short or unreadable is a DAEMON_AUTHKEY error."""
    try:
        with open(path, "rb") as handle:
            key = handle.read()
    except OSError as error:
        raise HaError.single(Code.DAEMON_AUTHKEY,
                             f"cannot read authkey {path}: {error.strerror}", path=path) from None
    if len(key) < secauth.MIN_KEY_BYTES:
        raise HaError.single(Code.DAEMON_AUTHKEY,
                             f"authkey {path} is too short ({len(key)} bytes, need "
                             f"{secauth.MIN_KEY_BYTES})", path=path)
    return key


def effective_crypto(cipher: str, crypto_hash: str) -> tuple[str, str]:
    """(cipher, hash) to seal with: `secauth: on` alone means aes256 + sha256."""
    cipher = (cipher or "none").lower()
    crypto_hash = (crypto_hash or "none").lower()
    if cipher == "none":
        cipher = "aes256"
    if crypto_hash == "none":
        crypto_hash = "sha256"
    if cipher not in secauth.CIPHERS:
        raise HaError.single(Code.CONFIG_BAD_VALUE, f"crypto_cipher {cipher!r} is not supported")
    if crypto_hash not in secauth.HASHES:
        raise HaError.single(Code.CONFIG_BAD_VALUE, f"crypto_hash {crypto_hash!r} is not supported")
    return cipher, crypto_hash


def state_dir_from(explicit: str | None) -> str:
    return explicit or os.environ.get("HACLUSTER_STATE_DIR") or "/var/lib/hacluster"
