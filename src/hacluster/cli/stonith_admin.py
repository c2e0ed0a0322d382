"""`stonith_admin`: fence a node, list the fence devices, show the fencing history.

Owns the command line of Pacemaker's tool for its basics (-B/--reboot, -F/--fence (off),
-U/--unfence (on), -L/--list-registered, -H/--history NODE|*, -t/--timeout SECONDS) and its
output; every decision is in hacluster.api.fencing. Exit statuses follow crm_exit_t.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hacluster.api import cib as api_cib
from hacluster.api import fencing as api
from hacluster.cli.usage import run_tool


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stonith_admin",
                                     description="Fence nodes and inspect fencing.")
    command = parser.add_mutually_exclusive_group(required=True)
    command.add_argument("-B", "--reboot", metavar="NODE")
    command.add_argument("-F", "--fence", metavar="NODE", help="power NODE off")
    command.add_argument("-U", "--unfence", metavar="NODE", help="power NODE on")
    command.add_argument("-L", "--list-registered", action="store_true")
    command.add_argument("-H", "--history", metavar="NODE", help="a node, or * for all")
    parser.add_argument("-t", "--timeout", type=int, default=None, help="seconds")
    parser.add_argument("-V", "--verbose", action="count", default=0)
    parser.add_argument("-q", "--quiet", action="store_true")
    return parser


def run(args: argparse.Namespace) -> int:
    env = api_cib.environment(client_name="stonith_admin")
    if args.list_registered:
        devices = api.registered_devices(env)
        for device in devices:
            print(f" {device}")
        print(f"{len(devices)} fence device{'' if len(devices) == 1 else 's'} found")
        return 0
    if args.history is not None:
        entries = api.history(env, args.history)
        for entry in entries:
            outcome = "successful" if entry.ok else f"failed ({entry.reason})"
            print(f"{entry.action} of {entry.target} {outcome}: delegate={entry.executioner}, "
                  f"device={entry.device or '-'}, origin={entry.origin}, "
                  f"completed {entry.age_ms // 1000}s ago")
        if not entries and not args.quiet:
            print("No fencing history")
        return 0
    target, action = next((t, a) for t, a in ((args.reboot, "reboot"), (args.fence, "off"),
                                              (args.unfence, "on")) if t)
    timeout_ms = args.timeout * 1000 if args.timeout else api.FENCE_WAIT_MS
    device = api.fence(env, target, action, timeout_ms)
    if not args.quiet:
        print(f"Node {target} {'fenced' if action != 'on' else 'unfenced'} by {device}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool("stonith_admin", build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
