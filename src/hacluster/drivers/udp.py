"""The Totem transport for `transport: udpu`: one UDP socket, a unicast to each member.

Owns the socket bound to the node's own address and mcastport, optional secauth sealing at
the edge, and turning ICMP port-unreachable evidence into events.PeerUnreachable. Must never
interpret Totem packets nor decide membership: it only moves bytes and reports facts.

The port is ours alone: no SO_REUSEADDR / SO_REUSEPORT, so no other process (a second
daemon, or any local user) can bind the same address and port and swallow the ring's traffic;
a port already taken fails `bind_socket` with EADDRINUSE and the daemon refuses to start.

Drops at the edge are counted by reason (hacluster.totem.drops: foreign, malformed, forged,
spoofed, replayed, stale, relayed); `received` counts only datagrams that passed, and garbage
from a peer is logged as a warning at most once per peer per interval (GarbageWarnings).

ICMP evidence: IP_RECVERR queues each error with the original destination address, so an
error is attributed to the member it concerns. A pending error also fails the *next* send
(whoever it was for), so a refused send is retried once after draining the queue. Each
attributed refusal is reported (PeerUnreachable), up to REPORTS_MAX per member per window (a
token period); the Totem core needs two before it acts and re-sends the token at once on the
first, so a crashed member is known within two round trips of the first refused token.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hacluster.common import NodeId
from hacluster.node import drops, secauth

log = logging.getLogger(__name__)

IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
IPV6_RECVERR = getattr(socket, "IPV6_RECVERR", 25)
MAX_DATAGRAM = 65535
ERRQUEUE_DRAIN_MAX = 64
READ_BATCH_MAX = 256
REPORTS_MAX = 16  # refusals reported per member per window (a token period)


@dataclass(frozen=True, slots=True)
class UdpStats:
    """What the transport did: datagrams (`received`: those that passed the edge), errors,
    and the drops by reason (`drops`, reasons of hacluster.totem.drops)."""

    sent: int
    received: int
    send_errors: int
    refused: int
    unreachable_reported: int
    unknown_source: int
    sender_mismatch: int
    auth_dropped: int
    drops: tuple[tuple[str, int], ...] = ()


class RefusalLimiter:
    """Which refusals about a member are reported: each one (the Totem core decides what
    they prove), but at most `reports_max` per member per window, so a flood of (forged)
    ICMP errors cannot flood the daemon's event queue; hearing from the member resets it."""

    def __init__(self, window_ms: int, reports_max: int = REPORTS_MAX) -> None:
        assert window_ms > 0 and reports_max >= 2, "the core needs two reports to act"
        self.window_ms = window_ms
        self.reports_max = reports_max
        self._times: dict[NodeId, deque[int]] = {}

    def refused(self, node_id: NodeId, now_ms: int) -> bool:
        """Record one refusal; True when it is to be reported to the core."""
        times = self._times.setdefault(node_id, deque())
        while times and now_ms - times[0] > self.window_ms:
            times.popleft()
        if len(times) >= self.reports_max:
            return False
        times.append(now_ms)
        return True

    def heard(self, node_id: NodeId) -> None:
        """A packet from the member arrived: it is alive, report refusals afresh."""
        self._times.pop(node_id, None)


