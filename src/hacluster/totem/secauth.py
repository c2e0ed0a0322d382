"""Packet sealing for `secauth: on`: authenticated encryption, replay and relay protection.

Owns the sealed datagram format, the per-sender key derivation (HKDF over the authkey
bytes), the per-sender sliding replay window and the destination check. Pure: the authkey
bytes and the sender's boot epoch come in as arguments; it never reads files or clocks and
never raises on peer input (a bad packet is dropped and counted in `status()`).
Spec: corosync.conf(5) secauth / crypto_cipher / crypto_hash (meaning only, not the wire).

Wire format (big endian), the header is the AEAD's associated data:
    magic "HS" | version u8 | cipher u8 | sender node id u32 | destination node id u32 |
    epoch u64 | counter u64 | ciphertext || 16-byte tag
The key of one (sender, epoch) is HKDF(authkey, info=sender||epoch), so the 96-bit nonce
(the counter) never repeats under one key even though every node shares the authkey.

What a packet is for: its destination. A unicast (the token, the commit token, a leave
answer) is sealed for the one member it is sent to; a udpu "multicast" is sealed once for
EVERY_MEMBER (0, never a node id) and sent unchanged to each member. A receiver accepts only
its own id or EVERY_MEMBER, so a sealed X->Y token re-sent to Z is dropped as "relayed"
(authenticated first, so the reason is true). A relayed multicast needs no more: the sender
sent the same bytes to that member itself, so a relay delivers nothing new and the replay
window drops the copy it already has. Why not the ring id and the message's role: the ring id
would make this edge parse Totem, it changes under the packet during membership (join and
commit tokens cross rings), and within one ring the token relayed X->Y->Z is exactly the
attack; "role" (who may take this token) is the destination in other words. Sealing every
multicast per destination would bind it too, at N-1 more AEAD operations per message on
CPG's hot path for no gain, so multicasts are sealed once.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from hacluster.totem import drops

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

MAGIC = b"HS"
VERSION = 2  # 2: the destination joined the header
HEADER = struct.Struct("!2sBBIIQQ")
EVERY_MEMBER = 0  # the destination of a multicast
TAG_BYTES = 16
OVERHEAD = HEADER.size + TAG_BYTES
REPLAY_WINDOW = 1024
KEY_CACHE_MAX = 256
COUNTER_MAX = 2**64 - 1
_SALT = b"hacluster totem secauth v1"

# crypto_cipher name -> (wire id, key bytes); "chacha20" is ours, the rest are Corosync's names.
CIPHERS: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"aes256": (1, 32), "aes192": (2, 24), "aes128": (3, 16), "chacha20": (4, 32)}
)
# crypto_hash name -> the class name in cryptography's hashes module (imported lazily:
# `cryptography` costs ~9 MB of RSS, and a daemon with secauth off never needs it).
HASHES: Mapping[str, str] = MappingProxyType(
    {"sha1": "SHA1", "sha256": "SHA256", "sha384": "SHA384", "sha512": "SHA512", "md5": "MD5"}
)
MIN_KEY_BYTES = 16
# our counter -> the drop reason the transport reports (hacluster.totem.drops)
_REASON_OF: Mapping[str, str] = MappingProxyType({
    "truncated": drops.MALFORMED, "forged": drops.FORGED, "replayed": drops.REPLAYED,
    "stale_epoch": drops.STALE, "relayed": drops.RELAYED})


@dataclass(frozen=True, slots=True)
class SecauthStatus:
    """Counters of what was sealed, accepted and dropped (and why)."""

    sealed: int
    accepted: int
    truncated: int
    forged: int
    replayed: int
    stale_epoch: int
    relayed: int = 0

    @property
    def dropped(self) -> int:
        return self.truncated + self.forged + self.replayed + self.stale_epoch + self.relayed


@dataclass(frozen=True, slots=True)
class Opened:
    """An authentic, fresh packet: who sealed it and its plaintext."""

    sender: int
    epoch: int
    data: bytes


@dataclass(slots=True)
class _Window:
    """Replay state of one sender: its epoch, the highest counter seen, a bitmap below it."""

    epoch: int
    highest: int
    bitmap: int  # bit i set: counter (highest - i) was accepted


def is_enabled(secauth: str | bool, crypto_cipher: str, crypto_hash: str) -> bool:
    """Corosync's rule: secauth on, or either crypto_* set and not "none"."""
    if secauth is True or str(secauth).lower() in ("on", "yes", "true", "1"):
        return True
    return crypto_cipher not in ("", "none") or crypto_hash not in ("", "none")


def window_verdict(window: _Window | None, epoch: int, counter: int) -> str:
    """'new' (accept, first or newer epoch), 'fresh' (accept), 'replayed' or 'stale_epoch'."""
    if window is None or epoch > window.epoch:
        return "new"
    if epoch < window.epoch:
        return "stale_epoch"
    if counter > window.highest:
        return "fresh"
    age = window.highest - counter
    if age >= REPLAY_WINDOW or (window.bitmap >> age) & 1:
        return "replayed"
    return "fresh"


