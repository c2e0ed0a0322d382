"""corosync-cfgtool, corosync-quorumtool and corosync-cmapctl: Corosync's syntax and layout.

Owns argument parsing and rendering text exactly in the shape Corosync 3.1 prints (column
widths, labels, exit statuses: quorumtool -s exits 2 when not quorate). Must never talk to
the daemon itself: hacluster.api.cluster does, and this only renders what it returns.
The daemon is found through $HACLUSTER_STATE_DIR (default /var/lib/hacluster).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from hacluster.api import cluster as api
from hacluster.common import HaError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_NOT_QUORATE = 2
FLAG_ORDER = ("2Node", "Quorate", "WaitForAll", "LastManStanding", "AutoTieBreaker",
              "AllowDownscale", "Qdevice")


def _fetch(failure_line: str) -> api.ClusterStatus | None:
    try:
        return api.local_status()
    except HaError as error:
        print(f"{failure_line} ({error.problems[0].message})", file=sys.stderr)
        return None


# ------------------------------------------------------------------------- cfgtool


def render_link_status(status: api.ClusterStatus) -> list[str]:
    lines = [f"Local node ID {status.node_id}, transport {status.transport}",
             "LINK ID 0 ", f"\taddr\t= {status.address}", "\tstatus:"]
    for node in sorted(status.configured):
        if node == status.node_id:
            state = "localhost"
        else:
            state = "connected" if node in status.members else "disconnected"
        lines.append(f"\t\tnodeid: {node:>10}:\t{state}")
    return lines


def cfgtool_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="corosync-cfgtool",
                                     description="Display and configure corosync (hacluster)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-s", action="store_true", help="display the status of the links")
    group.add_argument("-a", metavar="NODEID", type=int, help="display a node's addresses")
    group.add_argument("-H", action="store_true", help="shut the local node down")
    args = parser.parse_args(argv)
    if args.H:
        try:
            api.shutdown_daemon()
        except HaError as error:
            print(f"Could not shutdown ({error.problems[0].message})", file=sys.stderr)
            return EXIT_ERROR
        return EXIT_OK
    status = _fetch("Could not initialize corosync configuration API error 2")
    if status is None:
        return EXIT_ERROR
    if args.a is not None:
        address = status.addresses.get(args.a)
        if address is None:
            print(f"Unable to get addresses of node {args.a}", file=sys.stderr)
            return EXIT_ERROR
        print(address)
        return EXIT_OK
    print("\n".join(render_link_status(status)))
    return EXIT_OK


# ---------------------------------------------------------------------- quorumtool


def format_nodeid(node_id: int, hexadecimal: bool) -> str:
    return f"0x{node_id:08x}" if hexadecimal else str(node_id)


def render_quorum(status: api.ClusterStatus, now_text: str, hexadecimal: bool = False) -> list[str]:
    flags = "".join(f"{f} " for f in FLAG_ORDER if f in status.flags)
    quorum_note = " " if status.quorate else "Activity blocked"
    return [
        "Quorum information", "------------------",
        f"{'Date:':<18}{now_text}",
        f"{'Quorum provider:':<18}corosync_votequorum",
        f"{'Nodes:':<18}{len(status.members)}",
        f"{'Node ID:':<18}{format_nodeid(status.node_id, hexadecimal)}",
        f"{'Ring ID:':<18}{status.ring_id}",
        f"{'Quorate:':<18}{'Yes' if status.quorate else 'No'}",
        "", "Votequorum information", "----------------------",
        f"{'Expected votes:':<18}{status.expected_votes}",
        f"{'Highest expected:':<18}{status.highest_expected}",
        f"{'Total votes:':<18}{status.total_votes}",
        f"{'Quorum:':<18}{status.quorum} {quorum_note}",
        f"{'Flags:':<18}{flags}",
        "",
    ]


def ordered_members(status: api.ClusterStatus, order: str) -> list[int]:
    """-o a (address order, as the ring lists them), n (by name) or i (by node id)."""
    members = sorted(status.members)
    if order == "n":
        return sorted(members, key=status.name_of)
    if order == "a":
        return sorted(members, key=lambda n: status.addresses.get(n, ""))
    return members


def render_members(status: api.ClusterStatus, show_addresses: bool, hexadecimal: bool = False,
                   order: str = "a", parsable: bool = False) -> list[str]:
    qdevice = f" {'Qdevice':>10}" if parsable else ""
    lines = ["Membership information", "----------------------",
             f"{'Nodeid':>10} {'Votes':>10}{qdevice} Name"]
    for node in ordered_members(status, order):
        name = status.addresses.get(node, str(node)) if show_addresses else status.name_of(node)
        local = " (local)" if node == status.node_id else ""
        column = f" {'NR':>10}" if parsable else ""  # NR: no quorum device registered
        lines.append(f"{format_nodeid(node, hexadecimal):>10} {status.votes.get(node, 1):>10}"
                     f"{column} {name}{local}")
    return lines


def quorumtool_main(argv: list[str] | None = None, clock: Callable[[], str] = time.ctime) -> int:
    parser = argparse.ArgumentParser(prog="corosync-quorumtool",
                                     description="Display quorum status (hacluster)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-s", action="store_true", help="show quorum status")
    group.add_argument("-l", action="store_true", help="list nodes")
    parser.add_argument("-i", action="store_true", help="show addresses instead of names")
    parser.add_argument("-H", action="store_true", help="show node ids in hexadecimal")
    parser.add_argument("-p", action="store_true", help="machine parsable member list")
    parser.add_argument("-o", choices=("a", "n", "i"), default="a", help="order of nodes")
    args = parser.parse_args(argv)
    status = _fetch("Cannot initialize CMAP service")
    if status is None:
        return EXIT_ERROR
    members = render_members(status, args.i, args.H, args.o, args.p)
    if args.l:
        print("\n" + "\n".join(members))
        return EXIT_OK
    print("\n".join(render_quorum(status, clock(), args.H) + members))
    # corosync-quorumtool(8): 2 = not quorate, returned only for -s (and no option).
    return EXIT_OK if status.quorate else EXIT_NOT_QUORATE


# ------------------------------------------------------------------------ cmapctl


def render_entry(entry: tuple[str, str, Any]) -> str:
    key, kind, value = entry
    return f"{key} ({kind}) = {value}"


def cmapctl_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="corosync-cmapctl",
                                     description="Access the object database (hacluster)")
    parser.add_argument("-g", metavar="KEY", help="get the value of one key")
    parser.add_argument("prefix", nargs="*", help="print only keys starting with a prefix")
    args = parser.parse_args(argv)
    status = _fetch("Failed to initialize the cmap API. Error CS_ERR_LIBRARY")
    if status is None:
        return EXIT_ERROR
    if args.g:
        found = [e for e in api.cmap_entries(status) if e[0] == args.g]
        if not found:
            print(f"Can't get key {args.g}. Error CS_ERR_NOT_EXIST", file=sys.stderr)
            return EXIT_ERROR
        print(render_entry(found[0]))
        return EXIT_OK
    for prefix in args.prefix or [""]:
        for entry in api.cmap_entries(status, prefix):
            print(render_entry(entry))
    return EXIT_OK
