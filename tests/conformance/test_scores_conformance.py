"""Pacemaker's scheduler corpus, scores: the allocation and promotion score lines
(`crm_simulate -s`) of each case against its expected.scores (tests/conformance/scores.py).
A case listed in passing_scores.txt must keep matching exactly (the ratchet); others are
reported, not failed."""

from __future__ import annotations

import pytest
from tests.conformance.run import CASES, all_cases
from tests.conformance.scores import PASSING_SCORES, difference, run_case, score_lines


def listed() -> set[str]:
    return {line.strip() for line in PASSING_SCORES.read_text().splitlines() if line.strip()}


def test_every_listed_case_still_prints_the_expected_scores() -> None:
    if not CASES.is_dir():
        pytest.skip(f"conformance cases not found at {CASES}")
    names = listed()
    regressions: list[str] = []
    cases = all_cases()
    passed = 0
    for case in cases:
        ok, expected, got = run_case(case)
        passed += ok
        if not ok and case.name in names:
            missing, extra = difference(expected, got)
            regressions.append(f"{case.name}: missing {missing[:5]} extra {extra[:5]}")
    print(f"{passed} of {len(cases)} cases print the expected scores")
    assert not regressions, "\n".join(regressions)


def test_the_score_ratchet_lists_only_known_cases() -> None:
    if not CASES.is_dir():
        pytest.skip(f"conformance cases not found at {CASES}")
    assert listed() <= {case.name for case in all_cases()}


def test_score_lines_keep_duplicates_and_ignore_order_and_other_lines() -> None:
    lines = ["  pcmk__primitive_assign: a allocation score on n1: 0",
             "Transition Summary:",
             "pcmk__primitive_assign: a allocation score on n1: 0",
             "a:0 promotion score on n1: 5"]
    assert score_lines(lines) == ["a:0 promotion score on n1: 5",
                                  "pcmk__primitive_assign: a allocation score on n1: 0",
                                  "pcmk__primitive_assign: a allocation score on n1: 0"]
    assert difference(["x", "x"], ["x"]) == (["x"], [])
