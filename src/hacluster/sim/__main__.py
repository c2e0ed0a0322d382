"""`python -m hacluster.sim --seeds A-B [--swarm] [--hostile] [--nodes N]`: run seeds, print one line
per failing seed with the command that reproduces it, end with `N passed, M failed`.

Owns only argument parsing and the report. Must never add randomness of its own.
"""

from __future__ import annotations

import argparse
import logging
import sys

from hacluster.sim.swarm import run_seed


def parse_range(text: str) -> range:
    low, _, high = text.partition("-")
    return range(int(low), int(high or low) + 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hacluster.sim")
    ap.add_argument("--seeds", default=None, help="A-B (inclusive) or one seed")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--swarm", action="store_true", help="faults chosen from the seed")
    ap.add_argument("--nodes", type=int, default=None)
    ap.add_argument("--hostile", action="store_true", help="swarm with heavy loss/dup/reorder")
    ap.add_argument("--status-writes", type=float, default=0.0, metavar="SHARE",
                    help="share of CIB client writes that are status updates (0..1)")
    ap.add_argument("--trace", action="store_true", help="print every delivery and change")
    ap.add_argument("-v", "--verbose", action="store_true", help="log at debug (virtual time)")
    args = ap.parse_args(argv)
    seeds = parse_range(args.seeds) if args.seeds else range(args.seed or 0, (args.seed or 0) + 1)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(message)s", stream=sys.stdout)
    else:  # a seed's own warnings are part of the run, not of the report
        logging.basicConfig(level=logging.ERROR, format="%(message)s", stream=sys.stderr)
    passed = failed = 0
    for seed in seeds:
        result = run_seed(seed, args.swarm or args.hostile, args.nodes, keep_trace=args.trace,
                          hostile=args.hostile, status_share=args.status_writes)
        if args.trace:
            sys.stdout.write("".join(line + "\n" for line in result.trace))
        if result.ok:
            passed += 1
            continue
        failed += 1
        extra = (" --swarm" if args.swarm else "") + (" --hostile" if args.hostile else "")
        extra += f" --nodes {args.nodes}" if args.nodes else ""
        extra += f" --status-writes {args.status_writes}" if args.status_writes else ""
        sys.stdout.write(f"seed {seed} FAILED: {result.reason}\n"
                         f"  reproduce: python -m hacluster.sim --seed {seed}{extra}\n")
    sys.stdout.write(f"{passed} passed, {failed} failed\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
