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
from hacluster.api import ophistory, status
from hacluster.cli import render, render_bynode, render_xml, waiting
from hacluster.cli.usage import ToolParser
from hacluster.common import Code, ExitStatus, HaError


def build_parser() -> argparse.ArgumentParser:
    parser = ToolParser(
        prog="crm_mon", description="Show the cluster status once "
        "(set CIB_file=FILE to read a file instead of the live cluster).")
    parser.add_argument("-1", "--one-shot", action="store_true",
                        help="print once and exit (default: refresh until interrupted)")
    parser.add_argument("-i", "--interval", default="5",
                        help="seconds between refreshes (default 5; 5s, 2min also accepted)")
    parser.add_argument("--refreshes", type=int, default=0, metavar="N",
                        help="stop after N refreshes (0: until Ctrl-C)")
    parser.add_argument("-r", "--inactive", action="store_true",
                        help="show inactive resources too")
    parser.add_argument("-f", "--failcounts", action="store_true",
                        help="show the fail counts (Migration Summary)")
    parser.add_argument("-n", "--group-by-node", action="store_true",
                        help="group resources by node")
    # Accepted as the real crm_mon accepts them; their sections (node attributes of online
    # nodes, the operation history, its timing) are not rendered yet.
    parser.add_argument("-A", "--show-node-attributes", action="store_true",
                        help="accepted; the Node Attributes section is not shown yet")
    parser.add_argument("-o", "--operations", action="store_true",
                        help="accepted; the operations history is not shown yet")
    parser.add_argument("-t", "--timing-details", action="store_true",
                        help="accepted; operation timing is not shown yet")
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
    if args.one_shot or args.output_as == "xml":
        return show_once(args, argv)
    return refresh(args, argv)


def refresh(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    """The interactive mode: clear the terminal and show the status again every interval
    until interrupted (Ctrl-C) or, with --refreshes, a number of times."""
    try:
        delay_s = waiting.timeout_seconds(args.interval)
    except HaError as error:
        print(f"crm_mon: {error.problems[0].message}", file=sys.stderr)
        return int(ExitStatus.USAGE)
    shown = 0
    try:
        while True:
            if sys.stdout.isatty():
                sys.stdout.write("\x1b[H\x1b[2J")  # home + clear, as curses would
            status_code = show_once(args, argv)
            sys.stdout.flush()
            shown += 1
            if status_code != 0 or (args.refreshes and shown >= args.refreshes):
                return status_code
            time.sleep(delay_s)
    except KeyboardInterrupt:
        return int(ExitStatus.OK)


def show_once(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    now_s = int(time.time())
    try:
        root = api_env.environment().read().root
        view = status.status_of_root(root, now_s)
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
        body = None
        if args.group_by_node:
            order = ophistory.history_order(root)
            body = render_bynode.by_node_lines(view, args.inactive, order)
        lines = render.render_crm_mon(view, now_s, inactive=args.inactive,
                                      fail_counts=args.failcounts, body=body)
    sys.stdout.write("\n".join(lines) + "\n")
    return int(ExitStatus.OK)


if __name__ == "__main__":
    sys.exit(main())
