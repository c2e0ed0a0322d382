"""Constraint commands: location (node scores and rules), colocation, order, delete, ref.

Owns what `pcs constraint ...` writes, with pcs 0.11's generated ids
(location-<rsc>-<node>-<score>, colocation-<rsc>-<with>-<score>, order-<first>-<then>-<kind>,
location-<rsc>-rule-expr-N), its duplicate check (forceable) and the removal of every
constraint that names a deleted resource. Spec: Pacemaker Explained, "Resource
Constraints" and "Rules". Must never print or parse command lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from hacluster.api import cibedit, rule_syntax
from hacluster.api.cibedit import error, warning
from hacluster.api.env import CIBEnvironment
from hacluster.cib import XMLElement
from hacluster.common import Code, HaError, Problem, parse_score

CONSTRAINT_TAGS = ("rsc_location", "rsc_colocation", "rsc_order", "rsc_ticket")
REMOVAL_ORDER = ("rsc_colocation", "rsc_location", "rsc_order", "rsc_ticket")
REFERENCING_ATTRS = ("rsc", "with-rsc", "first", "then")
COMPARISONS = frozenset({"lt", "gt", "lte", "gte", "eq", "ne"})
UNARY = frozenset({"defined", "not_defined"})
ALL_ROLES = ("Master", "Promoted", "Slave", "Started", "Stopped", "Unpromoted")
VALUE_TYPES = frozenset({"string", "integer", "number", "version"})
ACTIONS = frozenset({"start", "stop", "promote", "demote"})
KINDS = frozenset({"Optional", "Mandatory", "Serialize"})


@dataclass(frozen=True, slots=True)
class ConstraintView:
    tag: str
    id: str
    attributes: tuple[tuple[str, str], ...]
    rule: str = ""  # a rule rendered as pcs shows it, "" when none


def score_problem(score: str) -> Problem | None:
    if parse_score(score) is None:
        return error(Code.SCORE_INVALID, f"invalid score '{score}', use integer or INFINITY "
                     "or -INFINITY", score=score)
    return None


def missing_resources(root: XMLElement, rids: Sequence[str]) -> list[Problem]:
    return [error(Code.RSC_NOT_FOUND, f"Resource '{rid}' does not exist", id=rid)
            for rid in rids if cibedit.find_resource(root, rid) is None]


def clone_member_problems(root: XMLElement, rids: Sequence[str], force: bool,
                          closing: bool = False) -> list[Problem]:
    """pcs refuses a constraint on a resource inside a clone (the clone is what gets placed)
    unless forced; `closing` is the newer wording pcs uses for sets."""
    problems = []
    for rid in rids:
        element = cibedit.find_resource(root, rid)
        parent = element.getparent() if element is not None else None
        if force or parent is None or parent.tag not in ("clone", "master"):
            continue
        hint = (", use --force to override" if closing else ". Use --force to override.")
        problems.append(error(Code.RSC_WRONG_KIND, f"{rid} is a clone resource, you should "
                              f"use the clone id: {parent.get('id')} when adding "
                              f"constraints{hint}", id=rid))
    return problems


def constraints(root: XMLElement) -> list[XMLElement]:
    return [c for c in cibedit.find_all(root, "/cib/configuration/constraints/*")
            if c.tag in CONSTRAINT_TAGS]


def add_constraint(root: XMLElement, tag: str, attrs: dict[str, str]) -> XMLElement:
    attrs["id"] = cibedit.unique_id(root, attrs["id"])
    return cibedit.sub_element(cibedit.section(root, "constraints"), tag, attrs)


# ---------------------------------------------------------------------------- location


def location_prefers(env: CIBEnvironment, rid: str, nodes: Sequence[str], avoids: bool,
                     force: bool = False) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        problems = missing_resources(root, [rid]) or clone_member_problems(root, [rid], force)
        for word in nodes:
            node, _, score = word.partition("=")
            score = score or "INFINITY"
            if avoids:
                score = score[1:] if score.startswith("-") else f"-{score}"
            bad = score_problem(score)
            if bad is not None:
                problems.append(bad)
                continue
            add_node_location(root, f"location-{rid}-{node}-{score}", rid, node, score)
        return problems

    return cibedit.change(env, edit, force)


def add_node_location(root: XMLElement, cid: str, rid: str, node: str, score: str) -> None:
    """pcs keeps one plain location per resource and node: the newest, at the end."""
    for old in cibedit.find_all(
            root, "/cib/configuration/constraints/rsc_location[@rsc=$r][@node=$n]",
            r=rid, n=node):
        cibedit.remove_element(old)
    add_constraint(root, "rsc_location", {"id": cid, "rsc": rid, "node": node,
                                          "score": score})


def location_add(env: CIBEnvironment, cid: str, rid: str, node: str, score: str,
                 force: bool = False) -> list[Problem]:
    """pcs constraint location add ID RSC NODE SCORE."""
    def edit(root: XMLElement) -> list[Problem]:
        problems = missing_resources(root, [rid]) or clone_member_problems(root, [rid], force)
        bad = score_problem(score) or cibedit.id_problem(cid, "constraint id")
        if bad is None and cibedit.id_exists(root, cid):
            bad = error(Code.RSC_ID_EXISTS, f"'{cid}' already exists", id=cid)
        problems += [bad] if bad else []
        add_node_location(root, cid, rid, node, score)
        return problems

    return cibedit.change(env, edit, force)


def parse_rule(words: Sequence[str]) -> tuple[dict[str, str], list[list[str]], str,
                                              list[Problem]]:
    """`[id=ID] [role=R] [score=S] EXPR [and|or EXPR]...` → (options, expressions, op)."""
    options: dict[str, str] = {}
    rest = list(words)
    while rest and "=" in rest[0] and rest[0].split("=", 1)[0] in (
            "id", "role", "score", "score-attribute", "constraint-id"):
        name, _, value = rest.pop(0).partition("=")
        options[name] = value
    expressions: list[list[str]] = [[]]
    joins: set[str] = set()
    for word in rest:
        if word in ("and", "or"):
            joins.add(word)
            expressions.append([])
        else:
            expressions[-1].append(word)
    problems: list[Problem] = []
    reason = rule_syntax.problem(rest)
    if reason:
        problems.append(error(Code.TOOL_BAD_VALUE, f"'{' '.join(rest)}' is not a valid rule "
                              f"expression: {reason}"))
    elif len(joins) > 1:
        problems.append(error(Code.TOOL_BAD_VALUE,
                              "mixing 'and' and 'or' needs parentheses, which are not supported"))
    return options, expressions, (joins.pop() if joins else ""), problems


def rule_key(rule: XMLElement) -> tuple[object, ...]:
    expressions = sorted((str(e.tag), *sorted((str(k), str(v)) for k, v in e.attrib.items()
                                               if k != "id")) for e in rule)
    return (rule.get("score"), rule.get("boolean-op", "and"), tuple(expressions))


def location_rule(env: CIBEnvironment, rid: str, words: Sequence[str],
                  force: bool = False) -> list[Problem]:
    options, expressions, join, problems = parse_rule(words)
    score = options.get("score", "INFINITY") if "score-attribute" not in options else ""
    if score and score_problem(score) is not None:  # pcs's words for a rule's score
        problems.append(error(Code.SCORE_INVALID, f"invalid score'{score}'", score=score))

    def edit(root: XMLElement) -> list[Problem]:
        found = (missing_resources(root, [rid]) or clone_member_problems(root, [rid], force)
                 or problems)
        if any(p.is_error() for p in found):
            return found
        attrs = {"id": options.get("constraint-id", f"location-{rid}"), "rsc": rid}
        if "role" in options:
            attrs["role"] = options["role"]
        constraint = add_constraint(root, "rsc_location", attrs)
        rule = cibedit.sub_element(constraint, "rule", {
            "id": options.get("id") or cibedit.unique_id(root, f"{constraint.get('id')}-rule")})
        if join:
            rule.set("boolean-op", join)
        if score:
            rule.set("score", score)
        else:
            rule.set("score-attribute", options["score-attribute"])
        for expression in expressions:
            tag, attrs = rule_syntax.element_of(expression)
            attrs["id"] = cibedit.unique_id(root, f"{rule.get('id')}-expr")
            cibedit.sub_element(rule, tag, attrs)
        found += duplicate_rule(root, rid, constraint, rule)
        return found

    return cibedit.change(env, edit, force)


def duplicate_rule(root: XMLElement, rid: str, constraint: XMLElement,
                   rule: XMLElement) -> list[Problem]:
    key = rule_key(rule)
    for other in constraints(root):
        if other is constraint or other.tag != "rsc_location" or other.get("rsc") != rid:
            continue
        if any(rule_key(r) == key for r in other.iterfind("rule")):
            return [error(Code.CONSTRAINT_DUPLICATE, "duplicate constraint already exists",
                          forceable=True, id=str(other.get("id")))]
    return []


# ------------------------------------------------------------------ colocation / order


def colocation_add(env: CIBEnvironment, words: Sequence[str],
                   force: bool = False) -> list[Problem]:
    """`[ROLE] RSC with [ROLE] WITH [SCORE] [name=value ...]`."""
    words = list(words)
    attrs: dict[str, str] = {}
    notes: list[Problem] = []
    if len(words) > 2 and words[2] == "with":
        attrs["rsc-role"] = cib_role(words.pop(0), notes)
    if len(words) < 3 or words[1] != "with":
        usage_error("constraint colocation add [<role>] <source resource id> with "
                           "[<role>] <target resource id> [score] [options] [id=constraint-id]")
    rsc, with_rsc, rest = words[0], words[2], words[3:]
    # pcs reads a word after "with" as a role when the word after it is no score or option
    if rest and not (score_problem(rest[0]) is None or "=" in rest[0]):
        attrs["with-rsc-role"] = cib_role(with_rsc, notes)
        with_rsc, rest = rest[0], rest[1:]
    if attrs:  # pcs writes both roles once one is given
        attrs.setdefault("rsc-role", "Started")
        attrs.setdefault("with-rsc-role", "Started")
    score = "INFINITY"
    if rest and "=" not in rest[0]:
        score = rest.pop(0)
    options = dict(w.partition("=")[::2] for w in rest)

    def edit(root: XMLElement) -> list[Problem]:
        problems = notes + (missing_resources(root, [rsc, with_rsc])
                            or clone_member_problems(root, [rsc, with_rsc], force)[:1])
        bad = score_problem(score)
        problems += [bad] if bad else []
        element = {"rsc": rsc, "with-rsc": with_rsc, "score": score, **attrs}
        element.update(options)
        element["id"] = options.get("id", f"colocation-{rsc}-{with_rsc}-{score}")
        if not force:  # forced, pcs adds the duplicate without a word
            problems += duplicate_pair(root, "rsc_colocation", element, ("rsc", "with-rsc"))
        add_constraint(root, "rsc_colocation", element)
        return problems

    return cibedit.change(env, edit, force)


def cib_role(word: str, notes: list[Problem]) -> str:
    """A role as pcs takes it (any case), written as the newer name; a legacy name gets
    pcs's deprecation warning in `notes`."""
    role = word.lower().capitalize()
    if role not in ALL_ROLES:
        raise HaError.single(Code.TOOL_BAD_VALUE, f"invalid role value '{word}', allowed "
                             "values are: " + ", ".join(f"'{r}'" for r in ALL_ROLES))
    newer = {"Master": "Promoted", "Slave": "Unpromoted"}.get(role, role)
    if newer != role:
        notes.append(warning(Code.TOOL_BAD_VALUE, f"Deprecation Warning: Role value "
                             f"'{word}' is deprecated and should not be used, use '{newer}' "
                             "instead", plain="yes"))
    return newer


