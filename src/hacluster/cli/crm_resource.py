"""`crm_resource`: locate, list, move, ban, clear, clean up and parameterise resources.

Owns Pacemaker 2.1.5's command line (-W/--locate, -L/--list, --list-raw, -q/--query-xml,
-M/--move, -B/--ban, -U/--clear with -N/--node, -u/--lifetime and --promoted, -C/--cleanup,
-R/--refresh, --restart, --wait, -g/-p/-d parameters with -v, --meta, -z) and its messages
and exit codes; the work is in hacluster.api (move, parameter, wait). Reads $CIB_file when
set, else the live cluster. Must never decide anything about the CIB.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

from hacluster.api import env as api_env
from hacluster.api import move
from hacluster.cli.usage import ToolParser, report
from hacluster.common import Code, ExitStatus, HaError

# The status view, its rendering, the waits and the parameter editing are imported by the
# commands that use them (the first three import the scheduler): --move/--ban/--clear start
# fast.
COMMANDS = ("locate", "list", "list_raw", "query_xml", "move", "ban", "clear", "cleanup",
            "refresh", "restart", "wait", "get_parameter", "set_parameter", "delete_parameter")


def build_parser() -> ToolParser:
    parser = ToolParser(prog="crm_resource", description="Perform tasks related to cluster "
                        "resources (set CIB_file=FILE to work on a file).")
    add = parser.add_argument
    add("-r", "--resource", default=None, help="resource id")
    add("-N", "--node", default=None, help="node name")
    add("-W", "--locate", action="store_true", help="show where the resource is running")
    add("-L", "--list", action="store_true", help="list all cluster resources with status")
    add("--list-raw", action="store_true", help="list resource ids (instances included)")
    add("-q", "--query-xml", action="store_true", help="show the resource's configuration")
    add("-Y", "--why", action="store_true", help="show why resources are (not) running")
    add("-M", "--move", action="store_true", help="move the resource (cli-prefer constraint)")
    add("-B", "--ban", action="store_true", help="ban the resource from a node")
    add("-U", "--clear", action="store_true", help="remove move and ban constraints")
    add("-u", "--lifetime", default="", help="ISO 8601 duration for --move/--ban")
    add("--promoted", "--master", action="store_true", help="limit to the promoted role")
    add("-e", "--expired", action="store_true", help="with --clear: only expired constraints")
    add("-C", "--cleanup", action="store_true", help="forget failed operations")
    add("-R", "--refresh", action="store_true", help="forget all operation history")
    add("--restart", action="store_true", help="stop and start the resource")
    add("--wait", action="store_true", help="wait until the cluster settles")
    add("--timeout", default="", help="timeout for --wait and --restart (e.g. 60s)")
    add("-g", "--get-parameter", default=None, metavar="NAME", help="show a parameter")
    add("-p", "--set-parameter", default=None, metavar="NAME", help="set a parameter")
    add("-d", "--delete-parameter", default=None, metavar="NAME", help="delete a parameter")
    add("-v", "--parameter-value", default=None, metavar="VALUE", help="value for -p")
    add("-m", "--meta", action="store_true", help="meta attribute instead of a parameter")
    add("-z", "--utilization", action="store_true", help="utilization attribute instead")
    add("-Q", "--quiet", action="store_true", help="print only the essential")
    add("-f", "--force", action="store_true", help="force the action")
    add("-V", "--verbose", action="count", default=0, help="more output")
    return parser


def needs_resource(args: argparse.Namespace, option: str) -> None:
    if not args.resource:
        raise HaError.single(Code.USAGE, "Must supply a resource id with -r", option=option)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env = api_env.environment(client_name="crm_resource")
    try:
        return run(args, env, int(time.time()))
    except HaError as error:
        return report("crm_resource", error)


def run(args: argparse.Namespace, env: api_env.CIBEnvironment, now_s: int) -> int:
    for name in ("get_parameter", "set_parameter", "delete_parameter"):
        if getattr(args, name) is not None:
            return run_parameter(args, env, name)
    if args.locate:
        needs_resource(args, "--locate")
        return locate(args, env, now_s)
    if args.move or args.ban or args.clear:
        return run_placement(args, env, now_s)
    if args.cleanup or args.refresh:
        return run_cleanup(args, env)
    if args.why:
        from hacluster.api import why
        for line in why.reasons(env, args.resource or "", args.node or "", now_s):
            print(line)
        return 0
    if args.query_xml:
        needs_resource(args, "--query-xml")
        return query_xml(args, env, now_s)
    if args.list_raw:
        from hacluster.api import status
        view = status.status_of(env, now_s)
        print("\n".join(p.key or p.id for p in status.iter_primitives(view.resources)))
        return 0
    if args.restart:
        needs_resource(args, "--restart")
        from hacluster.cli import waiting
        waiting.restart(env, args.resource, now_s, args.timeout, progress(args))
        return 0
    if args.wait:
        return run_wait(args, env)
    return list_resources(env, now_s)


def list_resources(env: api_env.CIBEnvironment, now_s: int) -> int:
    from hacluster.api import status
    from hacluster.cli import render
    view = status.status_of(env, now_s)
    print("Full List of Resources:")
    lines = render.resource_lines(view.resources, inactive=True)
    print("\n".join(f"  {line}" for line in lines) if lines else "  * No resources")
    if view.resources:
        return 0
    print("crm_resource: Error performing operation: No such object", file=sys.stderr)
    return int(ExitStatus.NOSUCH)


def query_xml(args: argparse.Namespace, env: api_env.CIBEnvironment, now_s: int) -> int:
    from hacluster.api import parameter
    xml, tag = parameter.query_xml(env, args.resource)
    if tag == "primitive":
        from hacluster.api import status
        from hacluster.cli import render
        view = status.status_of(env, now_s)
        for primitive in status.iter_primitives(view.resources):
            if primitive.id == args.resource:
                print(render.primitive_line(primitive)[2:])
                break
    print("Resource XML:")
    print(xml, end="")
    return 0


def locate(args: argparse.Namespace, env: api_env.CIBEnvironment, now_s: int) -> int:
    found = move.locate(env, args.resource, now_s)
    if not found:
        print(f"resource {args.resource} is NOT running", file=sys.stderr)
        return 0
    for location in found:
        if args.quiet:
            print(location.node)
            continue
        role = " Promoted" if location.role == "Promoted" else ""
        print(f"resource {args.resource} is running on: {location.node}{role}")
    return 0


def run_placement(args: argparse.Namespace, env: api_env.CIBEnvironment, now_s: int) -> int:
    needs_resource(args, "--move/--ban/--clear")
    node = args.node or ""
    if args.clear:
        for cid in move.clear(env, args.resource, node, args.expired, now_s):
            print(f"Removing constraint: {cid}")
        return 0
    try:
        if args.move:
            result = move.move(env, args.resource, node, now_s, args.lifetime, args.promoted)
        else:
            result = move.ban(env, args.resource, node, now_s, args.lifetime, args.promoted)
    except HaError as error:
        if "lifetime" not in error.problems[0].details:
            raise
        print(error.problems[0].message, file=sys.stderr)  # crm_resource prints it plainly
        return int(ExitStatus.USAGE)
    if result.until:
        print(f"Migration will take effect until: {result.until}")
    for problem in result.problems:
        print(f"WARNING: {problem.message}\n\tThis will prevent {args.resource} from running "
              f"on {problem.message.rsplit(' on ', 1)[-1].rstrip('.')} until the constraint "
              "is removed using the clear option or by editing the CIB with an appropriate "
              "tool\n\tThis will be the case even if "
              f"{problem.message.rsplit(' on ', 1)[-1].rstrip('.')} is the last node in the "
              "cluster")
    return 0


def set_tag(args: argparse.Namespace) -> str:
    if args.meta:
        return "meta_attributes"
    return "utilization" if args.utilization else "instance_attributes"


def run_parameter(args: argparse.Namespace, env: api_env.CIBEnvironment, name: str) -> int:
    from hacluster.api import parameter

    needs_resource(args, f"--{name.replace('_', '-')}")
    attribute = getattr(args, name)
    tag = set_tag(args)
    if name == "get_parameter":
        value = parameter.get(env, args.resource, attribute, tag)
        if value is None:
            from hacluster.api import why
            print(f"Attribute '{attribute}' not found for "
                  f"'{why.instance_id(env, args.resource)}'", file=sys.stderr)
        else:
            print(value)
        return 0
    if name == "set_parameter":
        if args.parameter_value is None:
            print("crm_resource: You need to supply a value with the -v option",
                  file=sys.stderr)
            return int(ExitStatus.USAGE)
        try:
            done = parameter.set_value(env, args.resource, attribute, args.parameter_value,
                                       tag, args.force)
        except HaError as error:
            if "multiple" not in error.problems[0].details:
                raise
            print(error.problems[0].message, file=sys.stderr)  # a parameter hidden by a meta
            print("crm_resource: Error performing operation: Multiple items match request",
                  file=sys.stderr)
            return int(ExitStatus.MULTIPLE)
        if done.redirected_from:
            print(f"Performing update of '{attribute}' on '{done.rid}', the parent of "
                  f"'{done.redirected_from}'")
        if not args.quiet:
            in_set = f" set={done.set_id}" if done.created else ""
            print(f"Set '{done.rid}' option: id={done.nvpair_id}{in_set} "
                  f"name={done.name} value={done.value}")
        return 0
    for change in parameter.delete(env, args.resource, attribute, tag, args.force):
        if change.redirected_from:
            print(f"Performing delete of '{attribute}' on '{change.rid}', the parent of "
                  f"'{change.redirected_from}'")
        if not args.quiet:
            print(f"Deleted '{change.rid}' option: id={change.nvpair_id} name={change.name}")
    return 0


def run_cleanup(args: argparse.Namespace, env: api_env.CIBEnvironment) -> int:
    from hacluster.api import parameter
    cleaned = parameter.cleanup(env, args.resource, args.node, failed_only=args.cleanup)
    what = "Cleaned up" if args.cleanup else "Refreshed"
    if args.resource:
        where = f" on {args.node}" if args.node else ""
        print(f"{what} {args.resource}{where}")
    else:
        print(f"{what} {len(cleaned)} resource histories")
    return 0


def run_wait(args: argparse.Namespace, env: api_env.CIBEnvironment) -> int:
    from hacluster.cli import waiting
    settled = waiting.wait_for_settle(env, args.timeout, progress(args))
    return 0 if settled else int(ExitStatus.TIMEOUT)


def progress(args: argparse.Namespace) -> Callable[[str], None]:
    def show(line: str) -> None:
        if args.verbose:
            print(line, file=sys.stderr)
    return show


if __name__ == "__main__":
    sys.exit(main())
