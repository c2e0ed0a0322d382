"""Our crm_simulate prints what the real crm_simulate 2.1.5 prints, byte for byte, on the
scheduler corpus cases listed in identical_output.txt (the ratchet: a listed case that
differs fails; the count of identical cases is printed). See simulate_output.py."""

from __future__ import annotations

import pytest
from tests.conformance.run import CASES, all_cases
from tests.differential.simulate_output import IDENTICAL, differences, real_tool


@pytest.mark.slow
def test_listed_corpus_cases_print_the_same_output_as_the_real_crm_simulate() -> None:
    tool = real_tool()
    if tool is None:
        pytest.skip("the real crm_simulate (pacemaker-cli-utils) is not installed")
    if not CASES.is_dir():
        pytest.skip(f"conformance cases not found at {CASES}")
    listed = {line.strip() for line in IDENTICAL.read_text().splitlines() if line.strip()}
    regressions = []
    same = 0
    for case in all_cases():
        if case.name not in listed:
            continue
        diff = differences(tool, case)
        same += not diff
        if diff:
            regressions.append(f"{case.name}:\n" + "\n".join(diff[:30]))
    print(f"{same} of {len(listed)} listed cases print the same output")
    assert not regressions, "\n".join(regressions)


def test_the_ratchet_lists_only_known_cases() -> None:
    if not CASES.is_dir():
        pytest.skip(f"conformance cases not found at {CASES}")
    listed = {line.strip() for line in IDENTICAL.read_text().splitlines() if line.strip()}
    assert listed and listed <= {case.name for case in all_cases()}
