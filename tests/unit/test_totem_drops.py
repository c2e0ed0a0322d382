"""Garbage accounting: drop reasons, the rate-limited warning, and the stats keys built from
the transport's, the Totem core's and the loop's counters."""

from __future__ import annotations

import logging
import random
from types import SimpleNamespace

import pytest

from hacluster.common import NodeId
from hacluster.drivers.stats import stats_map, totem_counters
from hacluster.drivers.udp import UdpStats
from hacluster.events import PacketIn, Tick
from hacluster.totem import Mcast, Token, Totem, TotemParams, TotemState, encode
from hacluster.totem.drops import GARBAGE_REASONS, GarbageWarnings
from hacluster.totem.messages import Frag


def test_the_first_garbage_from_a_peer_is_warned_about_at_once() -> None:
    warnings = GarbageWarnings(interval_ms=10_000)
    assert warnings.note("127.0.0.9", 5) == 0


def test_further_garbage_within_the_interval_is_suppressed_then_reported_as_a_count() -> None:
    warnings = GarbageWarnings(interval_ms=10_000)
    warnings.note("127.0.0.9", 0)
    assert [warnings.note("127.0.0.9", t) for t in range(1, 1000)] == [None] * 999
    assert warnings.note("127.0.0.9", 10_000) == 999, "one line, with the suppressed count"
    assert warnings.note("127.0.0.9", 10_001) is None


def test_each_peer_has_its_own_interval() -> None:
    warnings = GarbageWarnings(interval_ms=10_000)
    assert warnings.note("127.0.0.8", 0) == 0
    assert warnings.note("127.0.0.9", 1) == 0
    assert warnings.note("127.0.0.8", 2) is None


def test_a_spray_from_many_addresses_keeps_memory_bounded() -> None:
    warnings = GarbageWarnings(interval_ms=10_000, peers_max=4)
    for n in range(100):
        warnings.note(f"10.0.0.{n}", n)
    assert len(warnings._peers) == 4


def operational_core() -> Totem:
    core = Totem(NodeId(1), [NodeId(1), NodeId(2), NodeId(3)], TotemParams(), random.Random(1))
    core.step(0, Tick())
    assert core.state is TotemState.OPERATIONAL
    return core


def test_the_totem_core_warns_once_per_peer_about_malformed_packets(
        caplog: pytest.LogCaptureFixture) -> None:
    core = operational_core()
    with caplog.at_level(logging.WARNING, logger="hacluster.totem"):
        for t in range(1, 51):
            core.step(t, PacketIn(b"\x09garbage", "127.0.0.2:5405"))
        core.step(20_000, PacketIn(b"\x09garbage", "127.0.0.2:5405"))
    lines = [r.getMessage() for r in caplog.records if "garbage" in r.getMessage()]
    assert lines == [
        "garbage from peer dropped peer=127.0.0.2:5405 reason=malformed suppressed=0",
        "garbage from peer dropped peer=127.0.0.2:5405 reason=malformed suppressed=49"]
    assert core.status().counter("dropped_malformed") == 51


def test_a_packet_naming_a_sender_outside_the_nodelist_is_foreign() -> None:
    core = operational_core()
    stranger = Token(NodeId(99), core.status().ring_id, 5, 0, 0, 0, 0, 0, 0, False)
    core.step(1, PacketIn(encode(stranger), "127.0.0.2:5405"))
    assert core.status().counter("dropped_unknown_sender") == 1
    node_status = SimpleNamespace(totem=core.status())  # as hacluster.node.NodeStatus has it
    assert stats_map(None, totem_counters(node_status), 0)["stats.hacluster.drops.foreign"] == 1


def udp_stats(received: int, **drops: int) -> UdpStats:
    reasons = {reason: drops.get(reason, 0) for reason in GARBAGE_REASONS}
    return UdpStats(sent=7, received=received, send_errors=0, refused=2, unreachable_reported=0,
                    unknown_source=reasons["foreign"], sender_mismatch=reasons["spoofed"],
                    auth_dropped=reasons["forged"] + reasons["replayed"],
                    drops=tuple(reasons.items()))


def test_the_stats_map_adds_edge_and_core_drops_and_received_counts_only_valid_packets() -> None:
    udp = udp_stats(100, foreign=3, forged=4, replayed=5, relayed=6)
    counters = {"dropped_malformed": 10, "dropped_unknown_sender": 1,
                "dropped_duplicate_token": 2, "dropped_stale_join": 1, "rings_formed": 1,
                "token_hold_cancel_tx": 4, "token_hold_cancel_rx": 9}
    stats = stats_map(udp, counters, 8)
    assert stats["stats.srp.udp.received"] == 89, "100 passed the edge, 11 were garbage"
    assert stats["stats.hacluster.drops.malformed"] == 10
    assert stats["stats.hacluster.drops.foreign"] == 4
    assert stats["stats.hacluster.drops.forged"] == 4
    assert stats["stats.hacluster.drops.replayed"] == 5
    assert stats["stats.hacluster.drops.relayed"] == 6
    assert stats["stats.hacluster.drops.overload"] == 8
    assert stats["stats.srp.udp.dropped"] == 10 + 4 + 4 + 5 + 6 + 8
    assert stats["stats.srp.rx_msg_dropped"] == 3, "protocol churn is not garbage"
    assert stats["stats.srp.udp.sent"] == 7 and stats["stats.srp.udp.refused"] == 2
    assert stats["stats.srp.token_hold_cancel_tx"] == 4
    assert stats["stats.srp.operational_entered"] == 1  # a membership change: a new ring
    assert stats["stats.srp.operational_token_lost"] == 0
    assert stats["stats.srp.token_hold_cancel_rx"] == 9
    assert list(stats) == sorted(stats)


def test_our_own_datagram_retransmitted_by_a_member_is_churn_not_garbage(
        caplog: pytest.LogCaptureFixture) -> None:
    core = operational_core()
    own = Mcast(NodeId(1), core.status().ring_id, 1, False, ((Frag.WHOLE, b"mine"),))
    with caplog.at_level(logging.WARNING, logger="hacluster.totem"):
        core.step(1, PacketIn(encode(own), "127.0.0.2:5405"))
    assert not caplog.records
    counters = totem_counters(SimpleNamespace(totem=core.status()))
    assert stats_map(None, counters, 0)["stats.hacluster.drops.foreign"] == 0
    assert stats_map(None, counters, 0)["stats.srp.rx_msg_dropped"] == 1
