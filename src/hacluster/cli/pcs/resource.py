"""`pcs resource ...`: the words of pcs 0.11's resource commands, one api call each.

Owns splitting `create ID AGENT [k=v...] [op ACTION k=v...]... [meta k=v...] [clone|promotable
[ID] [k=v...]] [--group G] [--disabled]` into a CreateSpec, and the other verbs' arguments
(update, meta, op add|delete|defaults, defaults, enable, disable, move, move-with-constraint,
ban, clear, cleanup, refresh, restart, group add|remove, ungroup, clone, promotable, unclone,
utilization, status, config). Must never decide anything about the CIB.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import MappingProxyType

from hacluster.api import move, parameter, resource, resource_layout, status
from hacluster.cli import render, waiting
from hacluster.cli.pcs import show
from hacluster.cli.pcs.common import (
    Options,
    Usage,
    integer_utilization,
    missing_resource_says,
    pairs_of,
    print_problems,
    refuse_with_file,
    split_options,
)
from hacluster.common import Code, HaError, Problem

KEYWORDS = ("op", "meta", "clone", "promotable")
CREATE = ("create <resource id> [<standard>:[<provider>:]]<type> [resource options] "
          "[op <operation action> <operation options> ...] [meta <meta options>] "
          "[clone [<clone id>] [<clone meta options>] | promotable [<clone id>] "
          "[<promotable meta options>] | --group <group id>] [--disabled] [--force]")


def sections(words: list[str]) -> list[tuple[str, list[str]]]:
    """Split at the keywords: [("", instance words), ("op", ...), ("meta", ...), ...]."""
    found: list[tuple[str, list[str]]] = [("", [])]
    for word in words:
        if word in KEYWORDS:
            found.append((word, []))
        else:
            found[-1][1].append(word)
    return found


def operations_of(words: list[str], command: str) -> list[tuple[tuple[str, str], ...]]:
    """`monitor interval=10 timeout=20 start timeout=30` → one tuple per operation."""
    ops: list[list[tuple[str, str]]] = []
    for word in words:
        name, sep, value = word.partition("=")
        if sep and ops:
            ops[-1].append((name, value))
        elif sep or (ops and len(ops[-1]) == 1):
            raise HaError.single(Code.USAGE, "When using 'op' you must specify an operation "
                                 "name and at least one option")
        else:
            ops.append([("name", word)])
    if not ops or len(ops[-1]) == 1:
        raise HaError.single(Code.USAGE, "When using 'op' you must specify an operation name "
                             "and at least one option")
    return [tuple(op) for op in ops]


def clone_part(words: list[str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    clone_id = words[0] if words and "=" not in words[0] else ""
    rest = words[1:] if clone_id else words
    return clone_id, pairs_of(rest, "resource create", CREATE)


def create(words: list[str], options: Options) -> int:
    if len(words) < 2:
        raise Usage("resource create", CREATE)
    spec: dict[str, object] = {"rid": words[0], "agent": words[1],
                               "group": options.values.get("--group", ""),
                               "disabled": options.has("--disabled")}
    ops: list[tuple[tuple[str, str], ...]] = []
    for keyword, part in sections(words[2:]):
        if keyword == "":
            spec["instance"] = pairs_of(part, "resource create", CREATE)
        elif keyword == "op":
            ops += operations_of(part, "create")
        elif keyword == "meta":
            spec["meta"] = pairs_of(part, "resource create", CREATE)
        else:
            spec["clone"] = keyword
            spec["clone_id"], spec["clone_meta"] = clone_part(part)
    spec["operations"] = tuple(ops)
    warnings = resource.create(options.env(), resource.CreateSpec(**spec),  # type: ignore[arg-type]
                               options.force)
    print_problems(warnings, options.force)
    return 0


def update(words: list[str], options: Options) -> int:
    if len(words) < 2:  # pcs wants something to change
        raise Usage("resource update", "update <resource id> [resource options] [op ...] "
                    "[meta <meta options>]")
    instance: tuple[tuple[str, str], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    ops: list[tuple[tuple[str, str], ...]] = []
    for keyword, part in sections(words[1:]):
        if keyword == "":
            instance = pairs_of(part, "resource update", CREATE)
        elif keyword == "op":
            ops += operations_of(part, "update")
        elif keyword == "meta":
            meta = pairs_of(part, "resource update", CREATE)
    env = options.env()
    try:
        warnings = resource.update(env, words[0], instance, ops, meta, options.force)
    except HaError as error:
        if error.problems[0].code is Code.RSC_NOT_FOUND:
            raise HaError.single(Code.RSC_NOT_FOUND,
                                 f"Unable to find resource: {words[0]}") from None
        raise
    print_problems(warnings, options.force)
    return 0


def meta(words: list[str], options: Options) -> int:
    if len(words) < 2:
        raise Usage("resource meta", "meta <resource id> <meta options>")
    pairs = pairs_of(words[1:], "resource meta", "meta")
    with missing_resource_says("unable to find a resource/clone/group: {id}"):
        resource.meta(options.env(), words[0], pairs, options.force)
    return 0


def utilization(words: list[str], options: Options) -> int:
    if len(words) < 2:
        show.print_utilization(options.env(), words[0] if words else "")
        return 0
    given = pairs_of(words[1:], "resource utilization", "utilization")
    integer_utilization(given)
    with missing_resource_says("Unable to find a resource: {id}"):
        resource.utilization(options.env(), words[0], given)

    return 0


def enable_disable(enabled: bool) -> Callable[[list[str], Options], int]:
    def run(words: list[str], options: Options) -> int:
        if not words:
            verb = "enable" if enabled else "disable"
            raise Usage(f"resource {verb}", f"{verb} <resource id | tag id>...")
        try:
            resource.set_target_role(options.env(), words, enabled)
        except HaError as error:
            for problem in error.problems:
                text = problem.message
                if problem.code is Code.RSC_NOT_FOUND:
                    text = (f"bundle/clone/group/resource/tag '{problem.details.get('id', '')}'"
                            " does not exist")
                print(f"Error: {text}", file=sys.stderr)
            print("Error: Errors have occurred, therefore pcs is unable to continue",
                  file=sys.stderr)
            return 1
        return 0
    return run


def delete(words: list[str], options: Options) -> int:
    if len(words) != 1:
        raise Usage("resource delete", "delete <resource id|group id|bundle id|clone id>")
    for line in resource_layout.delete(options.env(), words[0]):
        print(line, file=sys.stderr)
    return 0


def move_with_constraint(words: list[str], options: Options) -> int:
    positional, named = split_options(words)
    if not positional or len(positional) > 2:
        raise Usage("resource move-with-constraint", "move-with-constraint <resource id> "
                    "[destination node] [lifetime=<lifetime>] [--promoted]")
    rid, node = positional[0], positional[1] if len(positional) > 1 else ""
    result = placement(lambda: move.move(options.env(), rid, node, int(time.time()),
                                         pcs_lifetime(named), options.has("--promoted"),
                                         pcs_rules=True), f"cannot move resource '{rid}'")
    if result.until:
        print(f"Migration will take effect until: {result.until}", file=sys.stderr)
    elif node and not result.constraint_id.startswith("cli-ban"):
        print(f"Warning: A move constraint has been created and the resource '{rid}' may or "
              "may not move depending on other configuration", file=sys.stderr)
    return 0


def pcs_lifetime(named: dict[str, str]) -> str:
    """pcs makes a lifetime that starts with a digit an ISO 8601 duration by prefixing P."""
    lifetime = named.get("lifetime", "")
    return f"P{lifetime}" if lifetime[:1].isdigit() else lifetime


def placement(call: Callable[[], move.MoveResult], failed: str) -> move.MoveResult:
    """pcs words the crm_resource errors its move/ban commands get; `failed` heads what
    crm_resource itself said ("cannot ban resource 'x'")."""
    try:
        return call()
    except HaError as error:
        problem = error.problems[0]
        if "lifetime" in problem.details:
            raise HaError.single(problem.code, f"{failed}\n{problem.message}") from None
        if problem.code is Code.NODE_NOT_FOUND:
            raise HaError.single(Code.NODE_NOT_FOUND, f"Node '{problem.details['node']}' does "
                                 "not appear to exist in configuration") from None
        if problem.code is Code.RSC_NOT_RUNNING:
            raise HaError.single(Code.RSC_NOT_RUNNING, "You must specify a node when "
                                 "moving/banning a stopped resource") from None
        if problem.code is Code.RSC_NOT_FOUND:
            raise HaError([Problem(Code.RSC_NOT_FOUND, "bundle/clone/group/resource "
                                   f"'{problem.details['id']}' does not exist",
                                   MappingProxyType({"closing": "yes"}))]) from None
        raise


def move_live(words: list[str], options: Options) -> int:
    """pcs 0.11 `resource move`: a move constraint, wait for the move, then remove it."""
    refuse_with_file(options)
    move_with_constraint(words, options)
    env = options.env()
    rid = split_options(words)[0][0]
    waiting.wait_for_settle(env, options.values.get("--wait", ""), lambda line: None)
    removed = move.clear(env, rid)
    print(f"Removed the move constraints {', '.join(removed)}: '{rid}' stays where it moved",
          file=sys.stderr)
    return 0


def ban(words: list[str], options: Options) -> int:
    positional, named = split_options(words)
    if not positional or len(positional) > 2:
        raise Usage("resource ban", "ban <resource id> [node] [lifetime=<lifetime>] "
                    "[--promoted]")
    rid, node = positional[0], positional[1] if len(positional) > 1 else ""
    result = placement(lambda: move.ban(options.env(), rid, node, int(time.time()),
                                        pcs_lifetime(named), options.has("--promoted")),
                       f"cannot ban resource '{rid}'")
    if result.until:
        print(f"Migration will take effect until: {result.until}", file=sys.stderr)
    target = result.constraint_id.rsplit("-on-", 1)[-1]
    print(f"Warning: Creating location constraint '{result.constraint_id}' with a score of "
          f"-INFINITY for resource {rid} on {target}.\n\tThis will prevent {rid} from running "
          f"on {target} until the constraint is removed\n\tThis will be the case even if "
          f"{target} is the last node in the cluster", file=sys.stderr)
    return 0


def clear(words: list[str], options: Options) -> int:
    positional, _ = split_options(words)
    if not positional or len(positional) > 2:
        raise Usage("resource clear", "clear <resource id> [node] [--promoted] [--expired]")
    node = positional[1] if len(positional) > 1 else ""
    try:
        with missing_resource_says("bundle/clone/group/resource '{id}' does not exist", True):
            removed = move.clear(options.env(), positional[0], node, options.has("--expired"),
                                 int(time.time()))
    except HaError as error:
        if error.problems[0].code is not Code.NODE_NOT_FOUND:
            raise
        # pcs runs crm_resource --clear and passes on what it said
        raise HaError.single(Code.NODE_NOT_FOUND, f"cannot clear resource '{positional[0]}'\n"
                             f"crm_resource: {error.problems[0].message}") from None
    for cid in removed:
        print(f"Removing constraint: {cid}", file=sys.stderr)
    return 0


def cleanup(refresh: bool) -> Callable[[list[str], Options], int]:
    def run(words: list[str], options: Options) -> int:
        refuse_with_file(options)  # pcs 0.11 runs crm_resource against the live cluster
        positional, named = split_options(words)
        rid = positional[0] if positional else None
        node = named.get("node")
        cleaned = parameter.cleanup(options.env(), rid, node, failed_only=not refresh)
        what = "Refreshed" if refresh else "Cleaned up"
        print(f"{what} {rid or 'all resources'}{f' on {node}' if node else ''}"
              f" ({len(cleaned)} histories)")
        return 0
    return run


def restart(words: list[str], options: Options) -> int:
    refuse_with_file(options)
    if not words:
        raise Usage("resource restart", "restart <resource id> [node] [--wait=n]")
    env = options.env()
    waiting.restart(env, words[0], int(time.time()), options.values.get("--wait", ""),
                    lambda line: None)
    print(f"{words[0]} successfully restarted")
    return 0


def resource_status(words: list[str], options: Options, stonith: bool = False) -> int:
    """pcs 0.11: crm_mon's resource list; `resource status` leaves the fencing devices out,
    `stonith status` shows only them; with an id, only that resource."""
    view = status.status_of(options.env(), int(time.time()))
    rid = next((w for w in words if "=" not in w), "")
    wanted = [r for r in view.resources if not rid or r.id == rid]
    if rid and not wanted:
        raise HaError.single(Code.RSC_NOT_FOUND, f"resource or tag id '{rid}' not found")
    lines = [f"  {line}" for line in render.resource_lines(
        wanted, inactive=not options.has("--hide-inactive"))]
    if not rid:
        lines = [line for line in lines if ("(stonith:" in line) == stonith]
    empty = "NO stonith devices configured" if stonith else "NO resources configured"
    print("\n".join(lines) if lines else empty)
    return 0


def stonith_status(words: list[str], options: Options) -> int:
    return resource_status(words, options, stonith=True)
