"""Executed-action conformance: the SET of (resource, task, node) our transition runs,
probes (`monitor` with interval 0) included, against the 'Executing Cluster Transition'
section of each corpus case's expected.summary.

Compared: '* Resource action: RSC TASK on NODE' lines, recurring ops and their cancels
included ('monitor=10000', 'cancel=10000'), and '* Fencing NODE' lines. Pseudo actions and
cluster actions (do_shutdown, ...) are left out.
Run: `.venv/bin/python -m tests.conformance.actions [-v] [--write-passing] [CASE ...]`
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from tests.conformance.corpus import Verdict, Words, run_corpus
from tests.conformance.run import all_cases, summary_section

from hacluster.api.simulate import simulate

PASSING_ACTIONS = Path(__file__).resolve().parent / "passing_actions.txt"
RESOURCE = re.compile(r"^\s*\* Resource action:\s+(\S+)\s+(\S+) on (\S+)\s*$")
FENCING = re.compile(r"^\s*\* Fencing (\S+)")


def action_set(lines: list[str]) -> set[tuple[str, str, str]]:
    out: set[tuple[str, str, str]] = set()
    for line in lines:
        m = RESOURCE.match(line)
        if m:
            out.add((m.group(1), m.group(2), m.group(3)))
            continue
        m = FENCING.match(line)
        if m:
            out.add(("", "stonith", m.group(1)))
    return out


def expected_actions(case: Path) -> set[tuple[str, str, str]]:
    return action_set(summary_section(case, "Executing Cluster Transition:"))


def run_case(case: Path) -> tuple[bool, set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    expected = expected_actions(case)
    try:
        result = simulate((case / "input.xml").read_bytes(), now_s=int(time.time()))
    except Exception:  # noqa: BLE001 - a crash is a mismatch, never hidden
        return False, expected, set()
    got = action_set(result.transition.execution_lines())
    return got == expected, expected, got


def verdict(case: Path) -> Verdict:
    ok, exp, got = run_case(case)
    return Verdict(ok, details=tuple([f"   missing {item}" for item in sorted(exp - got)]
                                     + [f"   extra   {item}" for item in sorted(got - exp)]))


def main(argv: list[str]) -> int:
    words = Words(total=lambda passed, total:
                  f"{passed} of {total} cases run the expected set of actions")
    run_corpus(argv, all_cases(), verdict, words, PASSING_ACTIONS, "--write-passing")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
