"""Garbage accounting: the reasons a datagram is dropped before Totem uses it, and the
rate-limited warning an operator sees when a peer sends garbage.

Owns the reason names (they become corosync-cmapctl keys `stats.hacluster.drops.<reason>`,
see drivers/stats.py) and `GarbageWarnings`, which decides when a drop is worth a log line:
the first garbage from a peer at once, then at most one line per peer per interval, carrying
how many were suppressed since. Pure: time comes in as an argument; it never logs itself.
"""

from __future__ import annotations

from dataclasses import dataclass

# Why a datagram was dropped (the edge: drivers/udp.py and secauth; the core: srp.py).
MALFORMED = "malformed"  # not a Totem packet, or too short to carry a seal
FOREIGN = "foreign"  # from an address, or naming a sender, outside the nodelist (or us)
FORGED = "forged"  # secauth: fails authentication (wrong key, tampered, not sealed)
SPOOFED = "spoofed"  # authentic, but sealed by another member than the address's owner
REPLAYED = "replayed"  # authentic, but received before (or older than the replay window)
STALE = "stale"  # authentic, but from an earlier boot (epoch) of its sender
RELAYED = "relayed"  # authentic, but sealed for another member: sent on by a third party
OVERLOAD = "overload"  # the daemon's input queue was full (not garbage: load)
GARBAGE_REASONS = (MALFORMED, FOREIGN, FORGED, SPOOFED, REPLAYED, STALE, RELAYED)
REASONS = (*GARBAGE_REASONS, OVERLOAD)

WARN_INTERVAL_MS = 10_000
PEERS_MAX = 256


@dataclass(slots=True)
class _Peer:
    warned_ms: int
    suppressed: int


class GarbageWarnings:
    """Per peer: warn at the first garbage, then once per `interval_ms` at most."""

    def __init__(self, interval_ms: int = WARN_INTERVAL_MS, peers_max: int = PEERS_MAX) -> None:
        assert interval_ms > 0 and peers_max > 0
        self.interval_ms = interval_ms
        self.peers_max = peers_max
        self._peers: dict[str, _Peer] = {}

    def note(self, peer: str, now_ms: int) -> int | None:
        """One garbage datagram from `peer`: None to stay quiet (it is counted as
        suppressed), else warn now; the value is how many were suppressed since the last
        warning about this peer."""
        entry = self._peers.get(peer)
        if entry is None:
            if len(self._peers) >= self.peers_max:
                # Bounded memory against a spray from many addresses: forget the peer
                # warned about longest ago (insertion order = first-warned order).
                self._peers.pop(next(iter(self._peers)))
            self._peers[peer] = _Peer(now_ms, 0)
            return 0
        if now_ms - entry.warned_ms < self.interval_ms:
            entry.suppressed += 1
            return None
        suppressed = entry.suppressed
        entry.warned_ms, entry.suppressed = now_ms, 0
        return suppressed
