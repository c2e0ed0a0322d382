"""`cibadmin`: read and write the CIB of a file (CIB_file=FILE) or of the live cluster.

Owns the command line (the real tool's options: -Q -C -M -R -D -E --upgrade --empty -P,
-o/--scope, -A/--xpath, -x/-X/-p input, -l, -f/--force, -c, -n, -V) and rendering; every
decision is in hacluster.api.cib. Exit statuses follow Pacemaker's crm_exit_t.
Must never touch XML itself beyond reading the input text the user gave.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import MappingProxyType

from hacluster.api import cib as api
from hacluster.cli.usage import CibadminParser
from hacluster.common import Code, ExitStatus, HaError

COMMANDS = (
    ("-Q", "--query", "query"), ("-C", "--create", "create"), ("-M", "--modify", "modify"),
    ("-R", "--replace", "replace"), ("-D", "--delete", "delete"), ("-E", "--erase", "erase"),
    ("-P", "--patch", "apply-diff"),
)
NEEDS_XML = frozenset({"create", "modify", "replace", "apply-diff"})


ERRNO_TEXT = MappingProxyType({105: "No such device or address", 108: "File exists",
                               78: "Update does not conform to the configured schema"})


def build_parser() -> argparse.ArgumentParser:
    parser = CibadminParser(
        prog="cibadmin", description="Query and change the cluster information base "
        "(set CIB_file=FILE to work on a file instead of the live cluster).")
    commands = parser.add_mutually_exclusive_group()
    for short, long, name in COMMANDS:
        commands.add_argument(short, long, dest="command", action="store_const", const=name)
    commands.add_argument("--upgrade", dest="command", action="store_const", const="upgrade")
    commands.add_argument("-a", "--empty", dest="empty", nargs="?", const="", default=None,
                          metavar="SCHEMA", help="print an empty CIB")
    parser.add_argument("-o", "--scope", "--obj_type", dest="section", metavar="SECTION")
    parser.add_argument("-A", "--xpath", dest="xpath")
    parser.add_argument("-x", "--xml-file", dest="xml_file")
    parser.add_argument("-X", "--xml-text", dest="xml_text")
    parser.add_argument("-p", "--xml-pipe", dest="xml_pipe", action="store_true")
    parser.add_argument("-l", "--local", action="store_true")
    parser.add_argument("-f", "--force", action="store_true")
    parser.add_argument("-c", "--allow-create", action="store_true")
    parser.add_argument("-n", "--no-children", action="store_true")
    parser.add_argument("-s", "--sync-call", action="store_true")
    parser.add_argument("-t", "--timeout", type=int, default=None)
    parser.add_argument("-V", "--verbose", action="count", default=0)
    return parser


def read_input(args: argparse.Namespace) -> str | None:
    """The XML the user gave; more than the CIB can hold is refused before it is read."""
    if args.xml_text is not None:
        text = str(args.xml_text)
        if len(text) > api.MAX_CIB_BYTES:
            raise api.input_too_large("the -X text", len(text), api.MAX_CIB_BYTES)
        return text
    if args.xml_file is not None:
        try:
            data = api.read_input_file(args.xml_file)
        except HaError as error:
            if error.problems[0].code is Code.CIB_TOO_LARGE:
                raise
            raise HaError.single(Code.CIB_XML_SYNTAX, f"couldn't parse input from "
                                 f"{args.xml_file}: {error.problems[0].message}") from None
        return as_text(data, args.xml_file)
    if args.xml_pipe:
        return as_text(api.read_input_stream(sys.stdin.buffer), "standard input")
    return None


def as_text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise HaError.single(Code.CIB_XML_SYNTAX,
                             f"couldn't parse input from {name}: not UTF-8 text") from None


def dangerous(what: str) -> HaError:
    return HaError.single(
        Code.CIB_DANGEROUS,
        f"{what} is considered dangerous: the --force flag is required to proceed")


def run(args: argparse.Namespace) -> int:
    if args.empty is not None:
        print(api.empty_text(args.empty or None), end="")
        return 0
    command = args.command or "query"
    if args.section is not None and args.section not in api.SECTION_PATHS:
        # cibadmin ignores an unknown scope for a query, and creates or deletes nothing
        if command in ("create", "delete"):
            return 0
        if command == "replace":
            print(f"Call failed: {ERRNO_TEXT[ExitStatus.NOSUCH]}", file=sys.stderr)
            return int(ExitStatus.NOSUCH)
        if command == "query":
            args.section = None
    env = api.environment(timeout_ms=args.timeout * 1000) if args.timeout and args.timeout > 0 \
        else api.environment()
    if command == "query":
        print(api.query_text(env, args.section, args.xpath, args.no_children), end="")
        return 0
    if command in ("erase", "upgrade") and not args.force:
        raise dangerous(f"--{command}")
    xml = read_input(args)
    if command == "apply-diff" and xml is None:
        return 0  # no patch: nothing to apply
    if (command in NEEDS_XML and xml is None) or (command == "delete" and xml is None
                                                  and args.xpath is None):
        print("Call failed: Invalid argument", file=sys.stderr)  # no input: EINVAL
        return int(ExitStatus.SOFTWARE)
    options = {"allow-create"} if args.allow_create else set()
    if command == "apply-diff" and args.force:
        options.add("no-version")
    xpath = args.xpath if command == "delete" and xml is None else None
    request = api.CIBRequest(command, xml or "", args.section, xpath, frozenset(options))
    try:
        api.submit(env, request)
    except HaError as error:
        if command == "delete" and api.exit_status(error) == ExitStatus.NOSUCH:
            return 0  # deleting what is not there succeeds, as with Pacemaker's cibadmin
        if api.exit_status(error) == ExitStatus.CONFIG:
            # a document the schema refuses (Pacemaker's schema also holds the id, idref and
            # value rules): the real cibadmin shows it, lines numbered, before saying so
            print(api.candidate_text(env, request), file=sys.stderr)
        raise
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="cibadmin: %(levelname)s: %(message)s")
    try:
        return run(args)
    except HaError as error:
        status = api.exit_status(error)
        for problem in error.problems:
            # cibadmin words these as the errno it got back, not the detail
            print(f"Call failed: {ERRNO_TEXT.get(status, problem.message)}", file=sys.stderr)
        return status


if __name__ == "__main__":
    sys.exit(main())
