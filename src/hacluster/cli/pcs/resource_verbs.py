"""`pcs resource` verbs that arrange resources: group, clone, op, defaults; and the verb table.

Owns the arguments of `group add|remove|delete`, `ungroup`, `clone`, `promotable`,
`unclone`, `op add|delete|remove|defaults`, `defaults [update]` and `VERBS`, the table the
pcs entry point dispatches `pcs resource <verb>` through. Must never decide anything about
the CIB.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import MappingProxyType

from hacluster.api import resource_layout
from hacluster.cli.pcs import resource, show
from hacluster.cli.pcs.common import (
    Options,
    Usage,
    missing_resource_says,
    pairs_of,
    print_problems,
    split_options,
)
from hacluster.common import Code, HaError, Problem


def group(words: list[str], options: Options) -> int:
    if len(words) < 2 or words[0] not in ("add", "remove", "delete"):
        raise Usage("resource group", "group add <group id> <resource id>... | "
                    "group remove <group id> [<resource id>]...")
    if words[0] == "add":
        if len(words) < 3:
            raise Usage("resource group add", "group add <group id> <resource id>...")
        try:
            resource_layout.group_add(options.env(), words[1], words[2:])
        except HaError as error:
            missing = [p for p in error.problems if p.code is Code.RSC_NOT_FOUND]
            if not missing or len(missing) != len(error.problems):
                raise
            problems = [Problem(Code.RSC_NOT_FOUND, f"'{p.details.get('id')}' does not exist",
                                p.details) for p in missing]
            if len(missing) == len(words[2:]):
                problems.append(Problem(Code.RSC_NOT_FOUND, f"Cannot modify group '{words[1]}',"
                                        " no resources to add or remove specified",
                                        MappingProxyType({"closing": "yes"})))
            raise HaError(problems) from None
        return 0
    resource_layout.group_remove(options.env(), words[1], words[2:])
    return 0


def ungroup(words: list[str], options: Options) -> int:
    if not words:
        raise Usage("resource ungroup", "ungroup <group id> [<resource id>]...")
    resource_layout.group_remove(options.env(), words[0], words[1:])
    return 0


def clone(promotable: bool) -> Callable[[list[str], Options], int]:
    def run(words: list[str], options: Options) -> int:
        verb = "promotable" if promotable else "clone"
        if not words:
            raise Usage(f"resource {verb}", f"{verb} <resource id> [<clone id>] "
                        "[meta options]")
        positional, named = split_options(words[1:])
        clone_id = positional[0] if positional else ""
        with missing_resource_says("unable to find group or resource: {id}"):
            warnings = resource_layout.clone(options.env(), words[0], clone_id,
                                             tuple(named.items()), promotable, options.force)
        print_problems(warnings, options.force)
        return 0
    return run


def unclone(words: list[str], options: Options) -> int:
    if len(words) != 1:
        raise Usage("resource unclone", "unclone <clone id | resource id>")
    with missing_resource_says("could not find resource: {id}"):
        resource_layout.unclone(options.env(), words[0])
    return 0


def op(words: list[str], options: Options) -> int:
    syntax = ("op add <resource id> <operation action> [operation properties]\n    "
              "op delete <resource id> <operation action> [<operation properties>...]\n    "
              "op defaults [update] [options]")
    if not words or words[0] not in ("add", "delete", "remove", "defaults"):
        raise Usage("resource op", syntax)
    if words[0] == "defaults":
        return defaults(words[1:], options, "op_defaults")
    if words[0] == "add":
        if len(words) < 3:
            raise Usage("resource op add", syntax)
        pairs = pairs_of(words[3:], "resource op add", syntax)
        with missing_resource_says("Unable to find resource: {id}"):
            warnings = resource_layout.op_add(options.env(), words[1], words[2], pairs,
                                              options.force)
        print_problems(warnings, options.force)
        return 0
    if len(words) < 2:
        raise Usage("resource op delete", syntax)
    name = words[2] if len(words) > 2 else ""
    with missing_resource_says("Unable to find resource: {id}"):
        resource_layout.op_delete(options.env(), words[1], name,
                                  pairs_of(words[3:], "resource op delete", syntax))
    return 0


def defaults(words: list[str], options: Options, section: str = "rsc_defaults") -> int:
    prefix = "resource op defaults" if section == "op_defaults" else "resource defaults"
    if not words or words[0] == "config":
        sets = resource_layout.defaults_sets(options.env(), section)
        if not sets:
            print("No defaults set")
        for set_id, listed in sets:  # pcs 0.11 lists each set under its id
            print(f"Meta Attrs: {set_id}")
            for name, value in sorted(listed):
                print(f"  {name}={value}")
        return 0
    if words[0] == "update":
        words = words[1:]
    else:
        print(f"Deprecation Warning: This command is deprecated and will be removed. Please "
              f"use 'pcs {prefix} update' instead.", file=sys.stderr)
    pairs = pairs_of(words, prefix, "defaults [update] <name>=<value>...")
    print_problems(resource_layout.set_defaults(options.env(), section, pairs), options.force)
    return 0


def move(words: list[str], options: Options) -> int:
    return resource.move_live(words, options)


VERBS = MappingProxyType({
    "status": resource.resource_status, "config": show.resource_config,
    "show": show.resource_config, "create": resource.create, "delete": resource.delete,
    "remove": resource.delete, "update": resource.update, "meta": resource.meta,
    "op": op, "defaults": defaults, "enable": resource.enable_disable(True),
    "disable": resource.enable_disable(False), "move": move,
    "move-with-constraint": resource.move_with_constraint, "ban": resource.ban,
    "clear": resource.clear, "cleanup": resource.cleanup(refresh=False),
    "refresh": resource.cleanup(refresh=True), "restart": resource.restart, "group": group,
    "ungroup": ungroup, "clone": clone(False), "promotable": clone(True), "unclone": unclone,
    "utilization": resource.utilization,
})