def duplicate_pair(root: XMLElement, tag: str, attrs: dict[str, str],
                   keys: tuple[str, ...]) -> list[Problem]:
    """The same pair (for colocations: in the same roles, Started when unsaid) exists."""
    def key(get: Callable[[str], str | None]) -> tuple[str, ...]:
        roles = ("rsc-role", "with-rsc-role") if tag == "rsc_colocation" else ()
        return (*(get(k) or "" for k in keys), *(get(r) or "Started" for r in roles))

    for other in constraints(root):
        if other.tag == tag and key(other.get) == key(attrs.get):
            return [error(Code.CONSTRAINT_DUPLICATE, "duplicate constraint already exists",
                          forceable=True, id=str(other.get("id")))]
    return []


def order_add(env: CIBEnvironment, words: Sequence[str],
              force: bool = False) -> tuple[list[Problem], str]:
    """`[ACTION] FIRST then [ACTION] THEN [kind=...] [symmetrical=...] [id=...]`."""
    words = list(words)
    first_action = words.pop(0) if words and words[0] in ACTIONS else "start"
    if len(words) < 3 or words[1] != "then":
        usage_error("constraint order [action] <resource id> then [action] "
                    "<resource id> [options]")
    first, rest = words[0], words[2:]
    then_action = rest.pop(0) if len(rest) > 1 and rest[0] in ACTIONS else "start"
    then, options = rest[0], dict(w.partition("=")[::2] for w in rest[1:])
    kind = options.get("kind", "")

    def edit(root: XMLElement) -> list[Problem]:
        problems = (missing_resources(root, [first, then])
                    or clone_member_problems(root, [first, then], force)[:1])
        if kind and kind not in KINDS:
            problems.append(error(Code.TOOL_BAD_VALUE, f"'{kind}' is not a valid kind value, "
                                  "use 'Mandatory', 'Optional', 'Serialize'"))
        attrs = {"first": first, "then": then, **options, "first-action": first_action,
                 "then-action": then_action}
        attrs["id"] = options.get("id", f"order-{first}-{then}-{kind or 'mandatory'}")
        problems += [] if force else duplicate_pair(root, "rsc_order", attrs, ("first", "then"))
        add_constraint(root, "rsc_order", attrs)
        return problems

    summary = (f"Adding {first} {then} (kind: {kind or 'Mandatory'}) (Options: "
               f"first-action={first_action} then-action={then_action})")
    return cibedit.change(env, edit, force), summary


