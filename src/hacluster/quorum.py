"""votequorum as a small deterministic object: votes, expected votes, quorum, and the
wait_for_all / two_node / last_man_standing / auto_tie_breaker rules.

Owns the quorum decision of one node from the regular configurations Totem delivers and
the time it is given; produces a frozen `QuorumState` with what `corosync-quorumtool -s`
shows. Contract (DESIGN.md §2): `step(now_ms, ConfigChange | Tick) -> [QuorumNotice]` (one
after every regular configuration, and one when the last_man_standing window changes the
state), `next_deadline_ms()`, `status()`. Must never do I/O or read clocks.
Semantics: votequorum(5) (our own reading).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hacluster.common import NodeId
from hacluster.events import ConfigChange, QuorumNotice, RingId, Tick

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QuorumSettings:
    """The quorum { } section as votequorum uses it (ms for the LMS window)."""

    votes: Mapping[NodeId, int]
    expected_votes: int = 0  # 0: the sum of every node's votes
    two_node: bool = False
    wait_for_all: bool | None = None  # None: on when two_node, else off
    last_man_standing: bool = False
    last_man_standing_window_ms: int = 10_000
    auto_tie_breaker: bool = False
    auto_tie_breaker_node: NodeId | None = None  # None: the lowest node id

    @property
    def is_wait_for_all(self) -> bool:
        return self.two_node if self.wait_for_all is None else self.wait_for_all

    @property
    def configured_expected(self) -> int:
        return self.expected_votes or sum(self.votes.values())

    @property
    def tie_breaker(self) -> NodeId:
        if self.auto_tie_breaker_node is not None:
            return self.auto_tie_breaker_node
        return min(self.votes)


def settings_for(nodes: Sequence[NodeId], **options: object) -> QuorumSettings:
    """One vote per node unless told otherwise (a convenience for tests and the simulator)."""
    votes = MappingProxyType({n: 1 for n in sorted(nodes)})
    return QuorumSettings(votes=votes, **options)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class QuorumState:
    """What corosync-quorumtool -s shows, for one node."""

    quorate: bool
    expected_votes: int
    highest_expected: int
    total_votes: int
    quorum: int
    members: tuple[NodeId, ...]
    flags: tuple[str, ...]


def quorum_for(expected: int, two_node: bool) -> int:
    """Votes needed: a strict majority, except 1 of 2 in two_node mode."""
    if two_node and expected == 2:
        return 1
    return expected // 2 + 1


class Votequorum:
    """The quorum view of one node, behind step(). `on_configuration` (each regular
    configuration) and `on_time` (the last_man_standing window) are its two parts."""

    def __init__(self, settings: QuorumSettings, logger: Any = None) -> None:
        assert settings.votes, "votequorum needs at least one node"
        self.settings = settings
        self.log = logger or log
        self.expected = settings.configured_expected
        self.members: tuple[NodeId, ...] = ()
        self.ring_id: RingId | None = None
        self.waiting_for_all = settings.is_wait_for_all
        self.lms_deadline_ms: int | None = None
        self.state = self._compute()

    def step(self, now_ms: int, event: ConfigChange | Tick) -> list[QuorumNotice]:
        if isinstance(event, ConfigChange):
            if event.kind != "regular":
                return []
            before = self.state.quorate
            self.ring_id = event.ring_id
            state = self.on_configuration(now_ms, event.members)
            if state.quorate != before:
                self.log.info("quorum %s members=%s", "gained" if state.quorate else "lost",
                              list(event.members))
            return [self._notice(event.ring_id)]
        deadline = self.lms_deadline_ms
        if deadline is None or deadline > now_ms or self.ring_id is None:
            return []
        before_state = self.state
        if self.on_time(now_ms) == before_state:
            return []
        return [self._notice(self.ring_id)]

    def status(self) -> QuorumState:
        return self.state

    def _notice(self, ring_id: RingId) -> QuorumNotice:
        state = self.state
        return QuorumNotice(state.quorate, ring_id, state.members, state.total_votes,
                            state.quorum)

    def on_configuration(self, now_ms: int, members: Sequence[NodeId]) -> QuorumState:
        self.members = tuple(sorted(members))
        total = self._total()
        if total >= self.expected:
            self.expected = total  # highest expected: never below what we see
        if self.waiting_for_all and total >= self.settings.configured_expected:
            self.waiting_for_all = False
        self.state = self._compute()
        lms = self.settings.last_man_standing and self.state.quorate
        shrinkable = total < self.expected
        window_ms = self.settings.last_man_standing_window_ms
        self.lms_deadline_ms = now_ms + window_ms if lms and shrinkable else None
        return self.state

    def on_time(self, now_ms: int) -> QuorumState:
        if self.lms_deadline_ms is not None and now_ms >= self.lms_deadline_ms:
            self.lms_deadline_ms = None
            floor = 1 if self.settings.auto_tie_breaker else 2
            if self.state.quorate:
                self.expected = max(self._total(), floor)
                self.state = self._compute()
        return self.state

    def next_deadline_ms(self) -> int | None:
        return self.lms_deadline_ms

    def _total(self) -> int:
        return sum(self.settings.votes.get(n, 0) for n in self.members)

    def is_quorate_with(self, members: Sequence[NodeId]) -> bool:
        """Whether `members` would be quorate under the current state (nothing changes):
        asked of the survivors of a breaking ring before its last messages are applied."""
        return self._decide(tuple(sorted(members)))[3]

    def _decide(self, members: tuple[NodeId, ...]) -> tuple[int, int, int, bool]:
        """(total votes, expected, quorum, quorate) of a member set."""
        s = self.settings
        total = sum(s.votes.get(n, 0) for n in members)
        expected = max(self.expected, total)
        quorum = quorum_for(expected, s.two_node)
        quorate = total >= quorum
        if s.auto_tie_breaker and not quorate and total * 2 == expected:
            quorate = s.tie_breaker in members
        return total, expected, quorum, quorate and not self.waiting_for_all

    def _compute(self) -> QuorumState:
        s = self.settings
        total, expected, quorum, quorate = self._decide(self.members)
        flags = ["Quorate"] if quorate else []
        flags += ["2Node"] if s.two_node else []
        flags += ["WaitForAll"] if s.is_wait_for_all else []
        flags += ["LastManStanding"] if s.last_man_standing else []
        flags += ["AutoTieBreaker"] if s.auto_tie_breaker else []
        return QuorumState(quorate, self.expected, expected, total, quorum,
                           self.members, tuple(flags))
