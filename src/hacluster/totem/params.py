"""Totem's timers and limits as one frozen value (`TotemParams`).

Owns the defaults and the derived values corosync.conf(5) describes (token_retransmit
from token and token_retransmits_before_loss_const, consensus = 1.2 * token).
Must never read configuration files: node.py builds it from the parsed ClusterConfig.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TotemParams:
    """Effective Totem timing (int ms) and flow-control limits."""

    token_ms: int = 1000
    token_retransmit_ms: int = 238
    hold_ms: int = 180
    consensus_ms: int = 1200
    join_ms: int = 50
    merge_ms: int = 200
    downcheck_ms: int = 1000
    fail_recv_const: int = 2500
    seqno_unchanged_const: int = 30
    window_size: int = 50
    max_messages: int = 17
    miss_count_const: int = 5
    send_join_ms: int = 0
    netmtu: int = 1500

    def __post_init__(self) -> None:
        assert self.token_ms > 0 and self.consensus_ms > 0 and self.join_ms > 0
        assert 0 < self.token_retransmit_ms <= self.token_ms
        assert 0 <= self.hold_ms < self.token_retransmit_ms
        assert self.window_size >= 1 and self.max_messages >= 1
        assert self.netmtu >= 256

    @property
    def silence_ms(self) -> int:
        """How long gather waits for a word from a member that has said nothing since the
        gather began before it counts that member failed (phases._on_silence): half the
        consensus period. A live member repeats its join every join_ms in gather, but while
        it is busy in a commit or recovery of its own it sends none, and under heavy loss
        its commit token may need retransmissions: a shorter wait split rings under 30 %
        loss (tests/sim: five nodes, 30 % loss)."""
        return max(self.consensus_ms * 3 // 4, 4 * self.join_ms)


def params_for_token(token_ms: int, retransmits_before_loss: int = 4, **overrides: int) -> TotemParams:
    """Derive the dependent timers from `token_ms` as corosync.conf(5) documents them."""
    retransmit_ms = max(1, int(token_ms / (retransmits_before_loss + 0.2)))
    values: dict[str, int] = {
        "token_ms": token_ms,
        "token_retransmit_ms": retransmit_ms,
        "hold_ms": max(0, int(retransmit_ms * 0.8) - 1),
        "consensus_ms": int(token_ms * 1.2),
    }
    values.update(overrides)
    return TotemParams(**values)
