"""The `explain` library command and the scheduler's input checks.

Owns `explain_root` (why a resource is where it is, from the scheduler's own run) and
`check_cib` (a CIB the scheduler cannot trust: not a <cib>, no configuration, constraints
naming unknown resources, unsupported resource kinds), which returns Problems and never
raises. Must never print, read files or read the clock: callers pass roots and `now_s`.
"""

from __future__ import annotations

from typing import Any

from hacluster.api.env import CIBEnvironment
from hacluster.common import Code, HaError, Problem, Severity
from hacluster.scheduler import Explanation, explain, rule_constraints_of, unpack

# Constraint attributes that name a resource (or a tag/template) by id.
RESOURCE_REFS = (("rsc_location", "rsc"), ("rsc_colocation", "rsc"),
                 ("rsc_colocation", "with-rsc"), ("rsc_order", "first"),
                 ("rsc_order", "then"), ("rsc_ticket", "rsc"), ("resource_ref", "id"))
RESOURCE_TAGS = ("primitive", "group", "clone", "master", "bundle", "template")
UNSUPPORTED_KINDS = ("bundle",)
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
    try:
        return explain(unpack(root, when), rsc, rule_constraints_of(root))
    except ValueError as exc:
        raise bad_value_error(root, exc) from exc


def bad_value_error(root: Any, exc: ValueError) -> Exception:
    """Name the operation history entry with a non-numeric value that made scheduling
    fail (looked for only after a failure, so good CIBs pay nothing); when there is none
    the ValueError is a bug of ours and is returned as it is."""
    for op in root.iter("lrm_rsc_op"):
        for attr in OP_INT_ATTRS:
            value = op.get(attr)
            if value and not value.strip().lstrip("-").isdigit():
                state = next((p for p in op.iterancestors() if p.tag == "node_state"), None)
                node = state.get("uname", "?") if state is not None else "?"
                return HaError([error(f"operation history {op.get('id', '?')} on {node} has "
                                      f"a non-numeric {attr} '{value}'", operation=str(
                                          op.get("id", "")), attribute=attr)])
    return exc


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
    ids = {el.get("id") for tag in RESOURCE_TAGS for el in config.iter(tag)}
    ids |= {el.get("id") for el in config.iter("tag")}
    # Any id passes the schema (IDREF); a reference to no id at all is what the real
    # crm_simulate rejects as invalid configuration, so only that is an error here.
    any_ids = {el.get("id") for el in root.iter() if el.get("id")}
    problems: list[Problem] = []
    for tag, attr in RESOURCE_REFS:
        for el in config.iter(tag):
            ref = el.get(attr)
            if tag == "resource_ref" and el.getparent() is not None and \
                    el.getparent().tag == "obj_ref":
                continue
            if ref is None or ref in ids:
                continue
            owner = el if tag != "resource_ref" else next(
                (p for p in el.iterancestors() if p.tag.startswith("rsc_")), el)
            cid = owner.get("id", "?")
            if ref in any_ids:
                problems.append(Problem(
                    Code.SCHED_INVALID_CIB, f"constraint {cid} references '{ref}', which "
                    "is not a resource: the constraint is ignored",
                    {"constraint": cid, "resource": ref}, Severity.WARNING))
            else:
                problems.append(error(f"constraint {cid} references unknown resource "
                                      f"'{ref}'", constraint=cid, resource=ref))
    for kind in UNSUPPORTED_KINDS:
        for el in config.iter(kind):
            problems.append(Problem(
                Code.SCHED_INVALID_CIB,
                f"{kind} {el.get('id', '?')} is not supported: it is ignored (never started)",
                {"resource": el.get("id", "")}, Severity.WARNING))
    return problems


def error(message: str, **details: str) -> Problem:
    return Problem(Code.SCHED_INVALID_CIB, message, details, Severity.ERROR)
