"""The one loop behind every corpus runner's main(): run.py, scores.py, actions.py and
tests/differential/simulate_output.py.

Owns walking the scheduler corpus (the CASE names given, else every case), printing one
`PASS name` / `FAIL name` line per case (or the runner's own words, e.g. SAME/DIFF), the
details of a failing case under -v, the runner's total line, and rewriting its ratchet file
(the passing names, sorted) when asked with its flag on a full run. Each runner keeps its
own comparison (`judge`), words and ratchet; this module never knows what is compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Verdict:
    """One case's result: `note` follows the name on its line; `details` are printed under
    a failing case when the runner is given -v."""

    ok: bool
    note: str = ""
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Words:
    """How a runner prints: its pass/fail labels and its total line (passed, total)."""

    passed: str = "PASS"
    failed: str = "FAIL"
    total: Callable[[int, int], str] = lambda passed, total: f"{passed} of {total} cases pass"


def run_corpus(argv: list[str], cases: list[Path], judge: Callable[[Path], Verdict],
               words: Words, ratchet: Path, write_flag: str) -> dict[str, bool]:
    """Judge every case (or those named in argv), print as described above, rewrite
    `ratchet` when `write_flag` is in argv and no case was named; the results by name."""
    verbose = "-v" in argv
    names = [a for a in argv if not a.startswith("-")]
    results: dict[str, bool] = {}
    for case in cases:
        if names and case.name not in names:
            continue
        verdict = judge(case)
        results[case.name] = verdict.ok
        label = words.passed if verdict.ok else words.failed
        print(f"{label} {case.name}{verdict.note}")
        if not verdict.ok and verbose and verdict.details:
            print("\n".join(verdict.details))
    passing = sorted(name for name, ok in results.items() if ok)
    print(words.total(len(passing), len(results)))
    if write_flag in argv and not names:
        ratchet.write_text("".join(f"{name}\n" for name in passing))
    return results
