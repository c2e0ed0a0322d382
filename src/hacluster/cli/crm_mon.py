"""`crm_mon`: print the cluster status once, as Pacemaker 2.1.5's `crm_mon -1` does.

Owns the command line only (-1/--one-shot, -r/--inactive, -f/--failcounts,
--output-as text|xml); the view comes from hacluster.api.status and the text from
cli/render.py. Reads $CIB_file when set, else the live cluster. Must never decide status.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from hacluster.api import env as api_env
from hacluster.api import status
from hacluster.cli import render, render_xml
from hacluster.common import ExitStatus, HaError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm_mon", description="Show the cluster status once "
        "(set CIB_file=FILE to read a file instead of the live cluster).")
    parser.add_argument("-1", "--one-shot", action="store_true",
                        help="print once and exit (the only mode supported)")
    parser.add_argument("-r", "--inactive", action="store_true",
                        help="show inactive resources too")
    parser.add_argument("-f", "--failcounts", action="store_true",
                        help="show the fail counts (Migration Summary)")
    parser.add_argument("--output-as", default="text", choices=("text", "xml"),
                        help="output format")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    now_s = int(time.time())
    try:
        view = status.status_of(api_env.environment(), now_s)
    except HaError as error:
        for problem in error.problems:
            print(f"crm_mon: {problem.message}", file=sys.stderr)
        return int(ExitStatus.ERROR)
    if args.output_as == "xml":
        typed = sys.argv if argv is None else ["crm_mon", *argv]
        request = " ".join(typed)  # the command line as given, like the real tool
        lines = render_xml.render_crm_mon_xml(view, now_s, request)
    else:
        lines = render.render_crm_mon(view, now_s, inactive=args.inactive,
                                      fail_counts=args.failcounts)
    sys.stdout.write("\n".join(lines) + "\n")
    return int(ExitStatus.OK)


if __name__ == "__main__":
    sys.exit(main())
