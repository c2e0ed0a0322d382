"""Random operator command scripts: agreement of our pcs and crm_* tools with the real ones.

Owns the long run and its report: for each seed a script from tests/differential/cmdgen.py
is run through the real tools and ours (tests/differential/fuzzrun.py); the report gives,
per tool, how many commands agree entirely and how many differ in the CIB, the exit
status, the first line of stderr or (for listings and queries) stdout, then the differing
commands. Writes only inside a temporary directory.

    python bench/cmdfuzz.py --seeds 1000-1019 --length 40          # both families
    python bench/cmdfuzz.py --seeds 5 --kinds pcs --show 20 -v      # one seed, details
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from tests.differential import fuzzrun  # noqa: E402


def parse_seeds(spec: str) -> list[int]:
    seeds: list[int] = []
    for part in spec.split(","):
        low, _, high = part.partition("-")
        seeds += range(int(low), int(high or low) + 1)
    return seeds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-10")
    parser.add_argument("--length", type=int, default=40)
    parser.add_argument("--kinds", default="pcs,crm,reads")
    parser.add_argument("--base", default="", choices=("", "empty", "eayun"))
    parser.add_argument("--show", type=int, default=30, help="differing commands to print")
    parser.add_argument("-v", "--verbose", action="store_true", help="print their/our stderr")
    args = parser.parse_args(argv)
    missing = fuzzrun.RealTools.missing()
    if missing:
        print(f"skipped: {missing}")
        return 0
    real = fuzzrun.RealTools()
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    shown = 0
    seeds = parse_seeds(args.seeds)
    try:
        with tempfile.TemporaryDirectory(prefix="cmdfuzz-") as tmp:
            for seed in seeds:
                for outcome in fuzzrun.run_script(real, seed, args.length, Path(tmp),
                                                  args.kinds, args.base):
                    tool = outcome.command.tool
                    totals[tool]["commands"] += 1
                    totals[tool]["agree"] += outcome.agrees
                    for part in outcome.differences():
                        totals[tool][part] += 1
                    if not outcome.agrees and shown < args.show:
                        shown += 1
                        print(f"seed {seed}: {outcome.command.line()}")
                        print(f"   differs in {','.join(outcome.differences())}; "
                              f"rc {outcome.real[0]} vs ours {outcome.ours[0]}")
                        if args.verbose:
                            for side, got in (("real", outcome.real), ("ours", outcome.ours)):
                                print(f"   {side} err: {fuzzrun.first_line(got[2])[:200]}")
                            if outcome.cib_diff:
                                print("   " + outcome.cib_diff.replace("\n", "\n   "))
                            for side, got in (("real", outcome.real), ("ours", outcome.ours)):
                                if "stdout" in outcome.differences():
                                    print(f"   {side} out: {got[1][:600]!r}")
    finally:
        real.close()
    print(f"\nseeds {args.seeds} x {args.length} commands ({args.kinds}):")
    print(f"{'tool':15} {'commands':>8} {'agree':>6} {'cib':>5} {'rc':>4} {'stderr':>6} "
          f"{'stdout':>6}")
    for tool in sorted(totals):
        t = totals[tool]
        print(f"{tool:15} {t['commands']:8} {t['agree']:6} {t['cib']:5} {t['rc']:4} "
              f"{t['stderr']:6} {t['stdout']:6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
