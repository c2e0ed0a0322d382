"""Resource-set constraints: `pcs constraint order set ...` and `colocation set ...`.

Owns reading `R1 R2 [opt=v...] [set R3 ... [opt=v...]]... [setoptions opt=v...]` into
<rsc_order>/<rsc_colocation> elements holding <resource_set>s, with pcs 0.11's ids
(order_set_<first and last letter of each resource>, <id>_set, <id>_set-1, ...), its checks
(unknown or bad options, missing resources, resources inside a clone, duplicates; pcs
reports them in that order) and its wording. Spec: Pacemaker Explained, "Resource Sets".
Must never print or parse command lines beyond these words.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from hacluster.api import cibedit
from hacluster.api.cibedit import error
from hacluster.api.constraint import clone_member_problems, constraints, score_problem
from hacluster.api.env import CIBEnvironment
from hacluster.cib import XMLElement
from hacluster.common import Code, HaError, Problem

BOOLEAN = ("false", "true")
SET_OPTIONS = MappingProxyType({
    "action": ("demote", "promote", "start", "stop"),
    "require-all": BOOLEAN,
    "role": ("Master", "Promoted", "Slave", "Started", "Stopped", "Unpromoted"),
    "sequential": BOOLEAN,
})
CONSTRAINT_OPTIONS = MappingProxyType({
    "rsc_order": MappingProxyType({"id": (), "kind": ("Mandatory", "Optional", "Serialize"),
                                   "symmetrical": BOOLEAN}),
    "rsc_colocation": MappingProxyType({"id": (), "score": ()}),
})
Sets = list[tuple[list[str], dict[str, str]]]


class SetUsage(Exception):
    """The words are not a set constraint: the caller prints the command's usage."""


def parse(words: Sequence[str]) -> tuple[Sets, dict[str, str]]:
    """`R1 R2 k=v set R3 setoptions k=v` → ([([R1, R2], {k: v}), ([R3], {})], {k: v})."""
    sets: Sets = [([], {})]
    options: dict[str, str] = {}
    in_options = False
    for word in words:
        if word == "set" and not in_options:
            sets.append(([], {}))
        elif word == "setoptions":
            in_options = True
        elif in_options or "=" in word:
            name, _, value = word.partition("=")
            (options if in_options else sets[-1][1])[name] = value
        else:
            sets[-1][0].append(word)
    if any(not resources for resources, _ in sets):
        raise SetUsage
    return sets, options


def option_problems(tag: str, options: dict[str, str]) -> list[Problem]:
    allowed = CONSTRAINT_OPTIONS[tag]
    unknown = sorted(name for name in options if name not in allowed)
    if unknown:
        names = ", ".join(f"'{n}'" for n in sorted(allowed))
        return [error(Code.TOOL_BAD_VALUE, f"invalid option '{unknown[0]}', allowed options "
                      f"are: {names}")]
    problems: list[Problem | None] = [
        bad_value(name, value, allowed[name]) for name, value in sorted(options.items())
        if allowed[name] and value not in allowed[name]]
    if "score" in options:
        problems.append(score_problem(options["score"]))
    if "id" in options:
        problems.append(cibedit.id_problem(options["id"], "constraint id"))
    return [p for p in problems if p is not None]


def bad_value(name: str, value: str, allowed: Sequence[str]) -> Problem:
    choices = ", ".join(f"'{v}'" for v in allowed)
    return error(Code.TOOL_BAD_VALUE, f"'{value}' is not a valid {name} value, use {choices}")


def set_option_problems(sets: Sets) -> list[Problem]:
    problems = []
    names = ", ".join(f"'{n}'" for n in SET_OPTIONS)
    for _, options in sets:
        for name, value in sorted(options.items()):
            if name not in SET_OPTIONS:
                problems.append(error(Code.TOOL_BAD_VALUE, f"invalid set option '{name}', "
                                      f"allowed options are: {names}", closing="yes"))
            elif value not in SET_OPTIONS[name]:
                problems.append(bad_value(name, value, SET_OPTIONS[name]))
    return problems