def usage_error(text: str) -> NoReturn:
    raise HaError([error(Code.USAGE, f"usage: pcs {text}")])


# ------------------------------------------------------------------- delete / ref


def delete(env: CIBEnvironment, ids: Sequence[str]) -> list[str]:
    """Remove constraints (or location rules) by id; returns what was removed."""
    removed: list[str] = []

    def edit(root: XMLElement) -> list[Problem]:
        problems: list[Problem] = []
        for cid in ids:
            found = [e for e in cibedit.find_all(root, "/cib/configuration/constraints//*[@id=$i]", i=cid)
                     if e.tag in CONSTRAINT_TAGS or e.tag == "rule"]
            if not found:
                problems.append(error(Code.CONSTRAINT_NOT_FOUND,
                                      f"Unable to find constraint - '{cid}'", id=cid))
                continue
            remove_constraint_part(found[0])
            removed.append(cid)
        return problems

    cibedit.change(env, edit)
    return removed


def remove_constraint_part(element: XMLElement) -> None:
    parent = element.getparent()
    cibedit.remove_element(element)
    if element.tag == "rule" and parent is not None and parent.find("rule") is None:
        cibedit.remove_element(parent)


def references(root: XMLElement, rid: str) -> list[XMLElement]:
    """Constraints that name `rid` directly or in a resource set."""
    return [c for c in constraints(root)
            if any(c.get(a) == rid for a in REFERENCING_ATTRS)
            or cibedit.find_all(c, ".//resource_ref[@id=$i]", i=rid)]


