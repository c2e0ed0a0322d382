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

from tests.conformance.run import all_cases

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
    lines = (case / "expected.summary").read_text().splitlines()
    inside, section = False, []
    for line in lines:
        if line.startswith("Executing Cluster Transition:"):
            inside = True
            continue
        if inside and line and not line[0].isspace():
            break
        if inside:
            section.append(line)
    return action_set(section)


def run_case(case: Path) -> tuple[bool, set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    expected = expected_actions(case)
    try:
        result = simulate((case / "input.xml").read_bytes(), now_s=int(time.time()))
    except Exception:  # noqa: BLE001 - a crash is a mismatch, never hidden
        return False, expected, set()
    got = action_set(result.transition.execution_lines())
    return got == expected, expected, got


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    names = [a for a in argv if not a.startswith("-")]
    passed = total = 0
    passing: list[str] = []
    for case in all_cases():
        if names and case.name not in names:
            continue
        ok, exp, got = run_case(case)
        total += 1
        passed += ok
        if ok:
            passing.append(case.name)
        print(f"{'PASS' if ok else 'FAIL'} {case.name}")
        if not ok and verbose:
            for item in sorted(exp - got):
                print(f"   missing {item}")
            for item in sorted(got - exp):
                print(f"   extra   {item}")
    print(f"{passed} of {total} cases run the expected set of actions")
    if "--write-passing" in argv and not names:
        PASSING_ACTIONS.write_text("".join(f"{n}\n" for n in passing))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
