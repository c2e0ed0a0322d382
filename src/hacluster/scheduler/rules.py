"""Rule and attribute-set evaluation: <rule>, <expression>, nvpair sets with id-refs.

Owns the semantics of Pacemaker Explained's "Rules" chapter for node attribute
expressions (lt/gt/lte/gte/eq/ne/defined/not_defined; string/number/version) and
boolean-op. Must never do I/O or read the clock: date expressions get `now_s`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from hacluster.common import INFINITY, parse_score

Element = Any  # an lxml element; kept loose so the scheduler does not depend on stubs

COMPARISONS: Mapping[str, Callable[[int], bool]] = MappingProxyType({
    "lt": lambda c: c < 0,
    "gt": lambda c: c > 0,
    "lte": lambda c: c <= 0,
    "gte": lambda c: c >= 0,
    "eq": lambda c: c == 0,
    "ne": lambda c: c != 0,
})


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text))


def compare_values(left: str, right: str, kind: str | None, operation: str) -> int | None:
    """-1/0/1 comparing `left` (attribute) to `right` (rule value); None if incomparable."""
    if kind is None and operation in ("lt", "gt", "lte", "gte"):
        kind = "number" if _as_number(left) is not None and _as_number(right) is not None \
            else "string"
    kind = (kind or "string").lower()
    if kind in ("number", "integer"):
        a, b = _as_number(left), _as_number(right)
        if a is None or b is None:
            return None
        if kind == "integer":
            a, b = float(int(a)), float(int(b))
        return (a > b) - (a < b)
    if kind == "version":
        va, vb = _version_key(left), _version_key(right)
        width = max(len(va), len(vb))
        va, vb = va + (0,) * (width - len(va)), vb + (0,) * (width - len(vb))
        return (va > vb) - (va < vb)
    a_s, b_s = left.lower(), right.lower()
    return (a_s > b_s) - (a_s < b_s)


def evaluate_expression(expr: Element, attrs: Mapping[str, str],
                        sources: Mapping[str, Mapping[str, str]] | None = None) -> bool:
    """One <expression> against a node's attributes. `value-source="param"|"meta"`
    (Explained: node attribute expressions) compares with the value of the resource's
    parameter or meta-attribute that `value` names; `sources` holds those."""
    attribute = expr.get("attribute", "")
    operation = expr.get("operation", "eq")
    actual = attrs.get(attribute)
    if operation == "defined":
        return actual is not None
    if operation == "not_defined":
        return actual is None
    expected = expr.get("value")
    source = expr.get("value-source", "literal").lower()
    if source in ("param", "meta") and expected is not None:
        expected = (sources or {}).get(source, {}).get(expected)
    if actual is None or expected is None:
        return False
    cmp = compare_values(actual, expected, expr.get("type"), operation)
    if cmp is None or operation not in COMPARISONS:
        return False
    return COMPARISONS[operation](cmp)


def evaluate_rule(rule: Element, attrs: Mapping[str, str], now_s: int,
                  sources: Mapping[str, Mapping[str, str]] | None = None) -> bool:
    """A <rule>: its sub-expressions and nested rules joined by boolean-op."""
    results: list[bool] = []
    for child in rule:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "expression":
            results.append(evaluate_expression(child, attrs, sources))
        elif tag == "rule":
            results.append(evaluate_rule(child, attrs, now_s, sources))
        elif tag == "date_expression":
            results.append(evaluate_date(child, now_s))
    if not results:
        return True
    if rule.get("boolean-op", "and").lower() == "or":
        return any(results)
    return all(results)


def evaluate_date(expr: Element, now_s: int) -> bool:
    """Date expressions with ISO start/end (gt, lt, in_range); others count as false."""
    operation = expr.get("operation", "in_range")
    start = parse_iso_s(expr.get("start"))
    end = parse_iso_s(expr.get("end"))
    if operation == "gt":
        return start is not None and now_s > start
    if operation == "lt":
        return end is not None and now_s < end
    if operation == "in_range":
        return (start is None or now_s >= start) and (end is None or now_s <= end)
    return False


def parse_iso_s(text: str | None) -> int | None:
    """Seconds since the epoch of 'YYYY-MM-DD[ T]HH:MM:SS[Z]' (UTC); None if absent/bad."""
    if not text:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?", text.strip())
    if not m:
        return None
    parts = [int(p) if p else 0 for p in m.groups()]
    return calendar.timegm((parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], 0, 0, 0))


def rule_score(rule: Element, attrs: Mapping[str, str]) -> int | None:
    """The score a rule contributes: score, or the node's score-attribute value."""
    if rule.get("score") is not None:
        return parse_score(rule.get("score")) or 0
    attr_name = rule.get("score-attribute")
    if attr_name is not None:
        value = attrs.get(attr_name)
        if value is None:
            return None
        score = parse_score(value)
        return score if score is not None else 0
    return INFINITY if rule.get("role") else 0


def nvpairs(block: Element | None, ids: Mapping[str, Element],
            attrs: Mapping[str, str] | None = None, now_s: int = 0) -> dict[str, str]:
    """Name/value pairs of one attribute set, following id-refs and honouring its rule."""
    out: dict[str, str] = {}
    if block is None:
        return out
    if block.get("id-ref") is not None and block.get("id-ref") in ids:
        block = ids[block.get("id-ref")]
    for child in block:
        if child.tag == "rule" and not evaluate_rule(child, attrs or {}, now_s):
            return {}
    for pair in block.iter("nvpair"):
        if pair.get("id-ref") is not None:
            pair = ids.get(pair.get("id-ref"), pair)
        name = pair.get("name")
        if name is not None and pair.get("value") is not None:
            out.setdefault(name, pair.get("value"))  # the first of duplicate names wins
    return out


def merged_sets(parent: Element | None, tag: str, ids: Mapping[str, Element],
                attrs: Mapping[str, str] | None = None, now_s: int = 0,
                first: str | None = None) -> dict[str, str]:
    """All direct <tag> sets of an element merged: the set with id `first` wins, then
    higher scores; among sets of equal score the LATER one in the document wins (as
    Pacemaker 2.1.5 reads them: a name keeps the value of the first set it processes,
    and it processes equal-score sets last to first)."""
    out: dict[str, str] = {}
    if parent is None:
        return out
    blocks = [c for c in parent if c.tag == tag][::-1]
    blocks.sort(key=lambda b: (b.get("id") != first or first is None,
                               -(parse_score(b.get("score", "0")) or 0)))
    for block in blocks:
        for name, value in nvpairs(block, ids, attrs, now_s).items():
            out.setdefault(name, value)
    return out