def rename_references(root: XMLElement, old: str, new: str) -> None:
    for constraint in references(root, old):
        for attr in REFERENCING_ATTRS:
            if constraint.get(attr) == old:
                constraint.set(attr, new)
        for ref in cibedit.find_all(constraint, ".//resource_ref[@id=$i]", i=old):
            ref.set("id", new)


def remove_references(root: XMLElement, rid: str) -> list[str]:
    """Drop what names `rid`: whole constraints, or its place in a resource set (and the set,
    and the constraint, once empty). Returns the ids of constraints removed whole."""
    removed: list[str] = []
    found = references(root, rid)
    # pcs reports (and removes) colocations, then locations, then orders, then tickets.
    found.sort(key=lambda c: REMOVAL_ORDER.index(str(c.tag)))
    for constraint in found:
        if any(constraint.get(a) == rid for a in REFERENCING_ATTRS):
            cibedit.remove_element(constraint)
            removed.append(str(constraint.get("id")))
            continue
        for ref in cibedit.find_all(constraint, ".//resource_ref[@id=$i]", i=rid):
            resource_set = ref.getparent()
            cibedit.remove_element(ref)
            if resource_set is not None and resource_set.find("resource_ref") is None:
                cibedit.remove_element(resource_set)
        if constraint.find("resource_set") is None:
            cibedit.remove_element(constraint)
            removed.append(str(constraint.get("id")))
    return removed