def bind_socket(local: tuple[str, int]) -> socket.socket:
    """A non-blocking UDP socket bound exclusively to `local` (OSError when it is taken)."""
    is_v6 = ":" in local[0]
    sock = socket.socket(socket.AF_INET6 if is_v6 else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        if is_v6:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
        else:
            sock.setsockopt(socket.SOL_IP, IP_RECVERR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
        sock.setblocking(False)
        sock.bind(local)
    except OSError:
        sock.close()
        raise
    return sock


class UdpTransport:
    """A bound UDP socket for one node; callbacks deliver packets and unreachable members."""

    def __init__(
        self,
        local: tuple[str, int],
        peers: Mapping[NodeId, tuple[str, int]],
        on_packet: Callable[[bytes, str], None],
        on_unreachable: Callable[[NodeId], None],
        clock_ms: Callable[[], int],
        unreachable_window_ms: int,
        sealer: secauth.Secauth | None = None,
    ) -> None:
        self.local = local
        self.peers = dict(peers)
        self._by_address = {address: node for node, address in self.peers.items()}
        self._on_packet = on_packet
        self._on_unreachable = on_unreachable
        self._clock_ms = clock_ms
        self._detector = RefusalLimiter(unreachable_window_ms)
        self._secauth = sealer
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._counts = dict.fromkeys(
            ("sent", "received", "send_errors", "refused", "unreachable_reported",
             "unknown_source", "sender_mismatch"), 0)
        self._drops = dict.fromkeys(drops.GARBAGE_REASONS, 0)
        self._warnings = drops.GarbageWarnings()

    def open(self, loop: asyncio.AbstractEventLoop, sock: socket.socket | None = None) -> None:
        """Start reading on `loop` from `sock` (bound by `bind_socket`; bound here if None)."""
        if sock is None:
            sock = bind_socket(self.local)
        assert sock.getsockname()[1] == self.local[1], "socket bound to another port"
        self._sock, self._loop = sock, loop
        loop.add_reader(sock.fileno(), self._on_readable)
        log.info("udpu transport bound address=%s:%d members=%d", *self.local, len(self.peers))

    def close(self) -> None:
        if self._sock is None:
            return
        if self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        self._sock = None

    def send(self, dst: NodeId, data: bytes) -> None:
        address = self.peers.get(dst)
        if address is None:
            log.debug("send to unknown member dropped node=%s", dst)
            self._counts["send_errors"] += 1
            return
        wire = self._secauth.seal(data, dst) if self._secauth is not None else data
        self._sendto(wire, address)

    def multicast(self, data: bytes) -> None:
        """udpu: one unicast per configured member, ourselves excluded; sealed once, for
        every member (secauth.EVERY_MEMBER: a relay to another member brings it nothing new)."""
        wire = self._secauth.seal(data) if self._secauth is not None else data
        for node in sorted(self.peers):
            self._sendto(wire, self.peers[node])

    def _sendto(self, wire: bytes, address: tuple[str, int]) -> None:
        assert self._sock is not None, "transport not open"
        for _attempt in range(3):  # a fresh ICMP error may land between drain and retry
            try:
                self._sock.sendto(wire, address)
                self._counts["sent"] += 1
                return
            except ConnectionRefusedError:
                # A queued error for some member surfaced here; this packet was not sent.
                self._drain_errors()
            except (BlockingIOError, InterruptedError):
                break
            except OSError as error:
                log.debug("send failed address=%s error=%s", address, error)
                break
        self._counts["send_errors"] += 1

    def _on_readable(self) -> None:
        # No error-queue read per wakeup: a queued ICMP error also sets the socket's pending
        # error, which the next recvfrom raises (ConnectionRefusedError), and that drains it.
        assert self._sock is not None
        for _ in range(READ_BATCH_MAX):
            try:
                data, address = self._sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:
                self._drain_errors()
                continue
            except OSError as error:
                log.debug("receive failed error=%s", error)
                return
            self._receive(data, address)

    def _receive(self, data: bytes, address: tuple[Any, ...]) -> None:
        address = (address[0], address[1])  # IPv6 adds flow info and scope id
        node = self._by_address.get(address)
        if node is None:
            self._counts["unknown_source"] += 1
            self._dropped(drops.FOREIGN, address[0])  # one peer per host, whatever its ports
            return
        if self._secauth is not None:
            opened = self._secauth.check(data)
            if not isinstance(opened, secauth.Opened):
                self._dropped(opened, f"{address[0]}:{address[1]}")
                return
            if opened.sender != node:
                # Sealed by a key holder, but not by the member this address belongs to.
                self._counts["sender_mismatch"] += 1
                self._dropped(drops.SPOOFED, f"{address[0]}:{address[1]}")
                return
            data = opened.data
        self._counts["received"] += 1
        self._detector.heard(node)
        self._on_packet(data, f"{address[0]}:{address[1]}")

    def _dropped(self, reason: str, peer: str) -> None:
        """Count a drop; warn about the peer unless it was warned about recently."""
        self._drops[reason] += 1
        suppressed = self._warnings.note(peer, self._clock_ms())
        if suppressed is None:
            log.debug("datagram dropped peer=%s reason=%s", peer, reason)
        else:
            log.warning("garbage from peer dropped peer=%s reason=%s suppressed=%d",
                        peer, reason, suppressed)

    def _drain_errors(self) -> None:
        """Read the socket's error queue and count refusals per member."""
        assert self._sock is not None
        for _ in range(ERRQUEUE_DRAIN_MAX):
            try:
                _, _, _, address = self._sock.recvmsg(1, 512, socket.MSG_ERRQUEUE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                if error.errno != errno.EAGAIN:
                    log.debug("error queue read failed error=%s", error)
                return
            self._refused(address)

    def _refused(self, address: tuple[Any, ...]) -> None:
        self._counts["refused"] += 1
        node = self._by_address.get((address[0], address[1]))
        if node is None:
            return
        if self._detector.refused(node, self._clock_ms()):
            self._counts["unreachable_reported"] += 1
            log.debug("member unreachable node=%s address=%s", node, address)
            self._on_unreachable(node)

    def stats(self) -> UdpStats:
        auth = self._secauth.status().dropped if self._secauth is not None else 0
        return UdpStats(auth_dropped=auth, drops=tuple(self._drops.items()), **self._counts)
