"""The udpu transport on real loopback sockets: delivery, secauth at the edge, ICMP evidence."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from hacluster.common import Code, NodeId, exit_status_for
from hacluster.drivers.udp import RefusalLimiter, UdpTransport
from hacluster.totem.secauth import Secauth

KEY = b"k" * 64


def free_port(seed: str) -> int:
    """A port chosen from the test's name and pid so parallel runs do not clash."""
    base = 20000 + zlib.crc32(f"{seed}{os.getpid()}".encode()) % 20000
    for port in range(base, base + 200):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            probe.close()
    raise RuntimeError("no free port")


class Ends:
    def __init__(self) -> None:
        self.packets: list[tuple[bytes, str]] = []
        self.unreachable: list[NodeId] = []
        self.now_ms = 0

    def clock(self) -> int:
        return self.now_ms


def make(port: int, me: int, peers: dict[int, str], ends: Ends,
         key: bytes | None = None) -> UdpTransport:
    sealer = Secauth(key, me, 1) if key else None
    return UdpTransport((f"127.0.0.{me}", port),
                        {NodeId(n): (a, port) for n, a in peers.items()},
                        lambda d, s: ends.packets.append((d, s)),
                        ends.unreachable.append, ends.clock, 1000, sealer)


async def settle(condition, timeout_s: float = 2.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not condition() and loop.time() < end:
        await asyncio.sleep(0.005)


def test_every_refusal_is_reported_up_to_a_limit_per_window() -> None:
    limiter = RefusalLimiter(window_ms=1000, reports_max=3)
    assert [limiter.refused(NodeId(2), at) for at in (0, 1, 2, 3, 4)] == [
        True, True, True, False, False]  # a flood of errors does not flood the core
    assert limiter.refused(NodeId(3), 5), "counted per member"
    assert limiter.refused(NodeId(2), 1001), "the first ones left the window"


def test_hearing_from_a_member_resets_its_limit() -> None:
    limiter = RefusalLimiter(window_ms=1000, reports_max=2)
    limiter.refused(NodeId(3), 0)
    limiter.refused(NodeId(3), 1)
    assert not limiter.refused(NodeId(3), 2)
    limiter.heard(NodeId(3))
    assert limiter.refused(NodeId(3), 3)


def test_the_limiter_lets_at_least_the_two_reports_the_core_needs_through() -> None:
    with pytest.raises(AssertionError):
        RefusalLimiter(window_ms=1000, reports_max=1)


def test_a_unicast_and_a_multicast_reach_the_members() -> None:
    port = free_port("unicast")

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        e1, e2, e3 = Ends(), Ends(), Ends()
        t1 = make(port, 1, {2: "127.0.0.2", 3: "127.0.0.3"}, e1)
        t2 = make(port, 2, {1: "127.0.0.1", 3: "127.0.0.3"}, e2)
        t3 = make(port, 3, {1: "127.0.0.1", 2: "127.0.0.2"}, e3)
        for t in (t1, t2, t3):
            t.open(loop)
        try:
            t1.send(NodeId(2), b"to-two")
            t1.multicast(b"to-all")
            await settle(lambda: len(e2.packets) == 2 and len(e3.packets) == 1)
            assert [d for d, _ in e2.packets] == [b"to-two", b"to-all"]
            assert e2.packets[0][1] == f"127.0.0.1:{port}"
            assert [d for d, _ in e3.packets] == [b"to-all"]
            assert e1.packets == [] and t1.stats().sent == 3
        finally:
            for t in (t1, t2, t3):
                t.close()

    asyncio.run(scenario())


def test_packets_from_non_members_are_dropped_and_counted() -> None:
    port = free_port("nonmember")

    async def scenario() -> None:
        ends = Ends()
        t1 = make(port, 1, {2: "127.0.0.2"}, ends)
        t1.open(asyncio.get_running_loop())
        stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        stranger.bind(("127.0.0.9", 0))
        try:
            stranger.sendto(b"hello", ("127.0.0.1", port))
            await settle(lambda: t1.stats().unknown_source == 1)
            assert ends.packets == [] and t1.stats().unknown_source == 1
        finally:
            stranger.close()
            t1.close()

    asyncio.run(scenario())


def test_secauth_at_the_edge_passes_plaintext_and_drops_a_wrong_key() -> None:
    port = free_port("secauth")

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        e1, e2, e3 = Ends(), Ends(), Ends()
        t1 = make(port, 1, {2: "127.0.0.2", 3: "127.0.0.3"}, e1, KEY)
        t2 = make(port, 2, {1: "127.0.0.1", 3: "127.0.0.3"}, e2, KEY)
        t3 = make(port, 3, {1: "127.0.0.1", 2: "127.0.0.2"}, e3, b"x" * 64)
        for t in (t1, t2, t3):
            t.open(loop)
        try:
            t1.multicast(b"sealed")
            t3.multicast(b"intruder")
            await settle(lambda: e2.packets and t2.stats().auth_dropped >= 1
                         and t1.stats().auth_dropped >= 1)
            assert [d for d, _ in e2.packets] == [b"sealed"]
            assert e3.packets == [] and t3.stats().auth_dropped == 1
            assert t2.stats().auth_dropped == 1
        finally:
            for t in (t1, t2, t3):
                t.close()

    asyncio.run(scenario())


def test_a_closed_port_is_reported_unreachable_at_each_refusal() -> None:
    port = free_port("refused")

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        e1, e3 = Ends(), Ends()
        t1 = make(port, 1, {2: "127.0.0.2", 3: "127.0.0.3"}, e1)
        t3 = make(port, 3, {1: "127.0.0.1", 2: "127.0.0.2"}, e3)
        t1.open(loop)
        t3.open(loop)
        try:
            t1.send(NodeId(2), b"one")  # nothing listens on 127.0.0.2
            await settle(lambda: e1.unreachable)
            assert e1.unreachable == [NodeId(2)], "the core decides what one refusal proves"
            t1.multicast(b"two")  # the live member 3 must still get it
            await settle(lambda: len(e1.unreachable) == 2 and e3.packets)
            assert e1.unreachable == [NodeId(2), NodeId(2)]
            assert [d for d, _ in e3.packets] == [b"two"]
            t1.send(NodeId(3), b"three")
            await settle(lambda: len(e3.packets) == 2)
            assert [d for d, _ in e3.packets] == [b"two", b"three"]
        finally:
            t1.close()
            t3.close()

    asyncio.run(scenario())


def test_ipv6_members_exchange_packets_and_refusals_are_attributed() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no ::1 here")
    finally:
        probe.close()
    port = free_port("ipv6")

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        e1, e2 = Ends(), Ends()
        peers = {NodeId(2): ("::1", port + 1), NodeId(3): ("::1", port + 2)}
        t1 = UdpTransport(("::1", port), peers, lambda d, s: e1.packets.append((d, s)),
                          e1.unreachable.append, e1.clock, 1000)
        t2 = UdpTransport(("::1", port + 1), {NodeId(1): ("::1", port)},
                          lambda d, s: e2.packets.append((d, s)), e2.unreachable.append,
                          e2.clock, 1000)
        t1.open(loop)
        t2.open(loop)
        try:
            t1.multicast(b"v6")  # node 3's port is closed: a refusal
            t1.multicast(b"v6 again")
            await settle(lambda: len(e2.packets) == 2 and len(e1.unreachable) == 2)
            assert [d for d, _ in e2.packets] == [b"v6", b"v6 again"]
            assert e1.unreachable == [NodeId(3), NodeId(3)]
        finally:
            t1.close()
            t2.close()

    asyncio.run(scenario())


def test_a_key_holder_sealing_as_another_node_is_dropped() -> None:
    port = free_port("mismatch")

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        e1, e3 = Ends(), Ends()
        t1 = make(port, 1, {3: "127.0.0.3"}, e1, KEY)
        t3 = UdpTransport(("127.0.0.3", port), {NodeId(1): ("127.0.0.1", port)},
                          lambda d, s: e3.packets.append((d, s)), e3.unreachable.append,
                          e3.clock, 1000, Secauth(KEY, 2, 1))  # right key, claims node 2
        t1.open(loop)
        t3.open(loop)
        try:
            t3.multicast(b"spoof")
            await settle(lambda: t1.stats().sender_mismatch == 1)
            assert e1.packets == [] and t1.stats().sender_mismatch == 1
        finally:
            t1.close()
            t3.close()

    asyncio.run(scenario())


def intruder_bind(address: tuple[str, int]) -> OSError | None:
    """What an unprivileged process gets when it binds `address` with every reuse option."""
    intruder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        intruder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        intruder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        intruder.bind(address)
        return None
    except OSError as error:
        return error
    finally:
        intruder.close()


def test_the_totem_port_is_owned_exclusively_a_second_bind_fails() -> None:
    port = free_port("exclusive")

    async def scenario() -> None:
        t1 = make(port, 1, {2: "127.0.0.2"}, Ends())
        t1.open(asyncio.get_running_loop())
        try:
            for address in (("127.0.0.1", port), ("0.0.0.0", port)):
                error = intruder_bind(address)
                assert error is not None and error.errno == errno.EADDRINUSE, address
            second = make(port, 1, {2: "127.0.0.2"}, Ends())
            with pytest.raises(OSError):
                second.open(asyncio.get_running_loop())
        finally:
            t1.close()
        assert intruder_bind(("127.0.0.1", port)) is None, "closed: the port is free again"

    asyncio.run(scenario())


def daemon_on_taken_port(tmp_path: Path, foreground: bool) -> subprocess.CompletedProcess[str]:
    port = free_port(f"taken{foreground}")
    conf = tmp_path / "corosync.conf"
    conf.write_text(
        "totem {\n version: 2\n transport: udpu\n interface {\n  ringnumber: 0\n"
        f"  bindnetaddr: 127.0.0.1\n  mcastport: {port}\n  member {{\n   memberaddr: 127.0.0.1\n"
        "  }\n  member {\n   memberaddr: 127.0.0.2\n  }\n }\n}\n"
        "quorum {\n provider: corosync_votequorum\n}\nlogging {\n to_stderr: yes\n}\n")
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the daemon once did
    squatter.bind(("127.0.0.1", port))
    try:
        return subprocess.run(
            [sys.executable, "-m", "hacluster.drivers.daemon", *(["-f"] if foreground else []),
             "-c", str(conf), "--address", "127.0.0.1", "--state-dir", str(tmp_path / "state")],
            capture_output=True, text=True, timeout=30)
    finally:
        squatter.close()
        stop_detached_daemon(tmp_path / "state" / "haclusterd.pid")


def stop_detached_daemon(pid_file: Path) -> None:
    """A daemon that started after all (the defect) must not outlive the test."""
    for _ in range(50):  # the detached child writes its pid file a moment later
        if pid_file.exists() and pid_file.read_text().strip():
            break
        time.sleep(0.02)
    else:
        return
    try:
        os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
    except (ProcessLookupError, ValueError):
        pass


@pytest.mark.parametrize("foreground", [True, False], ids=["foreground", "daemonizing"])
def test_a_daemon_whose_port_is_taken_refuses_to_start_with_one_line(
        tmp_path: Path, foreground: bool) -> None:
    done = daemon_on_taken_port(tmp_path, foreground)
    assert done.returncode == int(exit_status_for(Code.DAEMON_BIND_FAILED)) != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("haclusterd: cannot bind 127.0.0.1:")
    assert "Address already in use" in lines[0] and "[DAEMON_BIND_FAILED]" in lines[0]


def test_garbage_is_dropped_by_reason_never_received_and_warned_about_once_per_interval(
        caplog: pytest.LogCaptureFixture) -> None:
    port = free_port("garbage")

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        e1, e2 = Ends(), Ends()
        t1 = make(port, 1, {2: "127.0.0.2"}, e1, KEY)
        t2 = make(port, 2, {1: "127.0.0.1"}, e2, KEY)
        t1.open(loop)
        t2.open(loop)
        stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        stranger.bind(("127.0.0.9", 0))
        try:
            t2.send(NodeId(1), b"valid")
            await settle(lambda: len(e1.packets) == 1)
            for _ in range(20):
                stranger.sendto(b"junk", ("127.0.0.1", port))
                assert t2._sock is not None
                t2._sock.sendto(b"x" * 60, ("127.0.0.1", port))  # from a member: not sealed
            await settle(lambda: sum(dict(t1.stats().drops).values()) == 40)
            e1.now_ms = 60_000  # the interval has passed: one more line per peer
            stranger.sendto(b"junk", ("127.0.0.1", port))
            await settle(lambda: dict(t1.stats().drops)["foreign"] == 21)
        finally:
            stranger.close()
            t1.close()
            t2.close()
        stats = t1.stats()
        assert dict(stats.drops) == {"malformed": 0, "foreign": 21, "forged": 20, "spoofed": 0,
                                     "replayed": 0, "stale": 0, "relayed": 0}
        assert stats.received == 1 and e1.packets == [(b"valid", f"127.0.0.2:{port}")]

    with caplog.at_level(logging.WARNING, logger="hacluster.drivers.udp"):
        asyncio.run(scenario())
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "garbage from peer dropped peer=127.0.0.9 reason=foreign suppressed=0",
        f"garbage from peer dropped peer=127.0.0.2:{port} reason=forged suppressed=0",
        "garbage from peer dropped peer=127.0.0.9 reason=foreign suppressed=19"]
