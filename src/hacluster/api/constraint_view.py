"""The constraints section as plain trees, for `pcs constraint [config]` and its kin.

Owns copying each constraint (with its rules, expressions and resource sets) into frozen
`ElementView` trees, and telling which location rules have expired: a rule whose only
condition is one date expression that can never hold again (`lt` or `in_range` with an end
in the past), as `crm_rule --check` tells pcs. Must never format text: cli/pcs renders.
Spec: Pacemaker Explained, "Rules" (date expressions) and "Constraints".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

from hacluster.api import cibedit
from hacluster.api.env import CIBEnvironment
from hacluster.cib import XMLElement
from hacluster.scheduler import parse_iso_s

Pairs = tuple[tuple[str, str], ...]
UNITS_S = MappingProxyType({"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60,
                            "seconds": 1})
CONSTRAINT_TAGS = ("rsc_location", "rsc_order", "rsc_colocation", "rsc_ticket")


@dataclass(frozen=True, slots=True)
class ElementView:
    tag: str
    id: str
    attributes: Pairs  # in document order, id excluded
    children: tuple[ElementView, ...]
    expired: bool = False  # a rule that can never hold again

    def get(self, name: str, default: str = "") -> str:
        return dict(self.attributes).get(name, default)

    def has(self, name: str) -> bool:
        return name in dict(self.attributes)


def is_expired(rule: XMLElement, now_s: int) -> bool:
    children = [c for c in rule if isinstance(c.tag, str)]
    if len(children) != 1 or children[0].tag != "date_expression":
        return False
    expression = children[0]
    operation = expression.get("operation", "in_range")
    end = parse_iso_s(expression.get("end"))
    duration = expression.find("duration")
    if end is None and operation == "in_range" and duration is not None:
        end = duration_end(parse_iso_s(expression.get("start")), duration)
    if operation not in ("lt", "in_range") or end is None:
        return False
    return end < now_s if operation == "in_range" else end <= now_s


def duration_end(start_s: int | None, duration: XMLElement) -> int | None:
    """When a date expression's range ends: its start plus the <duration> (calendar years
    and months, then weeks, days, hours, minutes, seconds)."""
    if start_s is None:
        return None
    try:
        amounts = {k: int(duration.get(k, "0")) for k in UNITS_S.keys() | {"years", "months"}}
    except ValueError:
        return None
    start = datetime.fromtimestamp(start_s, UTC)
    months = start.month - 1 + amounts["months"] + 12 * amounts["years"]
    day = min(start.day, 28)
    moved = start.replace(year=start.year + months // 12, month=months % 12 + 1, day=day)
    return int(moved.timestamp()) + sum(UNITS_S[k] * amounts[k] for k in UNITS_S)


def view_of(element: XMLElement, now_s: int) -> ElementView:
    children = tuple(view_of(c, now_s) for c in element if isinstance(c.tag, str))
    attributes = tuple((str(k), str(v)) for k, v in element.attrib.items() if k != "id")
    expired = element.tag == "rule" and is_expired(element, now_s)
    return ElementView(str(element.tag), str(element.get("id", "")), attributes, children,
                       expired)


def constraint_views(env: CIBEnvironment, now_s: int) -> tuple[ElementView, ...]:
    root = env.read().root
    return tuple(view_of(c, now_s) for c in cibedit.find_all(
        root, "/cib/configuration/constraints/*") if c.tag in CONSTRAINT_TAGS)
