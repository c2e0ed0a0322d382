"""`crm_node`: the local node and the membership, from the running haclusterd.

Owns Pacemaker 2.1.5's command line (-n/--name, -i/--cluster-id, -q/--quorum,
-p/--partition, -l/--list) and its output ("ID NAME STATE" lines for -l, names on one line
for -p, 1/0 for -q); the facts come from hacluster.api.cluster. Without a running daemon it
fails as the real tool does without a controller (exit 102). Must never decide membership.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from hacluster.api import cluster
from hacluster.cli.usage import ToolParser
from hacluster.common import Code, ExitStatus, HaError


def build_parser() -> ToolParser:
    parser = ToolParser(prog="crm_node", description="Show the local node and membership.")
    add = parser.add_argument
    add("-n", "--name", action="store_true", help="the local node's name")
    add("-i", "--cluster-id", action="store_true", help="the local node's id")
    add("-q", "--quorum", action="store_true", help="1 when the partition has quorum")
    add("-p", "--partition", action="store_true", help="the names of the partition's members")
    add("-l", "--list", action="store_true", help="every known node: id, name, state")
    add("-V", "--verbose", action="count", default=0, help="more output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = cluster.local_status()
    except HaError as error:
        reason = "Connection refused"
        if any(p.code is Code.IPC_ACCESS_DENIED for p in error.problems):
            reason = "Permission denied"
        print(f"error: Could not connect to controller: {reason}", file=sys.stderr)
        return int(ExitStatus.DISCONNECT)

    def name(node_id: int) -> str:
        return status.names.get(node_id) or str(node_id)

    if args.cluster_id:
        print(status.node_id)
    elif args.quorum:
        print(1 if status.quorate else 0)
    elif args.partition:
        print(" ".join(name(n) for n in status.members))
    elif args.list:
        for node_id in sorted(set(status.configured) | set(status.members)):
            state = "member" if node_id in status.members else "lost"
            print(f"{node_id} {name(node_id)} {state}")
    else:
        print(name(status.node_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
