"""Parsing of durations and score-like meta values (failure-timeout, migration-threshold).

Owns unit handling of Pacemaker's interval/duration syntax. Must never do I/O.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from hacluster.common import INFINITY, parse_score

UNITS_MS = MappingProxyType({"ms": 1, "msec": 1, "s": 1000, "sec": 1000, "m": 60000, "min": 60000,
            "h": 3600000, "hr": 3600000})


def duration_ms(text: str) -> int:
    """Plain numbers are seconds; ms/s/m/h suffixes and ISO 8601 'PT..' are accepted."""
    word = text.strip().lower()
    if word.startswith("p"):
        date_part, _, time_part = word[1:].partition("t")
        total = sum(int(a) * {"y": 31536000000, "m": 2592000000, "w": 604800000,
                              "d": 86400000, "h": 3600000, "s": 1000}.get(u, 0)
                    for a, u in re.findall(r"(\d+)([ymwdhs])", date_part))
        total += sum(int(a) * {"h": 3600000, "m": 60000, "s": 1000}[u]
                     for a, u in re.findall(r"(\d+)([hms])", time_part))
        return total
    m = re.fullmatch(r"(\d+)\s*([a-z]*)", word)
    if not m:
        return 0
    return int(m.group(1)) * UNITS_MS.get(m.group(2) or "s", 1000)


def interval_value(name: str, text: str) -> int:
    """failure-timeout in ms; migration-threshold as a score."""
    if name == "failure-timeout":
        return duration_ms(text)
    score = parse_score(text)
    return INFINITY if score is None else score


def int_or_zero(text: str) -> int:
    """A score-like integer (INFINITY words allowed); 0 when the text is not a number."""
    score = parse_score(text)
    return score if score is not None else 0
