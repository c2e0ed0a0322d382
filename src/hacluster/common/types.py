"""Small value types shared by all layers: node ids, milliseconds, Pacemaker scores.

Owns score arithmetic with ±INFINITY as Pacemaker Explained defines it
(INFINITY = 1,000,000; -INFINITY wins over +INFINITY; sums saturate).
Must never do I/O or hold state.
"""

from __future__ import annotations

from typing import NewType

NodeId = NewType("NodeId", int)
Millis = int
Score = int

INFINITY: Score = 1_000_000


def add_scores(a: Score, b: Score) -> Score:
    """Add two scores: -INFINITY dominates, then +INFINITY, else saturate at ±INFINITY."""
    if a <= -INFINITY or b <= -INFINITY:
        return -INFINITY
    if a >= INFINITY or b >= INFINITY:
        return INFINITY
    return max(-INFINITY, min(INFINITY, a + b))


def parse_score(text: str) -> Score | None:
    """Parse a score as Pacemaker writes it ("INFINITY", "+INFINITY", "-INFINITY", "100");
    None when the text is not a score."""
    word = text.strip()
    upper = word.upper()
    if upper in ("INFINITY", "+INFINITY"):
        return INFINITY
    if upper == "-INFINITY":
        return -INFINITY
    try:
        value = int(word)
    except ValueError:
        return None
    return max(-INFINITY, min(INFINITY, value))
