"""Command-line failure the way Pacemaker's tools fail: "<tool>: <message>", crm_exit_t codes.

Owns `ToolParser` (argparse that exits 64 "Incorrect usage" instead of 2), the text of each
exit status ("Error performing operation: No such object") and `report(error)`, which prints
every problem once and returns the exit status. Must never decide anything about the CIB.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import NoReturn

from hacluster.api import cib as api_cib
from hacluster.common import ExitStatus, HaError, Severity

EXIT_TEXT = MappingProxyType({
    0: "OK", 1: "Error occurred", 2: "Invalid parameter", 3: "Unimplemented",
    4: "Insufficient privileges", 5: "Not installed", 6: "Not configured", 7: "Not running",
    64: "Incorrect usage", 65: "Invalid data given", 66: "Input file not available",
    69: "Required service unavailable", 70: "Internal software bug", 73: "Can't create file",
    74: "I/O error", 75: "Temporary failure, try again", 76: "Protocol violated",
    77: "Insufficient privileges", 78: "Invalid configuration", 100: "Fatal error",
    102: "Not connected", 103: "Update was older than existing configuration",
    104: "Digest mismatch", 105: "No such object", 106: "Quorum required",
    107: "Operation not safe", 108: "Object already exists", 109: "Too many objects",
    124: "Timeout occurred",
})


def unknown_long_option(parser: argparse.ArgumentParser, words: Sequence[str]) -> str:
    """The first "--option" the parser does not know ("" when none): Pacemaker's tools
    report it before anything else."""
    for word in words:
        if word == "--":
            break
        name = word.split("=", 1)[0]
        if name.startswith("--") and name not in parser._option_string_actions:
            return word
    return ""


class ToolParser(argparse.ArgumentParser):
    """argparse with Pacemaker's answer to bad usage: one line on stderr, exit 64. An
    unknown long option is reported first, before any missing argument, as the real tools
    (glib's option parser) do; `unknown` words that line ("{}" is the option)."""

    unknown = "Unknown option {}"
    missing = "Missing argument for {}"  # glib's words; "{}" is the option as typed
    words: tuple[str, ...] = ()

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None
                         ) -> tuple[argparse.Namespace, list[str]]:
        words = list(sys.argv[1:] if args is None else args)
        self.words = tuple(words)
        unknown = unknown_long_option(self, words)
        if unknown:
            self.error(f"unrecognized arguments: {unknown}")
        return super().parse_known_args(words, namespace)

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments: "):
            message = self.unknown.format(message.split(": ", 1)[1].split()[0])
        elif message.startswith("argument ") and message.endswith(": expected one argument"):
            spellings = message[len("argument "):-len(": expected one argument")].split("/")
            typed = [w for w in self.words if w in spellings]
            message = self.missing_argument(typed[-1] if typed else spellings[0])
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(int(ExitStatus.USAGE))

    def missing_argument(self, option: str) -> str:
        return self.missing.format(option)


class CibadminParser(ToolParser):
    """cibadmin parses with getopt: getopt's words for unknown and argument-less options."""

    unknown = "unrecognized option '{}'"

    def missing_argument(self, option: str) -> str:
        if option.startswith("--"):
            return f"option '{option}' requires an argument"
        return f"option requires an argument -- '{option[1:]}'"


def exit_text(status: int) -> str:
    return EXIT_TEXT.get(status, "Unknown error")


def report(tool: str, error: HaError, operation_line: bool = True) -> int:
    """Print every problem as "<tool>: <message>" (warnings too), then Pacemaker's summary
    line; return the exit status the real tool would give."""
    status = api_cib.exit_status(error)
    for problem in error.problems:
        prefix = "warning: " if problem.severity is Severity.WARNING else ""
        print(f"{tool}: {prefix}{problem.message}", file=sys.stderr)
    if operation_line and status not in (0, int(ExitStatus.USAGE)):
        print(f"Error performing operation: {exit_text(status)}", file=sys.stderr)
    return status


def run_tool(tool: str, parser: argparse.ArgumentParser,
             run: Callable[[argparse.Namespace], int], argv: Sequence[str] | None) -> int:
    """A tool's main(): parse (bad usage exits 64, --help 0), run, and turn an HaError into
    "<tool>: <message>" lines and the exit status the real tool would give."""
    unknown = unknown_long_option(parser, list(sys.argv[1:] if argv is None else argv))
    if unknown:
        print(f"{tool}: Unknown option {unknown}", file=sys.stderr)
        return int(ExitStatus.USAGE)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(ExitStatus.USAGE) if stop.code not in (0, None) else 0
    try:
        return run(args)
    except HaError as error:
        for problem in error.problems:
            print(f"{tool}: {problem.message}", file=sys.stderr)
        return api_cib.exit_status(error)