def window_accept(window: _Window | None, epoch: int, counter: int) -> _Window:
    """The window after accepting (epoch, counter); the verdict must have been an accept."""
    if window is None or epoch > window.epoch:
        return _Window(epoch, counter, 1)
    if counter > window.highest:
        shift = counter - window.highest
        bitmap = ((window.bitmap << shift) | 1) & ((1 << REPLAY_WINDOW) - 1)
        return _Window(epoch, counter, bitmap)
    window.bitmap |= 1 << (window.highest - counter)
    return window


class Secauth:
    """Seals our packets and opens our peers'; one instance per node and authkey."""

    def __init__(self, authkey: bytes, node_id: int, epoch: int,
                 cipher: str = "aes256", crypto_hash: str = "sha256") -> None:
        assert len(authkey) >= MIN_KEY_BYTES, "authkey too short"
        assert cipher in CIPHERS, f"unknown crypto_cipher {cipher}"
        assert crypto_hash in HASHES, f"unknown crypto_hash {crypto_hash}"
        assert 0 <= node_id < 2**32 and 0 <= epoch < 2**64
        self._authkey = bytes(authkey)
        self._node_id = node_id
        self._epoch = epoch
        self._cipher = cipher
        self._cipher_id, self._key_bytes = CIPHERS[cipher]
        self._hash_name = HASHES[crypto_hash]
        self._counter = 0
        self._keys: dict[tuple[int, int], AESGCM | ChaCha20Poly1305] = {}
        self._windows: dict[int, _Window] = {}
        self._counts = {"sealed": 0, "accepted": 0, "truncated": 0, "forged": 0,
                        "replayed": 0, "stale_epoch": 0, "relayed": 0}

    def _aead(self, sender: int, epoch: int) -> AESGCM | ChaCha20Poly1305:
        cached = self._keys.get((sender, epoch))
        if cached is not None:
            return cached
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        info = b"sender" + struct.pack("!IQ", sender, epoch)
        algorithm: hashes.HashAlgorithm = getattr(hashes, self._hash_name)()
        key = HKDF(algorithm=algorithm, length=self._key_bytes, salt=_SALT,
                   info=info).derive(self._authkey)
        aead: AESGCM | ChaCha20Poly1305 = (
            ChaCha20Poly1305(key) if self._cipher == "chacha20" else AESGCM(key))
        if len(self._keys) >= KEY_CACHE_MAX:
            self._keys.pop(next(iter(self._keys)))
        self._keys[(sender, epoch)] = aead
        return aead

    def seal(self, data: bytes, dst: int = EVERY_MEMBER) -> bytes:
        """Our datagram for member `dst` (EVERY_MEMBER: a multicast), sealed under our
        (node id, epoch) key with the next counter."""
        assert self._counter < COUNTER_MAX, "nonce counter exhausted: restart with a new epoch"
        assert 0 <= dst < 2**32 and dst != self._node_id, "a packet for ourselves"
        self._counter += 1
        header = HEADER.pack(MAGIC, VERSION, self._cipher_id, self._node_id, dst, self._epoch,
                             self._counter)
        nonce = struct.pack("!IQ", 0, self._counter)
        sealed = self._aead(self._node_id, self._epoch).encrypt(nonce, data, header)
        self._counts["sealed"] += 1
        return header + sealed

    def open(self, packet: bytes) -> Opened | None:
        """The authentic fresh plaintext, or None (and a counter bumped) for anything else."""
        result = self.check(packet)
        return result if isinstance(result, Opened) else None

    def check(self, packet: bytes) -> Opened | str:
        """As `open`, but a drop says why: a reason of hacluster.totem.drops."""
        if len(packet) < OVERHEAD:
            return self._drop("truncated")
        magic, version, cipher_id, sender, dst, epoch, counter = HEADER.unpack_from(packet)
        if magic != MAGIC or version != VERSION or cipher_id != self._cipher_id:
            return self._drop("forged")
        window = self._windows.get(sender)
        verdict = window_verdict(window, epoch, counter)
        if verdict in ("replayed", "stale_epoch"):
            return self._drop(verdict)
        from cryptography.exceptions import InvalidTag

        nonce = struct.pack("!IQ", 0, counter)
        try:
            data = self._aead(sender, epoch).decrypt(nonce, packet[HEADER.size:],
                                                     packet[:HEADER.size])
        except InvalidTag:
            return self._drop("forged")
        if dst not in (EVERY_MEMBER, self._node_id):
            # Authentic but sealed for another member: a relay (never accepted, so it
            # leaves the window alone like any drop).
            return self._drop("relayed")
        # Only an authentic packet may move the window: forgeries must not shift it.
        self._windows[sender] = window_accept(window, epoch, counter)
        self._counts["accepted"] += 1
        return Opened(sender, epoch, data)

    def _drop(self, counter: str) -> str:
        self._counts[counter] += 1
        return _REASON_OF[counter]

    def status(self) -> SecauthStatus:
        return SecauthStatus(**self._counts)
