"""Node state rules with fencing enabled, checked against what the real crm_simulate 2.1.5
does with a lost member's node_state (in_ccm=false crmd=offline join=down)."""

from __future__ import annotations

from hacluster.scheduler.unpack import state_with_fencing


def test_a_member_that_is_gone_is_unclean_even_with_join_down() -> None:
    # What our controller writes for a SIGKILLed node: the real scheduler fences it.
    online, unclean, pending, reason = state_with_fencing("false", False, "down", "member", "")
    assert (online, unclean, pending) == (False, True, False)
    assert reason == "peer is no longer part of the cluster"


def test_a_node_expected_down_that_is_gone_is_clean() -> None:
    assert state_with_fencing("false", False, "down", "down", "") == (False, False, False, "")
