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


def expected_summary(case: Path) -> list[str]:
    lines = (case / "expected.summary").read_text().splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if line.startswith("Transition Summary:"):
            inside = True
            continue
        if inside and line and not line[0].isspace():
            break
        if inside:
            out.append(line)
    return normalize(out)


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


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    names = [a for a in argv if not a.startswith("-")]
    cats = categories()
    results: dict[str, bool] = {}
    for case in all_cases():
        if names and case.name not in names:
            continue
        ok, err, exp, got = run_case(case)
        results[case.name] = ok
        print(f"{'PASS' if ok else 'FAIL'} {case.name}{(' ' + err.splitlines()[0]) if err else ''}")
        if not ok and verbose:
            if err:
                print(err)
            for line in sorted(set(exp) - set(got)):
                print(f"    - {line}")
            for line in sorted(set(got) - set(exp)):
                print(f"    + {line}")
    passed = sum(results.values())
    print(f"{passed} passed, {len(results) - passed} failed")
    table: dict[str, list[int]] = {}
    for name, ok in results.items():
        row = table.setdefault(cats.get(name, "?"), [0, 0])
        row[0] += ok
        row[1] += 1
    for cat, (p, n) in sorted(table.items()):
        print(f"  {cat:<22} {p:>3}/{n}")
    if "--write-passing" in argv:
        PASSING.write_text("".join(f"{n}\n" for n, ok in sorted(results.items()) if ok))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
