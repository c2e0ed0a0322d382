"""The `stats.` keys corosync-cmapctl shows for a running node: datagrams and drops by reason.

Owns the key names and their meaning (the daemon ships the map in its status reply; the api
only renders it). Must never count anything itself: the transport (drivers/udp.py), the Totem
core (its status counters) and the loop (its overload drops) count, this only adds them up.

Keys (all u64):
  stats.srp.udp.sent             datagrams sent (a udpu multicast counts once per member)
  stats.srp.udp.received         valid datagrams only: from a member, authentic and fresh
                                 when secauth is on, and a well-formed Totem packet
  stats.srp.udp.dropped          every datagram dropped, the sum of stats.hacluster.drops.*
  stats.srp.udp.refused          ICMP port-unreachable reports read from the error queue
  stats.srp.udp.send_errors      sends that failed (unknown member, full buffer, OS error)
  stats.srp.udp.auth_dropped     secauth drops (forged + replayed + stale + relayed + short)
  stats.srp.rx_msg_dropped       valid packets Totem ignored as protocol churn (duplicate or
                                 old-ring tokens and datagrams, stale joins): not garbage
  stats.srp.token_hold_cancel_tx HoldCancels this node multicast (a message queued while
                                 the ring idled; see totem/srp.py)
  stats.srp.token_hold_cancel_rx HoldCancels received for the current ring
  stats.srp.operational_entered  rings this node formed and entered (membership changes)
  stats.srp.operational_token_lost  tokens this node declared lost (token_ms without one;
                                 ours also counts a token lost during recovery)
  stats.srp.successor_unreachable  token successors failed on ICMP evidence (not in
                                 Corosync: its udpu ignores ICMP; see totem/phases.py)
  stats.srp.gather_silent_failed members failed in gather for saying nothing after a
                                 lost token (not in Corosync; see totem/phases.py)
  stats.hacluster.drops.<reason> per reason of hacluster.totem.drops: malformed, foreign,
                                 forged, spoofed, replayed, stale, relayed, overload
("oversized" has no key: a UDP datagram never exceeds the 64 KiB we read, and Totem's decoder
counts anything it cannot use as malformed.)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from hacluster.drivers.udp import UdpStats
from hacluster.node import drops

# Totem core counters that are garbage, not protocol churn, and their drop reason.
_TOTEM_GARBAGE: Mapping[str, str] = MappingProxyType(
    {"dropped_malformed": drops.MALFORMED, "dropped_unknown_sender": drops.FOREIGN})


def totem_counters(status: Any) -> dict[str, int]:
    """The Totem core's counters in a Node status (none for a core without Totem)."""
    totem = getattr(status, "totem", None)
    return dict(getattr(totem, "counters", ()) or ())


def stats_map(udp: UdpStats | None, counters: dict[str, int], overload: int) -> dict[str, int]:
    """Every stats key with its value, sorted by key."""
    reasons = dict.fromkeys(drops.REASONS, 0)
    reasons[drops.OVERLOAD] = overload
    for reason, count in udp.drops if udp is not None else ():
        reasons[reason] += count
    garbage_in_totem = 0
    for name, reason in _TOTEM_GARBAGE.items():
        reasons[reason] += counters.get(name, 0)
        garbage_in_totem += counters.get(name, 0)
    churn = sum(v for k, v in counters.items() if k.startswith("dropped_")) - garbage_in_totem
    out = {f"stats.hacluster.drops.{reason}": count for reason, count in reasons.items()}
    out["stats.srp.rx_msg_dropped"] = churn
    for name in ("token_hold_cancel_tx", "token_hold_cancel_rx", "successor_unreachable",
                 "gather_silent_failed"):
        out[f"stats.srp.{name}"] = counters.get(name, 0)
    out["stats.srp.operational_entered"] = counters.get("rings_formed", 0)
    out["stats.srp.operational_token_lost"] = counters.get("tokens_lost", 0)
    out["stats.srp.udp.dropped"] = sum(reasons.values())
    if udp is not None:
        # the transport passed these on; Totem then found some of them garbage
        out["stats.srp.udp.received"] = max(0, udp.received - garbage_in_totem)
        out["stats.srp.udp.sent"] = udp.sent
        out["stats.srp.udp.refused"] = udp.refused
        out["stats.srp.udp.send_errors"] = udp.send_errors
        out["stats.srp.udp.auth_dropped"] = udp.auth_dropped
    return dict(sorted(out.items()))
