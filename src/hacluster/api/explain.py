"""The `explain` library command and the scheduler's input checks.

Owns `explain_root` (why a resource is where it is, from the scheduler's own run) and
`check_cib` (a CIB the scheduler cannot trust: not a <cib>, no configuration, constraints
naming unknown resources, unsupported resource kinds, operation history with non-numeric
numbers), which returns Problems and never raises: callers check first, so the scheduler
never meets a value it cannot read. Must never print, read files or read the clock: callers pass roots and `now_s`.
"""

from __future__ import annotations

import re
from typing import Any

from hacluster.api.env import CIBEnvironment
from hacluster.common import Code, HaError, Problem, Severity, is_true, parse_score
from hacluster.scheduler import Explanation, explain, rule_constraints_of, unpack

# Constraint attributes that name a resource (or a tag/template) by id.
RESOURCE_REFS = (("rsc_location", "rsc"), ("rsc_colocation", "rsc"),
                 ("rsc_colocation", "with-rsc"), ("rsc_order", "first"),
                 ("rsc_order", "then"), ("rsc_ticket", "rsc"), ("resource_ref", "id"))
RESOURCE_TAGS = ("primitive", "group", "clone", "master", "bundle", "template")
UNSUPPORTED_KINDS = ("bundle", "template")
MAX_CLONE_INSTANCES = 10_000
# Operation history attributes the scheduler reads as integers.
OP_INT_ATTRS = ("call-id", "interval", "rc-code", "op-status")


def explain_root(root: Any, rsc: str, now_s: int, forced_now: bool = False) -> Explanation:
    """Explain `rsc` in the CIB `root` at wall-clock `now_s`; the CIB's execution-date
    wins unless `forced_now` (crm_simulate -t), as in simulate()."""
    problems = check_cib(root)
    errors = [p for p in problems if p.severity == Severity.ERROR]
    if errors:
        raise HaError(errors)
    date = root.get("execution-date")
    when = int(date) if date is not None and date.strip().lstrip("-").isdigit() \
        and not forced_now else now_s
    return explain(unpack(root, when), rsc, rule_constraints_of(root))


def explain_env(env: CIBEnvironment, rsc: str, now_s: int,
                forced_now: bool = False) -> Explanation:
    """explain_root on the CIB of a file (CIB_file) or the live cluster."""
    return explain_root(env.read().root, rsc, now_s, forced_now)


def check_cib(root: Any) -> list[Problem]:
    """What makes a CIB unfit for scheduling (errors) or partly ignored (warnings)."""
    if root.tag != "cib":
        return [error(f"the document's root element is <{root.tag}>, not <cib>")]
    config = root.find("configuration")
    if config is None:
        return [error("the CIB has no <configuration> section")]
    return identity_problems(config) + reference_problems(root, config) + \
        score_problems(config) + clone_size_problems(config) + unsupported_problems(config) \
        + history_problems(root)


def history_problems(root: Any) -> list[Problem]:
    """Operation history entries with a value the scheduler reads as an integer but is not
    one (it would otherwise fail half-way; the entry is named, with its node)."""
    out: list[Problem] = []
    for op in root.iter("lrm_rsc_op"):
        for attr in OP_INT_ATTRS:
            value = op.get(attr)
            if not value or _is_integer(value):
                continue
            state = next((p for p in op.iterancestors() if p.tag == "node_state"), None)
            node = state.get("uname", "?") if state is not None else "?"
            out.append(error(f"operation history {op.get('id', '?')} on {node} has a "
                             f"non-numeric {attr} '{value}'", operation=str(op.get("id", "")),
                             attribute=attr))
    return out


