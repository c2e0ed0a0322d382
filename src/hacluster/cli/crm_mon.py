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
from hacluster.common import Code, ExitStatus, HaError


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


def cannot_connect(output_as: str, argv: Sequence[str] | None) -> int:
    """What Pacemaker 2.1.5 does when the CIB is unreachable: a message, and exit 0."""
    message = "Could not connect to the CIB: No such device or address"
    if output_as != "xml":
        print(message, file=sys.stderr)
        return int(ExitStatus.OK)
    request = " ".join(sys.argv if argv is None else ["crm_mon", *argv])
    lines = [f'<pacemaker-result api-version="2.25" request="{render_xml.xml_escape(request)}">',
             '  <status code="0" message="OK">', "    <errors>",
             f"      <error>{message}</error>", "    </errors>", "  </status>",
             "</pacemaker-result>"]
    sys.stdout.write("\n".join(lines) + "\n")
    return int(ExitStatus.OK)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    now_s = int(time.time())
    try:
        view = status.status_of(api_env.environment(), now_s)
    except HaError as error:
        if any(p.code == Code.FILE_NOT_FOUND for p in error.problems):
            return cannot_connect(args.output_as, argv)
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
