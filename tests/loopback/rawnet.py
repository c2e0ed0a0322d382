"""Raw loopback packets for the hostile tests (root only): send a UDP datagram with any
source address and port (a relay or a forger posing as a member), and capture the datagrams
between members on `lo` (what an on-path attacker sees).
"""

from __future__ import annotations

import os
import socket
import struct
import time
from dataclasses import dataclass

ETH_P_IP = 0x0800
PACKET_HOST = 0  # on lo a datagram shows once, as arriving (never also as PACKET_OUTGOING)


def is_root() -> bool:
    return os.geteuid() == 0


def udp_packet(src: tuple[str, int], dst: tuple[str, int], payload: bytes) -> bytes:
    """An IPv4 + UDP packet; the kernel fills the IP checksum, length and id; UDP checksum 0
    (none, allowed on IPv4)."""
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0x4000, 64, socket.IPPROTO_UDP, 0,
                     socket.inet_aton(src[0]), socket.inet_aton(dst[0]))
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0)
    return ip + udp + payload


def send_spoofed(src: tuple[str, int], dst: tuple[str, int], payloads: list[bytes]) -> None:
    """Send each payload to `dst` as if it came from `src` (IPPROTO_RAW implies IP_HDRINCL)."""
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as raw:
        for payload in payloads:
            raw.sendto(udp_packet(src, dst, payload), (dst[0], 0))


@dataclass(frozen=True)
class Datagram:
    src: tuple[str, int]
    dst: tuple[str, int]
    payload: bytes


class Capture:
    """UDP datagrams to or from `port` on lo, as they arrive."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
        self.sock.bind(("lo", 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        self.sock.setblocking(False)

    def read(self, seconds: float) -> list[Datagram]:
        """What was captured, reading for `seconds`."""
        found: list[Datagram] = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                frame, address = self.sock.recvfrom(70000)
            except BlockingIOError:
                time.sleep(0.002)
                continue
            if address[2] != PACKET_HOST or len(frame) < 28 or frame[9] != socket.IPPROTO_UDP:
                continue
            header = (frame[0] & 0x0F) * 4
            sport, dport = struct.unpack_from("!HH", frame, header)
            if self.port not in (sport, dport):
                continue
            src = (socket.inet_ntoa(frame[12:16]), sport)
            dst = (socket.inet_ntoa(frame[16:20]), dport)
            found.append(Datagram(src, dst, frame[header + 8:]))
        return found

    def close(self) -> None:
        self.sock.close()
