"""Score conformance: the allocation and promotion scores our scheduler prints
(`crm_simulate -s`) against each corpus case's expected.scores.

Compared: the multiset of 'allocation score' and 'promotion score' lines, each trimmed,
sorted (the order in which tables are printed is not part of the contract; how often a
table is printed is: Pacemaker prints an instance twice when its first placement is
undone). A case matches only when every line matches.
Run: `.venv/bin/python -m tests.conformance.scores [-v] [--write-passing] [CASE ...]`
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from tests.conformance.run import all_cases

from hacluster.api.simulate import simulate

PASSING_SCORES = Path(__file__).resolve().parent / "passing_scores.txt"


def score_lines(lines: list[str] | tuple[str, ...]) -> list[str]:
    return sorted(line.strip() for line in lines
                  if "allocation score" in line or "promotion score" in line)


def expected_scores(case: Path) -> list[str]:
    return score_lines((case / "expected.scores").read_text().splitlines())


def run_case(case: Path) -> tuple[bool, list[str], list[str]]:
    """(match, expected lines, our lines); a crash is a mismatch with no lines."""
    expected = expected_scores(case)
    try:
        result = simulate((case / "input.xml").read_bytes(), now_s=int(time.time()))
    except Exception:  # noqa: BLE001 - a crash is a mismatch, never hidden
        return False, expected, []
    got = score_lines(result.transition.score_lines)
    return got == expected, expected, got


def difference(expected: list[str], got: list[str]) -> tuple[list[str], list[str]]:
    """(lines missing from ours, lines only ours has), duplicates counted."""
    exp, ours = Counter(expected), Counter(got)
    return sorted((exp - ours).elements()), sorted((ours - exp).elements())


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    names = [a for a in argv if not a.startswith("-")]
    passing: list[str] = []
    total = 0
    for case in all_cases():
        if names and case.name not in names:
            continue
        ok, exp, got = run_case(case)
        total += 1
        if ok:
            passing.append(case.name)
        print(f"{'PASS' if ok else 'FAIL'} {case.name}")
        if not ok and verbose:
            missing, extra = difference(exp, got)
            for line in missing:
                print(f"   - {line}")
            for line in extra:
                print(f"   + {line}")
    print(f"{len(passing)} of {total} cases print the expected scores")
    if "--write-passing" in argv and not names:
        PASSING_SCORES.write_text("".join(f"{n}\n" for n in passing))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
