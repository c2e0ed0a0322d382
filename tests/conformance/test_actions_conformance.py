"""Pacemaker's scheduler corpus, executed actions: the set of (resource, task, node) each
transition runs, probes included (tests/conformance/actions.py); a case listed in
passing_actions.txt must keep matching (the ratchet); others are reported, not failed."""

from __future__ import annotations

import pytest
from tests.conformance.actions import PASSING_ACTIONS, run_case
from tests.conformance.run import CASES, all_cases


def test_every_listed_case_still_runs_the_expected_set_of_actions() -> None:
    if not CASES.is_dir():
        pytest.skip(f"conformance cases not found at {CASES}")
    listed = {line.strip() for line in PASSING_ACTIONS.read_text().splitlines() if line.strip()}
    regressions: list[str] = []
    passed = 0
    cases = all_cases()
    for case in cases:
        ok, expected, got = run_case(case)
        passed += ok
        if not ok and case.name in listed:
            regressions.append(f"{case.name}: missing {sorted(expected - got)} "
                               f"extra {sorted(got - expected)}")
    print(f"{passed} of {len(cases)} cases run the expected set of actions")
    assert not regressions, "\n".join(regressions)


def test_the_ratchet_lists_only_known_cases() -> None:
    if not CASES.is_dir():
        pytest.skip(f"conformance cases not found at {CASES}")
    listed = {line.strip() for line in PASSING_ACTIONS.read_text().splitlines() if line.strip()}
    assert listed <= {case.name for case in all_cases()}
