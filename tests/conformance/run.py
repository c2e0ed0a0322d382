"""Conformance runner: every case under ../shared/conformance/scheduler through our
scheduler in-process; per-case PASS/FAIL, totals and a per-category table.

Run: `.venv/bin/python -m tests.conformance.run [-v] [CASE ...]`
"""

from __future__ import annotations

import os
import re
import sys
import time
import traceback
from pathlib import Path

from tests.conformance.corpus import Verdict, Words, run_corpus

from hacluster.api.simulate import simulate

REPO = Path(__file__).resolve().parent.parent.parent
SHARED = Path(os.environ.get("HACLUSTER_SHARED", REPO.parent / "shared"))
CASES = SHARED / "conformance" / "scheduler"
PASSING = Path(__file__).resolve().parent / "passing.txt"


def normalize(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        text = re.sub(r"\s+", " ", line.strip())
        if not text:
            continue
        text = text.replace("( ", "(").replace(" )", ")")
        out.append(text)
    return sorted(out)


def summary_section(case: Path, heading: str) -> list[str]:
    """The indented lines under `heading` in the case's expected.summary."""
    lines = (case / "expected.summary").read_text().splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if line.startswith(heading):
            inside = True
            continue
        if inside and line and not line[0].isspace():
            break
        if inside:
            out.append(line)
    return out


def expected_summary(case: Path) -> list[str]:
    return normalize(summary_section(case, "Transition Summary:"))


def run_case(case: Path) -> tuple[bool, str, list[str], list[str]]:
    expected = expected_summary(case)
    try:
        result = simulate((case / "input.xml").read_bytes(), now_s=int(time.time()))
    except Exception as exc:  # noqa: BLE001 - a crash is a FAIL line, never hidden
        return False, f"{type(exc).__name__}: {exc} " + traceback.format_exc(limit=-2), \
            expected, []
    got = normalize(result.transition.summary_lines())
    return got == expected, "", expected, got


def categories() -> dict[str, str]:
    out = {}
    manifest = CASES / "manifest.tsv"
    for line in manifest.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        out[parts[0]] = parts[1]
    return out


def all_cases() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "input.xml").exists())


def verdict(case: Path) -> Verdict:
    ok, err, exp, got = run_case(case)
    details = ([err] if err else []) + [f"    - {line}" for line in sorted(set(exp) - set(got))]
    details += [f"    + {line}" for line in sorted(set(got) - set(exp))]
    return Verdict(ok, (" " + err.splitlines()[0]) if err else "", tuple(details))


def main(argv: list[str]) -> int:
    words = Words(total=lambda passed, total: f"{passed} passed, {total - passed} failed")
    results = run_corpus(argv, all_cases(), verdict, words, PASSING, "--write-passing")
    cats = categories()
    table: dict[str, list[int]] = {}
    for name, ok in results.items():
        row = table.setdefault(cats.get(name, "?"), [0, 0])
        row[0] += ok
        row[1] += 1
    for cat, (p, n) in sorted(table.items()):
        print(f"  {cat:<22} {p:>3}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
