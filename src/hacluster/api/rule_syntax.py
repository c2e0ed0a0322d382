"""The expressions of a pcs 0.11 location rule, read the way pcs's own rule parser reads them.

Owns telling why the words of `pcs constraint location RSC rule ...` are not a rule, in
pcs's words ("unexpected 'bar'", "unexpected end of rule", "missing one of 'eq', ..."),
and what element one expression becomes (<expression> or, for `date gt|lt DATE`, a
<date_expression>). Pure: no CIB, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

COMPARISONS = ("eq", "ne", "lt", "gt", "lte", "gte")
UNARY = ("defined", "not_defined")
VALUE_TYPES = ("string", "integer", "number", "version")
JOINS = ("and", "or")
OPERATORS_LISTED = ", ".join(f"'{w}'" for w in (*COMPARISONS, "in_range", *UNARY,
                                                   "date-spec"))
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2})?)?"
                       r"(?:Z|[+-]\d{2}:?\d{2})?)?$")


def problem(words: Sequence[str]) -> str:
    """Why `words` (the rule without its options) are not a rule; "" when they are."""
    position, reason = _expression(words, 0)
    while not reason and position < len(words):
        word = words[position]
        if word not in JOINS:
            return f"unexpected '{word}'"
        position, reason = _expression(words, position + 1)
        if reason and reason != "unexpected end of rule":
            reason = f"unexpected '{words[position]}' after '{word}'"
    return reason


def _expression(words: Sequence[str], start: int) -> tuple[int, str]:
    """(where the expression ends, "") or (where it starts, why it is not one)."""
    if start >= len(words):
        return start, "unexpected end of rule"
    first = words[start]
    if first in UNARY:
        return (start + 2, "") if start + 1 < len(words) else (start, "unexpected end of rule")
    if start + 1 >= len(words):
        return start, f"missing one of {OPERATORS_LISTED}"
    operation = words[start + 1]
    if operation not in COMPARISONS:
        return start, f"unexpected '{operation}'"
    rest = list(words[start + 2:])
    if rest and rest[0] in VALUE_TYPES and len(rest) > 1:
        rest = rest[1:]
    if not rest:
        return start, "unexpected end of rule"
    if first == "date" and operation in ("gt", "lt") and not _ISO_DATE.match(rest[0]):
        return start, f"'{rest[0]}' is not an ISO 8601 date"
    return len(words) - len(rest) + 1, ""


def element_of(words: Sequence[str]) -> tuple[str, dict[str, str]]:
    """The element one (valid) expression becomes: its tag and attributes, id aside."""
    if words[0] in UNARY:
        return "expression", {"operation": words[0], "attribute": words[1]}
    if words[0] == "date" and words[1] in ("gt", "lt"):
        bound = "start" if words[1] == "gt" else "end"
        return "date_expression", {"operation": words[1], bound: words[-1]}
    attrs = {"operation": words[1], "attribute": words[0], "value": words[-1]}
    if len(words) == 4:
        attrs["type"] = words[2]
    return "expression", attrs
