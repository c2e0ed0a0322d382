"""`pcs constraint ...`: location (prefers|avoids|rule|add), colocation add, order, delete,
ref, config. Owns the words only; hacluster.api.constraint does the work.
"""

from __future__ import annotations

import sys
from types import MappingProxyType

from hacluster.api import constraint, constraint_set
from hacluster.cli.pcs import show
from hacluster.cli.pcs.common import Options, Usage, print_problems
from hacluster.common import HaError

SET_USAGE = MappingProxyType({
    "rsc_order": "order set <resource1> [resourceN]... [options] [set <resourceX> ... "
                 "[options]] [setoptions [constraint_options]]",
    "rsc_colocation": "colocation set <resource1> [resourceN]... [options] [set "
                      "<resourceX> ... [options]] [setoptions [constraint_options]]",
})
LOCATION = ("location <resource> prefers|avoids <node>[=<score>]...\n    "
            "location <resource> rule [id=<rule id>] [role=<role>] [score=<score>] "
            "<expression>\n    location add <id> <resource> <node> <score>")


def add_set(tag: str, words: list[str], options: Options) -> int:
    """`constraint order|colocation set ...`."""
    try:
        warnings = constraint_set.add(options.env(), tag, words, options.force)
    except constraint_set.SetUsage:
        raise Usage("constraint [constraints]", SET_USAGE[tag]) from None
    except HaError as error:
        listing = constraint_set.duplicate_listing(error.problems)
        if listing:
            print(listing, file=sys.stderr)
        raise
    listing = constraint_set.duplicate_listing(warnings)
    if listing:
        print(listing, file=sys.stderr)
    print_problems(warnings, options.force)
    return 0


def location(words: list[str], options: Options) -> int:
    if len(words) == 5 and words[0] == "add":
        print("Warning: Validation for node existence in the cluster will be skipped",
              file=sys.stderr)
    if len(words) >= 3 and words[1] in ("prefers", "avoids"):
        print("Warning: Validation for node existence in the cluster will be skipped",
              file=sys.stderr)
        warnings = constraint.location_prefers(options.env(), words[0], words[2:],
                                               words[1] == "avoids", options.force)
    elif len(words) >= 3 and words[1] == "rule":
        warnings = constraint.location_rule(options.env(), words[0], words[2:], options.force)
    elif len(words) == 5 and words[0] == "add":
        _, cid, rid, node, score = words
        warnings = constraint.location_add(options.env(), cid, rid, node, score, options.force)
    elif len(words) >= 2 and words[0] in ("delete", "remove"):
        constraint.delete(options.env(), words[1:])
        return 0
    elif not words or words[0] in ("config", "show"):
        return show.constraint_config(words[1:], options, ("rsc_location",))
    else:
        raise Usage("constraint location", LOCATION)
    print_problems(warnings, options.force)
    return 0


def colocation(words: list[str], options: Options) -> int:
    if words and words[0] in ("delete", "remove") and len(words) >= 2:
        constraint.delete(options.env(), words[1:])
        return 0
    if not words or words[0] in ("config", "show"):
        return show.constraint_config(words[1:], options, ("rsc_colocation",))
    if words[0] == "set":
        return add_set("rsc_colocation", words[1:], options)
    if words[0] != "add":
        raise Usage("constraint colocation", "colocation add [<role>] <source resource id> "
                    "with [<role>] <target resource id> [score] [options] [id=constraint-id]")
    print_problems(constraint.colocation_add(options.env(), words[1:], options.force),
                   options.force)
    return 0


def order(words: list[str], options: Options) -> int:
    if words and words[0] in ("delete", "remove") and len(words) >= 2:
        constraint.delete(options.env(), words[1:])
        return 0
    if not words or words[0] in ("config", "show"):
        return show.constraint_config(words[1:], options, ("rsc_order",))
    if words[0] == "set":
        return add_set("rsc_order", words[1:], options)
    warnings, summary = constraint.order_add(options.env(), words, options.force)
    print(summary, file=sys.stderr)
    print_problems(warnings, options.force)
    return 0


def delete(words: list[str], options: Options) -> int:
    if not words:
        raise Usage("constraint delete", "delete <constraint id>...")
    constraint.delete(options.env(), words)
    return 0


def ref(words: list[str], options: Options) -> int:
    if not words:
        raise Usage("constraint ref", "ref <resource>...")
    for rid, ids in constraint.ref(options.env(), words).items():
        print(f"Resource: {rid}")
        print("\n".join(f"  {cid}" for cid in ids) if ids else "  No Matches.")
    return 0


def ticket(words: list[str], options: Options) -> int:
    if not words or words[0] in ("config", "show"):
        return show.constraint_config(words[1:], options, ("rsc_ticket",))
    raise Usage("constraint ticket", "ticket [config]")


VERBS = MappingProxyType({"ticket": ticket, "location": location, "colocation": colocation, "order": order, "delete": delete,
         "remove": delete, "ref": ref, "config": show.constraint_config,
         "show": show.constraint_config, "list": show.constraint_config})
