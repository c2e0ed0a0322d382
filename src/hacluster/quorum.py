"""votequorum as a small deterministic object: votes, expected votes, quorum, and the
wait_for_all / two_node / last_man_standing / auto_tie_breaker rules.

Owns the quorum decision of one node from the regular configurations Totem delivers and
the time it is given; produces a frozen `QuorumState` with what `corosync-quorumtool -s`
shows. Must never do I/O or read clocks. Semantics: votequorum(5) (our own reading).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from hacluster.common import NodeId


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
    """The quorum view of one node. `on_configuration` takes each regular configuration;
    `on_time` lets the last_man_standing window run out."""

    def __init__(self, settings: QuorumSettings) -> None:
        assert settings.votes, "votequorum needs at least one node"
        self.settings = settings
        self.expected = settings.configured_expected
        self.members: tuple[NodeId, ...] = ()
        self.waiting_for_all = settings.is_wait_for_all
        self.lms_at: int | None = None
        self.state = self._compute()

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
        self.lms_at = now_ms + self.settings.last_man_standing_window_ms if lms and shrinkable else None
        return self.state

    def on_time(self, now_ms: int) -> QuorumState:
        if self.lms_at is not None and now_ms >= self.lms_at:
            self.lms_at = None
            floor = 1 if self.settings.auto_tie_breaker else 2
            if self.state.quorate:
                self.expected = max(self._total(), floor)
                self.state = self._compute()
        return self.state

    def next_deadline_ms(self) -> int | None:
        return self.lms_at

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