def ref(env: CIBEnvironment, rids: Sequence[str]) -> dict[str, list[str]]:
    root = env.read().root
    return {rid: referring_ids(root, rid) for rid in rids}


def referring_ids(root: XMLElement, rid: str) -> list[str]:
    """pcs's order: a clone member's clone first; direct references as colocations,
    locations, orders, tickets; then the constraints holding it in a resource set."""
    element = cibedit.find_resource(root, rid)
    parent = element.getparent() if element is not None else None
    found = referring_ids(root, str(parent.get("id"))) \
        if parent is not None and parent.tag in ("clone", "master") else []
    direct = sorted((c for c in constraints(root)
                     if any(c.get(a) == rid for a in REFERENCING_ATTRS)),
                    key=lambda c: REMOVAL_ORDER.index(str(c.tag)))
    in_sets = [c for c in constraints(root)
               if cibedit.find_all(c, ".//resource_ref[@id=$i]", i=rid)]
    return found + [str(c.get("id")) for c in direct + in_sets]


def config(env: CIBEnvironment) -> list[ConstraintView]:
    return [view_of(c) for c in constraints(env.read().root)]


def view_of(element: XMLElement) -> ConstraintView:
    attrs = tuple((str(k), str(v)) for k, v in element.attrib.items() if k != "id")
    rules = [render_rule(r) for r in element.iterfind("rule")]
    return ConstraintView(str(element.tag), str(element.get("id")), attrs, "; ".join(rules))


def render_rule(rule: XMLElement) -> str:
    parts = []
    for expression in rule.iterfind("expression"):
        op, attr = expression.get("operation", ""), expression.get("attribute", "")
        if op in UNARY:
            parts.append(f"{op} {attr}")
        else:
            typed = f"{expression.get('type')} " if expression.get("type") else ""
            parts.append(f"{attr} {op} {typed}{expression.get('value', '')}")
    for date in rule.iterfind("date_expression"):
        parts.append(f"date {date.get('operation')} {date.get('end') or date.get('start')}")
    joined = f" {rule.get('boolean-op', 'and')} ".join(parts)
    score = rule.get("score") or f"score-attribute={rule.get('score-attribute')}"
    return f"score={score} {joined} (id:{rule.get('id')})"
