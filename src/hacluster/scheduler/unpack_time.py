"""Parsing of durations and score-like meta values (failure-timeout, migration-threshold).

Durations themselves are read by common.values (one home). Must never do I/O.
"""

from __future__ import annotations

from hacluster.common import INFINITY, duration_ms, parse_score


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
