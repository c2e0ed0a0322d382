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

from tests.conformance.corpus import Verdict, Words, run_corpus
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


def verdict(case: Path) -> Verdict:
    ok, exp, got = run_case(case)
    missing, extra = difference(exp, got)
    return Verdict(ok, details=tuple([f"   - {line}" for line in missing]
                                     + [f"   + {line}" for line in extra]))


def main(argv: list[str]) -> int:
    words = Words(total=lambda passed, total:
                  f"{passed} of {total} cases print the expected scores")
    run_corpus(argv, all_cases(), verdict, words, PASSING_SCORES, "--write-passing")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
