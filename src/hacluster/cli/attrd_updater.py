"""`attrd_updater`: set, delete or query a node attribute through attrd.

Owns the command line of Pacemaker's tool (-n NAME with -U/-v/-B VALUE, -Y, -D or -Q; -R
without a name; -N NODE, -A, -d DELAY, -l reboot|forever, -p, -q) and its output (`name="pingd" host="node1" value="100"`);
every decision is in hacluster.api.attrd. With CIB_file set it works on that file.
Exit statuses follow crm_exit_t (105: no such attribute, 64: usage).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hacluster.api import attrd as api
from hacluster.api import cib as api_cib
from hacluster.cli.usage import run_tool
from hacluster.common import Code, HaError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attrd_updater", description="Update, delete or query a node attribute "
        "(set CIB_file=FILE to work on a file instead of the live cluster).")
    parser.add_argument("-n", "--name", default=None)
    command = parser.add_mutually_exclusive_group(required=True)
    command.add_argument("-U", "-v", "--update", dest="value", metavar="VALUE")
    # -B sets the value and its dampening (-d): with us every update carries its delay.
    command.add_argument("-B", "--update-both", dest="value", metavar="VALUE")
    command.add_argument("-Y", "--update-delay", action="store_true",
                         help="change only the dampening (requires -d)")
    command.add_argument("-D", "--delete", action="store_true")
    command.add_argument("-Q", "--query", action="store_true")
    command.add_argument("-R", "--refresh", action="store_true",
                         help="attrd writes every current value to the CIB again")
    parser.add_argument("-N", "--node", default=None)
    parser.add_argument("-A", "--all", action="store_true", help="query every node")
    parser.add_argument("-d", "--delay", default=None, help="dampening (5s, 500ms; bare: s)")
    parser.add_argument("-l", "--lifetime", default="reboot", help="reboot or forever")
    parser.add_argument("-p", "--private", action="store_true",
                        help="if this creates the attribute, never write it to the CIB")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("-V", "--verbose", action="count", default=0)
    return parser


def usage(message: str) -> HaError:
    return HaError.single(Code.ATTR_INVALID, message)


def run(args: argparse.Namespace) -> int:
    env = api_cib.environment(client_name="attrd_updater")
    if args.refresh:
        api.refresh(env)
        return 0
    if args.name is None:
        raise HaError.single(Code.USAGE, "Command requires --name argument")
    lifetime = api.lifetime_of(args.lifetime)
    if lifetime is None:
        raise usage(f"invalid lifetime {args.lifetime!r}: reboot or forever")
    if args.query:
        for entry in api.query(env, args.name, args.node, args.all):
            if args.quiet:
                print(entry.value)
            else:
                print(f'name="{entry.name}" host="{entry.node}" value="{entry.value}"')
        return 0
    delay_ms = api.parse_delay_ms(args.delay or "0")
    if delay_ms is None:
        raise usage(f"invalid delay {args.delay!r}")
    if args.update_delay and args.delay is None:
        print("Warning: 'Y' command given without required --delay", file=sys.stderr)
    value = None if args.delete or args.update_delay else args.value
    api.update(env, args.name, value, args.node, lifetime, delay_ms, private=args.private,
               delay_only=args.update_delay)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool("attrd_updater", build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
