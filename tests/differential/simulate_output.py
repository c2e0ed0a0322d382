"""Our `crm_simulate -S -x CASE` against the real crm_simulate 2.1.5, byte for byte, on the
scheduler corpus (../shared/conformance/scheduler): status, Transition Summary (column
layout), Executing Cluster Transition (actions, pseudo actions and their order),
Revised Cluster Status.

Run: `.venv/bin/python -m tests.differential.simulate_output [-v] [--write] [CASE ...]`
(--write rewrites the ratchet file identical_output.txt from a full run).
"""

from __future__ import annotations

import contextlib
import difflib
import io
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conformance.corpus import Verdict, Words, run_corpus
from tests.conformance.run import all_cases

from hacluster.cli.crm_simulate import main as our_main

IDENTICAL = Path(__file__).resolve().parent / "identical_output.txt"


def real_tool() -> str | None:
    return shutil.which("crm_simulate", path="/usr/sbin:/usr/bin")


def real_output(tool: str, case: Path) -> str:
    done = subprocess.run([tool, "-S", "-x", str(case / "input.xml")], capture_output=True,
                          text=True, timeout=120, check=False)
    return done.stdout


def our_output(case: Path) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        our_main(["-S", "-x", str(case / "input.xml")])
    return out.getvalue()


def differences(tool: str, case: Path) -> list[str]:
    """The unified diff real -> ours (empty when identical)."""
    real, ours = real_output(tool, case), our_output(case)
    if real == ours:
        return []
    return list(difflib.unified_diff(real.splitlines(), ours.splitlines(), "real", "ours",
                                     lineterm="", n=1)) or ["(trailing newline differs)"]


def main(argv: list[str]) -> int:
    tool = real_tool()
    if tool is None:
        print("the real crm_simulate is not installed")
        return 2

    def verdict(case: Path) -> Verdict:
        diff = differences(tool, case)
        return Verdict(not diff, details=tuple(diff))

    words = Words("SAME", "DIFF", lambda passed, total:
                  f"{passed} of {total} cases print the same crm_simulate -S output")
    run_corpus(argv, all_cases(), verdict, words, IDENTICAL, "--write")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