def _is_integer(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def identity_problems(config: Any) -> list[Problem]:
    """Attributes the schema requires and the scheduler keys everything by."""
    required = (("node", ("id", "uname")), ("primitive", ("id", "type")), ("group", ("id",)),
                ("clone", ("id",)), ("master", ("id",)), ("rsc_location", ("id",)),
                ("rsc_colocation", ("id",)), ("rsc_order", ("id",)))
    problems: list[Problem] = []
    seen: set[str] = set()
    for el in config.iter(*RESOURCE_TAGS, "rsc_location", "rsc_colocation", "rsc_order"):
        rid = el.get("id")
        if rid and rid in seen:
            problems.append(error(f"id '{rid}' is used by more than one resource or "
                                  "constraint", id=rid))
        seen.add(rid)
    for tag, attrs in required:
        for el in config.iter(tag):
            missing = [a for a in attrs if not el.get(a)
                       and not (a == "type" and el.get("template"))]
            if missing:
                problems.append(error(f"a <{tag}> element ({el.get('id') or 'without id'}) "
                                      f"lacks {', '.join(missing)}", element=tag))
    return problems


def reference_problems(root: Any, config: Any) -> list[Problem]:
    """Constraints naming no id at all are errors (the real crm_simulate rejects them as
    invalid configuration); naming a tag or another non-resource id is ignored."""
    ids = {el.get("id") for tag in RESOURCE_TAGS for el in config.iter(tag)}
    any_ids: set[str] | None = None  # every id in the CIB, only read if a reference misses
    problems: list[Problem] = []
    for tag, attr in RESOURCE_REFS:
        for el in config.iter(tag):
            ref = el.get(attr)
            parent = el.getparent()
            if ref is None or ref in ids or (parent is not None and parent.tag == "obj_ref"):
                continue
            owner = el if tag != "resource_ref" else next(
                (p for p in el.iterancestors() if p.tag.startswith("rsc_")), el)
            cid = owner.get("id", "?")
            if any_ids is None:
                any_ids = {el.get("id") for el in root.iter() if el.get("id")}
            if ref in any_ids:
                problems.append(warning(f"constraint {cid} references '{ref}', which is not "
                                        "a resource (tags are not supported): the constraint "
                                        "is ignored", constraint=cid, resource=ref))
            else:
                problems.append(error(f"constraint {cid} references unknown resource "
                                      f"'{ref}'", constraint=cid, resource=ref))
    return problems


def clone_size_problems(config: Any) -> list[Problem]:
    """A clone is expanded into clone-max instances: a runaway number (a typo, or an
    INFINITY) would take all memory instead of scheduling."""
    problems: list[Problem] = []
    for el in config.iter("nvpair"):
        name = el.get("name")
        if name not in ("clone-max", "clone-node-max"):
            continue
        value = parse_score(el.get("value") or "")
        if value is not None and value > MAX_CLONE_INSTANCES:
            problems.append(error(f"{name} {el.get('value')} (nvpair {el.get('id', '?')}) is "
                                  f"more than the {MAX_CLONE_INSTANCES} clone instances "
                                  "supported", nvpair=str(el.get("id", ""))))
    return problems


def score_problems(config: Any) -> list[Problem]:
    """Scores that are no score (the schema's integer or [+-]INFINITY) and rsc-pattern
    regular expressions that do not compile."""
    problems: list[Problem] = []
    for tag in ("rsc_location", "rsc_colocation", "rsc_order", "rule"):
        for el in config.iter(tag):
            score = el.get("score")
            if score is not None and score.strip() and parse_score(score) is None:
                problems.append(error(f"{tag} {el.get('id', '?')} has score '{score}', which "
                                      "is not an integer or INFINITY", element=str(
                                          el.get("id", ""))))
    for el in config.iter("rsc_location"):
        pattern = el.get("rsc-pattern")
        if pattern is None:
            continue
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(error(f"rsc_location {el.get('id', '?')} has rsc-pattern "
                                  f"'{pattern}', which is not a regular expression: {exc}",
                                  constraint=str(el.get("id", ""))))
    return problems


def unsupported_problems(config: Any) -> list[Problem]:
    problems: list[Problem] = []
    for kind in UNSUPPORTED_KINDS:
        for el in config.iter(kind):
            problems.append(warning(f"{kind} {el.get('id', '?')} is not supported: it is "
                                    "ignored (never started)", resource=str(el.get("id", ""))))
    fencing = all(is_true(nv.get("value"), default=True)
                  for nv in config.iterfind("crm_config/cluster_property_set/nvpair")
                  if nv.get("name") == "stonith-enabled")
    for el in config.iter("rsc_ticket"):
        if (el.get("loss-policy") or "").lower() == "fence" and not fencing:
            problems.append(warning(f"rsc_ticket {el.get('id', '?')} has loss-policy=fence "
                                    "but fencing is disabled: it acts as loss-policy=stop",
                                    constraint=str(el.get("id", ""))))
    for el in config.iter("primitive"):
        if el.get("template"):
            problems.append(warning(f"primitive {el.get('id', '?')} uses template "
                                    f"'{el.get('template')}': resource templates are not "
                                    "supported", resource=str(el.get("id", ""))))
    return problems


def warning(message: str, **details: str) -> Problem:
    return Problem(Code.SCHED_INVALID_CIB, message, details, Severity.WARNING)


def error(message: str, **details: str) -> Problem:
    return Problem(Code.SCHED_INVALID_CIB, message, details, Severity.ERROR)
