"""Pacemaker's own scheduler corpus through our scheduler: every case runs, a case listed
in passing.txt must keep passing (the ratchet); others are reported, not failed."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conformance.run import CASES, PASSING, all_cases, run_case


def test_every_listed_case_still_matches_the_expected_transition_summary() -> None:
    if not CASES.is_dir():
        pytest.skip(f"conformance cases not found at {CASES}")
    listed = {line.strip() for line in PASSING.read_text().splitlines() if line.strip()}
    regressions: list[str] = []
    passed = 0
    cases: list[Path] = all_cases()
    for case in cases:
        ok, err, expected, got = run_case(case)
        print(f"{'PASS' if ok else 'FAIL'} {case.name}{(' ' + err.splitlines()[0]) if err else ''}")
        passed += ok
        if not ok and case.name in listed:
            regressions.append(f"{case.name}: expected {expected} got {got} {err}")
    print(f"{passed} passed, {len(cases) - passed} failed")
    assert not regressions, "\n".join(regressions)
