"""`pcs property`, `pcs node` and `pcs stonith`: their words, one api call each.

Owns `property set|unset|config|list|show`, `node standby|unstandby|maintenance|
unmaintenance|attribute|utilization` and `stonith create|delete|config|level add|remove|
config`; fence and history need the live fencer (`stonith_admin`). Must never decide
anything about the CIB.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import MappingProxyType

from hacluster.api import cluster, fencing, property, resource_layout, stonith
from hacluster.cli.pcs import resource as pcs_resource
from hacluster.cli.pcs import show
from hacluster.cli.pcs.common import (
    Options,
    Usage,
    integer_utilization,
    pairs_of,
    print_problems,
    refuse_with_file,
)
from hacluster.common import Code, HaError

Verb = Callable[[list[str], Options], int]


def property_set(words: list[str], options: Options) -> int:
    if not words:
        raise Usage("property set", "set <property>=[<value>] ...")
    pairs = pairs_of(words, "property set", "set <property>=[<value>] ...")
    print_problems(property.set_properties(options.env(), pairs, options.force), options.force)
    return 0


def property_unset(words: list[str], options: Options) -> int:
    if not words:
        raise Usage("property unset", "unset <property> ...")
    print_problems(property.unset_properties(options.env(), words, options.force),
                   options.force)
    return 0


def property_list(words: list[str], options: Options) -> int:
    """pcs 0.11 still answers `property list|show`, with a deprecation warning."""
    print("Deprecation Warning: This command is deprecated and will be removed. Please use "
          "'pcs property config' instead.", file=sys.stderr)
    return show.property_config(words, options)


PROPERTY_VERBS = MappingProxyType({
    "set": property_set, "unset": property_unset, "config": show.property_config,
    "list": property_list, "show": property_list})


def node_flag(name: str, value: str) -> Verb:
    def run(words: list[str], options: Options) -> int:
        if not words and not options.has("--all"):
            if options.file:
                raise HaError.single(Code.NODE_NOT_FOUND,
                                     "Unable to get the local node name with -f, specify "
                                     "a node")
            local = cluster.local_status()  # no node named: this node, as pcs does
            words = [local.names.get(local.node_id) or str(local.node_id)]
        property.node_attributes(options.env(), words, [(name, value)],
                                 all_nodes=options.has("--all"))
        return 0
    return run


def node_pairs(set_tag: str) -> Verb:
    def run(words: list[str], options: Options) -> int:
        verb = "attribute" if set_tag == "instance_attributes" else "utilization"
        if len(words) < 2:
            if verb == "utilization" and words and \
                    words[0] not in property.node_names(options.env()):
                raise HaError.single(Code.NODE_NOT_FOUND, f"Unable to find a node: {words[0]}")
            print("Node Attributes:" if verb == "attribute" else "Node Utilization:")
            for node, pairs in property.node_attribute_values(options.env(), set_tag):
                if not words or words[0] == node:
                    print(f" {node}: {show.pairs_text(tuple(pairs))}")
            return 0
        given = pairs_of(words[1:], f"node {verb}", f"{verb} <node> <name>=<value>...")
        env = options.env()
        if verb == "utilization":
            if words[0] not in property.node_names(env):  # pcs looks for the node first
                raise HaError.single(Code.NODE_NOT_FOUND, f"Unable to find a node: {words[0]}")
            integer_utilization(given)
        else:
            have = dict(property.node_attribute_values(env, set_tag)).get(words[0], [])
            gone = [n for n, v in given if not v and n not in dict(have)]
            if gone and words[0] in property.node_names(env):
                print(f"Error: attribute: '{gone[0]}' doesn't exist for node: '{words[0]}'",
                      file=sys.stderr)
                return 2
        try:
            property.node_attributes(env, [words[0]], given, set_tag)
        except HaError as error:
            if verb == "utilization" or error.problems[0].code is not Code.NODE_NOT_FOUND:
                raise
            raise HaError.single(Code.NODE_NOT_FOUND, f"unable to set attribute {given[0][0]}\n"
                                 f"crm_attribute: Could not map name={words[0]} to a UUID"
                                 ) from None
        return 0
    return run


NODE_VERBS = MappingProxyType({
    "standby": node_flag("standby", "on"), "unstandby": node_flag("standby", ""),
    "maintenance": node_flag("maintenance", "on"),
    "unmaintenance": node_flag("maintenance", ""),
    "attribute": node_pairs("instance_attributes"), "utilization": node_pairs("utilization"),
})


def stonith_create(words: list[str], options: Options) -> int:
    if len(words) < 2:
        raise Usage("stonith create", "create <stonith id> <stonith device type> "
                    "[stonith device options] [op <operation action> <operation options>...] "
                    "[meta <meta options>...] [--disabled]")
    agent = words[1] if words[1].startswith("stonith:") else f"stonith:{words[1]}"
    return pcs_resource.create([words[0], agent, *words[2:]], options)


def stonith_delete(words: list[str], options: Options) -> int:
    if len(words) != 1:
        raise Usage("stonith delete", "delete <stonith id>")
    for line in resource_layout.delete(options.env(), words[0]):
        print(line)
    return 0


def stonith_level(words: list[str], options: Options) -> int:
    syntax = "level add <level> <target> <stonith id>...\n    level remove <level> [target]"
    if words and words[0] == "add" and len(words) >= 4:
        print_problems(stonith.level_add(options.env(), words[1], words[2], words[3:],
                                         options.force), options.force)
        return 0
    if words and words[0] in ("remove", "delete") and len(words) >= 2:
        stonith.level_remove(options.env(), words[1], words[2] if len(words) > 2 else "")
        return 0
    if not words or words[0] == "config":
        for target, index, devices in stonith.levels(options.env()):
            print(f"Target: {target}\n  Level {index} - {devices}")
        return 0
    raise Usage("stonith level", syntax)


def stonith_fence(words: list[str], options: Options) -> int:
    refuse_with_file(options)
    if len(words) != 1:
        raise Usage("stonith fence", "fence <node> [--off]")
    action = "off" if options.has("--off") else "reboot"
    try:
        device = fencing.fence(options.env(), words[0], action)
    except HaError as error:
        raise HaError.single(Code.FENCE_FAILED, f"unable to fence '{words[0]}': "
                             f"{error.problems[0].message}") from None
    print(f"Node: {words[0]} fenced" + (f" (by {device})" if device else ""))
    return 0


def stonith_history(words: list[str], options: Options) -> int:
    refuse_with_file(options)
    entries = fencing.history(options.env(), words[-1] if words and words[0] != "show"
                              else (words[1] if len(words) > 1 else "*"))
    for entry in entries:
        state = "successful" if entry.ok else "failed"
        print(f"{entry.action} of {entry.target} {state}: delegate={entry.executioner}, "
              f"client={entry.origin}, device={entry.device}")
    print(f"{len(entries)} event{'s' if len(entries) != 1 else ''} found")
    return 0


STONITH_VERBS = MappingProxyType({
    "create": stonith_create, "delete": stonith_delete, "remove": stonith_delete,
    "config": show.stonith_config, "level": stonith_level,
    "update": pcs_resource.update, "enable": pcs_resource.enable_disable(True),
    "disable": pcs_resource.enable_disable(False),
    "fence": stonith_fence, "history": stonith_history, "status": pcs_resource.stonith_status,
})
