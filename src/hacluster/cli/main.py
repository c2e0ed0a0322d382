"""`hacluster`: the umbrella command; each subcommand registers itself from a module.

Owns the argparse root, the subcommand registry (adding one is one line in
SUBCOMMANDS: "module:function", the function adds its parser and sets `handler`),
HaError → exit status, and `hacluster config check`. Must never hold command logic:
each handler parses, calls one hacluster.api function, and renders.
"""

from __future__ import annotations

import argparse
import importlib
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any

from hacluster.api import config as api_config
from hacluster.common import Code, ExitStatus, HaError, Problem, Severity

# One line per subcommand module; imported lazily, in this order, when `hacluster` runs.
SUBCOMMANDS: tuple[str, ...] = (
    "hacluster.cli.main:register_config",
    "hacluster.cli.crm_simulate:register_explain",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hacluster", description="hacluster cluster tools")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for target in SUBCOMMANDS:
        module_name, _, function_name = target.partition(":")
        register = getattr(importlib.import_module(module_name), function_name)
        register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return int(ExitStatus.USAGE)
    try:
        return handler(args)
    except HaError as error:
        print_problems(error.problems, sys.stderr)
        return int(error.exit_status)


def print_problems(problems: Sequence[Problem], stream: Any) -> None:
    for problem in problems:
        print(str(problem), file=stream)


# ----------------------------------------------------------------------- config


def register_config(commands: Any) -> None:
    config = commands.add_parser("config", help="corosync.conf tools")
    actions = config.add_subparsers(dest="config_command", metavar="ACTION")
    check = actions.add_parser(
        "check", help="validate a corosync.conf and print its effective values")
    check.add_argument("file", metavar="FILE", nargs="?",
                       default=api_config.DEFAULT_CONFIG_PATH)
    check.add_argument("--local-address", metavar="A",
                       help="this node's address (several nodes on one host: 127.0.0.x)")
    check.add_argument("--hostname", help="look the local node up by this name")
    check.set_defaults(handler=run_config_check)
    convert = actions.add_parser(
        "convert", help="print a 1.x member-list config as a corosync 3 nodelist config")
    convert.add_argument("file", metavar="FILE")
    convert.set_defaults(handler=run_config_convert)


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except FileNotFoundError:
        raise HaError.single(Code.FILE_NOT_FOUND, f"{path}: no such file", path=path) from None
    except OSError as error:
        raise HaError.single(Code.FILE_READ_ERROR, f"{path}: {error.strerror}",
                             path=path) from None


def host_addresses(hostname: str) -> tuple[str, ...]:
    """This host's addresses as the resolver knows them (best effort, never raises)."""
    try:
        infos = socket.getaddrinfo(hostname, None)
    except OSError:
        return ()
    return tuple(sorted({str(info[4][0]) for info in infos}))


def run_config_check(args: argparse.Namespace) -> int:
    text = read_text(args.file)
    hostname = args.hostname or socket.gethostname()
    addresses = host_addresses(hostname) if args.local_address is None else ()
    result = api_config.check_config_text(
        text, args.file, keyfile_exists=os.path.isfile, addresses=addresses,
        hostname=hostname, local_address=args.local_address)
    if result.ok:
        for entry in api_config.cmap_entries(result.config, result.local_node):
            print(entry)
        print(summary_line(result))
    print_problems(result.problems, sys.stdout)
    errors = [p for p in result.problems if p.severity is Severity.ERROR]
    counts = f"{len(errors)} error(s), {len(result.problems) - len(errors)} other(s)"
    print(f"{args.file}: {'OK' if result.ok else 'INVALID'} ({counts})")
    return 0 if result.ok else int(HaError(errors).exit_status)


def run_config_convert(args: argparse.Namespace) -> int:
    result = api_config.convert_to_nodelist(read_text(args.file), args.file)
    sys.stdout.write(result.text)
    if result.changes:
        print("note: as a nodelist, effective timings change (3+ nodes scale the token by"
              " token_coefficient; set token_coefficient: 0 to keep them):", file=sys.stderr)
    for change in result.changes:
        print(f"note:   {change}", file=sys.stderr)
    return 0


def summary_line(result: api_config.ConfigCheck) -> str:
    config = result.config
    quorum = config.quorum
    local = result.local_node
    where = f"node {local.nodeid} ({local.addresses[0]})" if local else "not found"
    count = len(config.nodes)
    return (f"# {count} node{'' if count == 1 else 's'} from {config.node_source.value};"
            f" expected votes "
            f"{quorum.expected_votes}, quorum {quorum.quorum}; local node: {where}")


if __name__ == "__main__":
    sys.exit(main())
