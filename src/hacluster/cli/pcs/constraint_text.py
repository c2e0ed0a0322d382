"""The text of pcs 0.11's `constraint [config]` listing (and `constraint location|order|
colocation|ticket [config]`), as the real pcs 0.11 prints it (tests/differential/
test_pcs_layouts.py compares the two).

Location constraints are grouped by resource (patterns first, then resources, each sorted):
node scores under "Enabled on:" / "Disabled on:", rule-based constraints (by id) with their
rules and expressions; an expired rule's constraint is hidden unless --all. Order, colocation
and ticket constraints are one line each, resource-set constraints under "Resource Sets:".
--full adds the ids. Must never read the CIB: hacluster.api.constraint_view's trees come in.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from hacluster.api import constraint_view
from hacluster.common import is_true

STEP = "  "
ROLE_NAMES = MappingProxyType({"Master": "Promoted", "Slave": "Unpromoted"})


def primary_role(value: str) -> str:
    word = value.capitalize()
    return ROLE_NAMES.get(word, word)


def with_id(parts: list[str], view: constraint_view.ElementView, full: bool) -> str:
    return " ".join([*parts, f"(id:{view.id})"] if full else parts)


def sorted_attributes(view: constraint_view.ElementView) -> list[str]:
    return [f"{k}={primary_role(v) if k == 'role' else v}" for k, v in sorted(view.attributes)]


def is_positive(score: str) -> bool:
    if score.lstrip("+") == "INFINITY":
        return True
    if score == "-INFINITY":
        return False
    try:
        return int(score) >= 0
    except ValueError:
        return True


# ------------------------------------------------------------------------------ rules

def rule_lines(rule: constraint_view.ElementView, full: bool, show_expired: bool) -> list[str]:
    title = "Rule (expired)" if rule.expired and show_expired else "Rule"
    lines = [with_id([f"{title}:", *sorted_attributes(rule)], rule, full)]
    for child in rule.children:
        if child.tag == "expression":
            lines.append(STEP + expression_line(child, full))
        elif child.tag == "date_expression":
            lines += [STEP + line for line in date_lines(child, full)]
        elif child.tag == "rule":
            lines += [STEP + line for line in rule_lines(child, full, False)]
    return lines


def expression_line(view: constraint_view.ElementView, full: bool) -> str:
    if view.has("value"):
        parts = [view.get("attribute"), view.get("operation")]
        if view.has("type"):
            parts.append(view.get("type"))
        parts.append(view.get("value"))
    else:
        parts = [view.get("operation"), view.get("attribute")]
    return with_id(["Expression:", *parts], view, full)


def date_lines(view: constraint_view.ElementView, full: bool) -> list[str]:
    operation = view.get("operation")
    if operation == "date_spec":
        spec = next((c for c in view.children if c.tag == "date_spec"), None)
        head = with_id(["Expression:"], view, full)
        return [head] + ([STEP + with_id(["Date Spec:", *sorted_attributes(spec)], spec, full)]
                         if spec is not None else [])
    parts = ["date", operation]
    duration = next((c for c in view.children if c.tag == "duration"), None)
    if operation == "in_range":
        if view.has("start"):
            parts += [view.get("start"), "to"]
        if view.has("end"):
            parts.append(view.get("end"))
        if duration is not None:
            parts.append("duration")
    else:
        parts += [view.get(k) for k in ("start", "end") if view.has(k)]
    lines = [with_id(["Expression:", *parts], view, full)]
    if operation == "in_range" and duration is not None:
        lines.append(STEP + with_id(["Duration:", *sorted_attributes(duration)], duration,
                                    full))
    return lines


# --------------------------------------------------------------------------- location

def node_line(view: constraint_view.ElementView, full: bool) -> str:
    parts = [f"Node: {view.get('node')}", f"(score:{view.get('score') or '0'})"]
    if view.get("role"):
        parts.append(f"(role:{primary_role(view.get('role'))})")
    if view.get("resource-discovery"):
        parts.append(f"(resource-discovery={view.get('resource-discovery')})")
    return with_id(parts, view, full)


def rule_constraint_lines(view: constraint_view.ElementView, full: bool, show_expired: bool) -> list[str]:
    rules = [c for c in view.children if c.tag == "rule"]
    expired = all(r.expired for r in rules)
    if expired and not show_expired:
        return []
    option = (f" (resource-discovery={view.get('resource-discovery')})"
              if view.get("resource-discovery") else "")
    lines = [f"Constraint{' (expired)' if expired else ''}: {view.id}{option}"]
    for rule in rules:
        lines += [STEP + line for line in rule_lines(rule, full, show_expired)]
    return lines


def location_lines(views: Sequence[constraint_view.ElementView], full: bool, show_expired: bool) -> list[str]:
    locations = [v for v in views if v.tag == "rsc_location"]
    keys = sorted({(0, v.get("rsc-pattern")) if v.has("rsc-pattern") else (1, v.get("rsc"))
                   for v in locations})
    lines = ["Location Constraints:"]
    for kind, name in keys:
        mine = [v for v in locations if ((0, v.get("rsc-pattern")) if v.has("rsc-pattern")
                                         else (1, v.get("rsc"))) == (kind, name)]
        block = [f"Resource pattern: {name}" if kind == 0 else f"Resource: {name}"]
        for positive, label in ((True, "Enabled on:"), (False, "Disabled on:")):
            nodes = [node_line(v, full) for v in mine if v.get("node")
                     and is_positive(v.get("score") or "0") == positive]
            if nodes:
                block += [STEP + label, *[STEP * 2 + n for n in nodes]]
        for view in sorted((v for v in mine if any(c.tag == "rule" for c in v.children)),
                           key=lambda v: v.id):
            block += [STEP + line for line in rule_constraint_lines(view, full, show_expired)]
        if len(block) > 2:
            lines += [STEP + line for line in block]
    return lines


# ---------------------------------------------------------------- order, colocation, ticket

def set_text(view: constraint_view.ElementView, full: bool) -> str:
    parts: list[str] = []
    for resource_set in (c for c in view.children if c.tag == "resource_set"):
        parts += ["set", *[r.id for r in resource_set.children if r.tag == "resource_ref"]]
        parts += [f"{k}={v}" for k, v in sorted(resource_set.attributes)]
        if full:
            parts.append(f"(id:{resource_set.id})")
    options = [f"{k}={v}" for k, v in sorted(view.attributes)]
    if options:
        parts += ["setoptions", *options]
    return with_id(parts, view, full)


def order_line(view: constraint_view.ElementView, full: bool) -> str:
    named = dict(view.attributes)
    if named.get("kind"):
        score = f"(kind:{named['kind']})"
    elif named.get("score"):
        score = f"(score:{named['score']})"
    else:
        score = "(kind:Mandatory)"
    symmetrical = "symmetrical" in named and not is_true(named["symmetrical"] or "false")
    handled = ("first", "then", "first-action", "then-action", "score", "kind", "symmetrical")
    extra = " ".join(f"{k}={v}" for k, v in view.attributes if k not in handled)
    parts = [named.get("first-action", ""), named.get("first", ""), "then",
             named.get("then-action", ""), named.get("then", ""), score,
             "(non-symmetrical)" if symmetrical else "", f"(Options: {extra})" if extra else ""]
    return with_id([p for p in parts if p], view, full)


def colocation_line(view: constraint_view.ElementView, full: bool) -> str:
    named = dict(view.attributes)
    parts = [named.get("rsc", ""), "with", named.get("with-rsc", ""),
             f"(score:{named.get('score', '')})"]
    parts += [f"({k}:{v})" for k, v in sorted(view.attributes)
              if k not in ("rsc", "with-rsc", "score")]
    return with_id(parts, view, full)


def ticket_line(view: constraint_view.ElementView, full: bool) -> str:
    named = dict(view.attributes)
    role = named.get("rsc-role", "")
    parts = [named.get("rsc", ""), *[f"{k}={v}" for k, v in sorted(view.attributes)
                                     if k not in ("rsc-role", "rsc")]]
    return (f"{role} " if role else "") + with_id(parts, view, full)


PLAIN = MappingProxyType({"rsc_order": ("Ordering Constraints:", order_line),
         "rsc_colocation": ("Colocation Constraints:", colocation_line),
         "rsc_ticket": ("Ticket Constraints:", ticket_line)})


def kind_lines(views: Sequence[constraint_view.ElementView], tag: str, full: bool) -> list[str]:
    title, line_of = PLAIN[tag]
    mine = [v for v in views if v.tag == tag]
    with_sets = [v for v in mine if any(c.tag == "resource_set" for c in v.children)]
    lines = [title] + [STEP + line_of(v, full) for v in mine if v not in with_sets]
    if with_sets:
        lines += [STEP + "Resource Sets:", *[STEP * 2 + set_text(v, full) for v in with_sets]]
    return lines


def config_lines(views: Sequence[constraint_view.ElementView], full: bool, show_expired: bool,
                 kinds: Sequence[str] = ("rsc_location", "rsc_order", "rsc_colocation",
                                         "rsc_ticket")) -> list[str]:
    lines: list[str] = []
    for kind in kinds:
        lines += (location_lines(views, full, show_expired) if kind == "rsc_location"
                  else kind_lines(views, kind, full))
    return lines
