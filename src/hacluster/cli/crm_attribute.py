"""`crm_attribute`: query, set or delete a cluster property or a node attribute.

Owns the command line of Pacemaker's tool (-n NAME with -v VALUE, -G or -D; -N NODE,
-l reboot|forever, -t crm_config|nodes|status, -q, -d DEFAULT) and its output
(`scope=crm_config  name=NAME value=VALUE`); every decision is in hacluster.api.attributes.
With CIB_file set it works on that file. Exit statuses follow crm_exit_t (105: no such
attribute or node, 64: usage).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from hacluster.api import attrd as api_attrd
from hacluster.api import attributes as api
from hacluster.api import cib as api_cib
from hacluster.cli.usage import ToolParser, run_tool
from hacluster.common import Code, ExitStatus, HaError


def build_parser() -> argparse.ArgumentParser:
    parser = ToolParser(
        prog="crm_attribute", description="Manage cluster properties and node attributes "
        "(set CIB_file=FILE to work on a file instead of the live cluster).")
    parser.add_argument("-n", "--name", default=None)
    command = parser.add_mutually_exclusive_group()
    command.add_argument("-v", "--update", "--attr-value", dest="value", metavar="VALUE")
    command.add_argument("-G", "--query", action="store_true")
    command.add_argument("-D", "--delete", action="store_true")
    parser.add_argument("-N", "-U", "--node", default=None)
    parser.add_argument("-l", "--lifetime", default=None, help="reboot or forever")
    parser.add_argument("-t", "--type", dest="scope", default=None,
                        help="crm_config, nodes or status")
    parser.add_argument("-d", "--default", default=None, help="value when there is none")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("-V", "--verbose", action="count", default=0)
    return parser


def chosen_scope(args: argparse.Namespace) -> str | None:
    """Where the attribute lives: a lifetime decides it (reboot: status, forever: nodes)
    even over -t, as in Pacemaker; "" when -l or -t names nothing usable; None: the api
    decides from -N."""
    if args.lifetime is not None:
        lifetime = api_attrd.lifetime_of(args.lifetime) or ""
        return {"reboot": "status", "forever": "nodes"}.get(lifetime, "")
    if args.scope is not None:
        return args.scope if args.scope in api.SCOPES else ""
    return None


def refused(args: argparse.Namespace, env: api_cib.CIBEnvironment) -> int | None:
    """What Pacemaker's tool refuses once it knows the node: an unusable -l/-t, no -n, or
    (on a file) a transient attribute of a node with no status entry yet."""
    scope = chosen_scope(args)
    if scope == "crm_config" or (scope is None and args.node is None):
        node = None
    else:  # a node attribute: without -N, this host's (on a file there is no cluster)
        node = args.node or (os.uname().nodename if isinstance(env, api_cib.CibFile) else None)
        if node is not None:
            args.node = node
            api.check_node(env, node)
    if scope == "":
        return failed("Error performing operation: No message of desired type",
                      ExitStatus.PROTOCOL)
    if args.name is None and args.delete:
        return failed("Error: must specify attribute name or pattern to delete",
                      ExitStatus.USAGE)
    if args.name is None and args.value is not None:
        return failed("Error performing operation: Invalid argument", ExitStatus.SOFTWARE)
    status_set = api.missing_status_set(env, node) if scope == "status" else None
    if status_set and args.value is not None:
        print(f"Error setting {args.name}={args.value} (section=status, set={status_set}): "
              "No such device or address", file=sys.stderr)
        return failed("Error performing operation: No such device or address",
                      ExitStatus.NOSUCH)
    return None


def failed(message: str, status: ExitStatus) -> int:
    print(f"crm_attribute: {message}", file=sys.stderr)
    return int(status)


def run(args: argparse.Namespace) -> int:
    env = api_cib.environment(client_name="crm_attribute")
    stop = refused(args, env)
    if stop is not None:
        return stop
    scope = chosen_scope(args)
    lifetime = {"status": "reboot", "nodes": "forever"}.get(scope or "")
    args.scope = scope
    if args.value is not None:
        api.set_value(env, args.name, args.value, args.node, lifetime, args.scope)
        return 0
    if args.delete:
        line = api.delete(env, args.name, args.node, lifetime, args.scope)
        if line and not args.quiet:
            print(line)
        return 0
    if args.name is None:  # a query without a name lists every attribute of the scope
        every = api.get_all(env, args.node, lifetime, args.scope)
        if not every:
            return failed("Error performing operation: No such device or address",
                          ExitStatus.NOSUCH)
        for found in every:
            print(found.value if args.quiet
                  else f"scope={found.scope}  name={found.name} value={found.value}")
        return 0
    try:
        found = api.get(env, args.name, args.node, lifetime, args.scope)
        scope, value = found.scope, found.value
    except HaError as error:
        if args.default is None or not any(p.code is Code.ATTR_NOT_FOUND for p in error.problems):
            raise
        scope, value = api.scope_of(args.node, lifetime, args.scope), args.default
    print(value if args.quiet else f"scope={scope}  name={args.name} value={value}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool("crm_attribute", build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