def signature(element: XMLElement) -> list[list[str]]:
    return [[str(ref.get("id")) for ref in rset.iterfind("resource_ref")]
            for rset in element.iterfind("resource_set")]


def duplicate_problems(root: XMLElement, tag: str, sets: Sets) -> list[Problem]:
    wanted = [resources for resources, _ in sets]
    for other in constraints(root):
        if other.tag == tag and signature(other) == wanted:
            return [error(Code.CONSTRAINT_DUPLICATE, "duplicate constraint already exists",
                          forceable=True, id=str(other.get("id")),
                          listing=describe(other))]
    return []


def describe(element: XMLElement) -> str:
    """One line as pcs lists a duplicate: each set with its options, then setoptions."""
    parts = []
    for rset in element.iterfind("resource_set"):
        refs = " ".join(str(ref.get("id")) for ref in rset.iterfind("resource_ref"))
        options = "".join(f" {k!s}={v!s}" for k, v in rset.attrib.items() if k != "id")
        parts.append(f"set {refs}{options} (id:{rset.get('id')})")
    options = " ".join(f"{k!s}={v!s}" for k, v in element.attrib.items() if k != "id")
    return " ".join(parts) + (f" setoptions {options}" if options else "") + \
        f" (id:{element.get('id')})"


def add(env: CIBEnvironment, tag: str, words: Sequence[str],
        force: bool = False) -> list[Problem]:
    """Add an <rsc_order> (tag "rsc_order") or <rsc_colocation> of resource sets."""
    sets, options = parse(words)
    problems = option_problems(tag, options)
    if problems:
        raise HaError(problems)
    everyone = [rid for resources, _ in sets for rid in resources]

    def edit(root: XMLElement) -> list[Problem]:
        missing = [rid for rid in everyone if cibedit.find_resource(root, rid) is None]
        if missing:
            return [error(Code.RSC_NOT_FOUND, f"bundle/clone/group/resource '{missing[0]}' "
                          "does not exist", id=missing[0])]
        found = [p for p in clone_member_problems(root, everyone, force, closing=True)]
        found += set_option_problems(sets)
        if "id" in options and cibedit.id_exists(root, options["id"]):
            found.append(error(Code.RSC_ID_EXISTS, f"'{options['id']}' already exists"))
        found += duplicate_problems(root, tag, sets)
        if any(p.is_error(force) for p in found):
            return found
        create(root, tag, sets, options)
        return found

    return cibedit.change(env, edit, force)


def create(root: XMLElement, tag: str, sets: Sets, options: dict[str, str]) -> None:
    letters = "".join(rid[0] + rid[-1] for resources, _ in sets for rid in resources)
    attrs = {k: v for k, v in options.items() if k != "id"}
    if tag == "rsc_colocation":
        attrs.setdefault("score", "INFINITY")
    cid = options.get("id") or cibedit.unique_id(root, f"{tag[4:]}_set_{letters}")
    element = cibedit.sub_element(cibedit.section(root, "constraints"), tag,
                                  {**attrs, "id": cid})
    for resources, set_options in sets:
        rset = cibedit.sub_element(element, "resource_set", {
            **set_options, "id": cibedit.unique_id(root, f"{cid}_set")})
        for rid in resources:
            cibedit.sub_element(rset, "resource_ref", {"id": rid})


def duplicate_listing(problems: Sequence[Problem]) -> str:
    """The "Duplicate constraints:" lines pcs prints before refusing (or, forced, accepting)
    a duplicate."""
    lines = [str(p.details.get("listing")) for p in problems
             if p.code is Code.CONSTRAINT_DUPLICATE and p.details.get("listing")]
    return "Duplicate constraints:\n" + "\n".join(f"  {line}" for line in lines) if lines else ""
