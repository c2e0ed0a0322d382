"""votequorum rules, table-driven (votequorum(5) semantics)."""

from __future__ import annotations

import pytest

from hacluster.common import NodeId
from hacluster.events import ConfigChange, QuorumNotice, RingId, Tick
from hacluster.quorum import Votequorum, quorum_for, settings_for

ids = [NodeId(i) for i in range(1, 6)]


@pytest.mark.parametrize("expected,two_node,need", [(3, False, 2), (4, False, 3), (5, False, 3),
                                                     (2, True, 1), (2, False, 2)])
def test_quorum_is_a_strict_majority_except_two_node(expected: int, two_node: bool, need: int) -> None:
    assert quorum_for(expected, two_node) == need


def test_majority_partition_is_quorate_and_minority_is_not() -> None:
    vq = Votequorum(settings_for(ids[:3]))
    assert vq.on_configuration(0, ids[:2]).quorate
    state = vq.on_configuration(0, ids[:1])
    assert not state.quorate
    assert (state.expected_votes, state.total_votes, state.quorum) == (3, 1, 2)
    assert state.flags == ()


def test_two_node_implies_wait_for_all_until_both_were_seen() -> None:
    vq = Votequorum(settings_for(ids[:2], two_node=True))
    first = vq.on_configuration(0, ids[:1])
    assert not first.quorate and "WaitForAll" in first.flags and "2Node" in first.flags
    assert vq.on_configuration(10, ids[:2]).quorate
    alone = vq.on_configuration(20, ids[1:2])
    assert alone.quorate and alone.quorum == 1


def test_wait_for_all_can_be_switched_off_for_two_node() -> None:
    vq = Votequorum(settings_for(ids[:2], two_node=True, wait_for_all=False))
    assert vq.on_configuration(0, ids[:1]).quorate


def test_auto_tie_breaker_keeps_the_half_with_the_lowest_node_id() -> None:
    four = ids[:4]
    low = Votequorum(settings_for(four, auto_tie_breaker=True))
    high = Votequorum(settings_for(four, auto_tie_breaker=True))
    assert low.on_configuration(0, four[:2]).quorate
    assert not high.on_configuration(0, four[2:]).quorate
    assert "AutoTieBreaker" in low.state.flags


def test_last_man_standing_lowers_expected_votes_after_the_window() -> None:
    vq = Votequorum(settings_for(ids, last_man_standing=True, last_man_standing_window_ms=1000))
    vq.on_configuration(0, ids)
    state = vq.on_configuration(100, ids[:3])
    assert state.quorate and vq.next_deadline_ms() == 1100
    assert vq.on_time(1099).expected_votes == 5
    state = vq.on_time(1100)
    assert state.expected_votes == 3 and "LastManStanding" in state.flags
    state = vq.on_configuration(1200, ids[:2])
    assert state.quorate  # 2 of 3 after the window
    assert vq.on_time(2200).expected_votes == 2
    assert not vq.on_configuration(2300, ids[:1]).quorate  # never below 2 without ATB


def test_highest_expected_follows_what_is_seen() -> None:
    vq = Votequorum(settings_for(ids[:3], expected_votes=2))
    state = vq.on_configuration(0, ids[:3])
    assert state.highest_expected == 3 and state.quorum == 2


def test_step_answers_each_regular_configuration_with_a_notice() -> None:
    vq = Votequorum(settings_for(ids[:3]))
    ring = RingId(ids[0], 4)
    assert vq.step(0, ConfigChange("transitional", ring, tuple(ids[:2]))) == []
    [notice] = vq.step(0, ConfigChange("regular", ring, tuple(ids[:2])))
    assert notice == QuorumNotice(True, ring, tuple(ids[:2]), 2, 2)
    assert vq.status().quorate and vq.next_deadline_ms() is None


def test_step_on_tick_reports_the_last_man_standing_window_once() -> None:
    vq = Votequorum(settings_for(ids[:4], last_man_standing=True,
                                 last_man_standing_window_ms=1000))
    ring = RingId(ids[0], 8)
    vq.step(0, ConfigChange("regular", ring, tuple(ids[:4])))
    vq.step(100, ConfigChange("regular", ring, tuple(ids[:3])))
    assert vq.next_deadline_ms() == 1100
    assert vq.step(1099, Tick()) == []
    [notice] = vq.step(1100, Tick())
    assert notice.quorate and notice.quorum == 2 and vq.status().expected_votes == 3
    assert vq.step(1200, Tick()) == [] and vq.next_deadline_ms() is None
