"""`crm_standby` and `crm_failcount`: Pacemaker's two shell wrappers, as thin shells.

crm_standby is crm_attribute on the "standby" attribute (forever unless -l reboot);
crm_failcount shows the summed fail-count-<rsc>#<op> attributes of a resource on a node
(-G) or clears them with its history (-D, as crm_resource --cleanup). Owns only the
command lines; hacluster.api does the work. Must never decide anything about the CIB.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from hacluster.api import attributes, parameter
from hacluster.api import env as api_env
from hacluster.cli import crm_attribute
from hacluster.cli.usage import ToolParser, report
from hacluster.common import INFINITY, Code, ExitStatus, HaError


def standby_parser() -> ToolParser:
    parser = ToolParser(prog="crm_standby", description="Put a node in or out of standby "
                        "(set CIB_file=FILE to work on a file).")
    add = parser.add_argument
    add("-N", "--node", default=None, help="node name")
    add("-v", "--update", dest="value", default=None, help="on or off")
    add("-G", "--query", action="store_true", help="show the standby value")
    add("-D", "--delete", action="store_true", help="remove the standby attribute")
    add("-l", "--lifetime", default=None, help="reboot or forever (the default)")
    add("-q", "--quiet", action="store_true", help="print only the value")
    return parser


def standby_main(argv: Sequence[str] | None = None) -> int:
    args = standby_parser().parse_args(argv)
    if args.value is None and not args.delete and not args.lifetime and args.node:
        return standby_query(args.node, args.quiet)
    words = ["-n", "standby"]
    words += ["-N", args.node] if args.node else []
    words += ["-l", args.lifetime] if args.lifetime else ["-l", "forever"]
    words += ["-q"] if args.quiet else []
    if args.value is not None:
        words += ["-v", args.value]
    elif args.delete:
        words += ["-D"]
    else:
        words += ["-G"]
    return crm_attribute.main(words)


def standby_query(node: str, quiet: bool) -> int:
    """The node's standby value; "off" (in the status scope) when it has none, as
    Pacemaker's crm_standby answers."""
    env = api_env.environment(client_name="crm_standby")
    try:
        found = attributes.get(env, "standby", node, "forever")
        scope, value = found.scope, found.value
    except HaError as error:
        if not all(p.code is Code.ATTR_NOT_FOUND for p in error.problems):
            return report("crm_attribute", error, operation_line=False)
        scope, value = "status", "off"
    print(value if quiet else f"scope={scope}  name=standby value={value}")
    return 0


def failcount_parser() -> ToolParser:
    parser = ToolParser(prog="crm_failcount", description="Show or reset a resource's fail "
                        "count on a node (set CIB_file=FILE to work on a file).")
    add = parser.add_argument
    add("-r", "--resource", default="", help="resource id")
    add("-N", "--node", default="", help="node name")
    add("-n", "--operation", default="", help="only this operation's failures")
    add("-G", "--query", action="store_true", help="show the fail count (the default)")
    add("-D", "--delete", action="store_true", help="reset the fail count")
    add("-q", "--quiet", action="store_true", help="print only the value")
    return parser


def failcount_main(argv: Sequence[str] | None = None) -> int:
    args = failcount_parser().parse_args(argv)
    if not args.resource or not args.node:
        print("crm_failcount: a resource (-r) and a node (-N) are needed", file=sys.stderr)
        return int(ExitStatus.USAGE)
    env = api_env.environment(client_name="crm_failcount")
    try:
        if args.delete:  # Pacemaker's crm_failcount asks crm_resource to clean up
            parameter.cleanup(env, args.resource, args.node, failed_only=True)
            return 0
        count = parameter.fail_count(env, args.resource, args.node, args.operation)
    except HaError as error:
        if not args.delete and error.problems[0].code is Code.NODE_NOT_FOUND:
            # it asks crm_attribute, which cannot map the node, and prints no value
            print(f"crm_attribute: Could not map name={args.node} to a UUID", file=sys.stderr)
            print("" if args.quiet else f"scope=status  name=fail-count-{args.resource} "
                  "value=")
            return 0
        return report("crm_resource" if args.delete else "crm_failcount", error)
    shown = "INFINITY" if count >= INFINITY else str(count)
    print(shown if args.quiet else f"scope=status  name=fail-count-{args.resource} "
          f"value={shown}")
    return 0


if __name__ == "__main__":
    sys.exit(standby_main())
