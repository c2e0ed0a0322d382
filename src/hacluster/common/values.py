"""Pacemaker's value words, read in one place: booleans and durations.

Owns the true words (Pacemaker's crm_is_true: "true", "on", "yes", "y", "1", any case), the
false words, and durations as Pacemaker Explained writes them: a number with an optional
unit (ms/msec, us/usec, s/sec, m/min, h/hr; no unit means seconds) or an ISO 8601 duration
("PT10S", "P1DT2H", "P40S"; a month is 30 days, a year 365). Scores and ±INFINITY live in
common/types.py. Must never raise on user text: an unreadable value is None.
"""

from __future__ import annotations

import re
from types import MappingProxyType

TRUE_WORDS = frozenset({"true", "on", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "off", "no", "n", "0"})
BOOLEAN_WORDS = TRUE_WORDS | FALSE_WORDS

_UNIT_US = MappingProxyType({
    "": 1_000_000, "s": 1_000_000, "sec": 1_000_000, "ms": 1000, "msec": 1000,
    "us": 1, "usec": 1, "m": 60_000_000, "min": 60_000_000, "h": 3_600_000_000,
    "hr": 3_600_000_000})
_PLAIN = re.compile(r"([0-9]+)\s*([a-z]*)")
_ISO_PART = re.compile(r"(\d+(?:\.\d+)?)([ymwdhs])|(t)")
_ISO_DATE_MS = MappingProxyType({"y": 365 * 86_400_000, "m": 30 * 86_400_000, "w": 7 * 86_400_000,
                                 "d": 86_400_000, "h": 3_600_000, "s": 1000})


def is_true(text: str | None, default: bool = False) -> bool:
    """Pacemaker's reading of a boolean: a true word is True, anything else False (None or
    empty text: `default`)."""
    if text is None or not text.strip():
        return default
    return text.strip().lower() in TRUE_WORDS


def parse_boolean(text: str | None) -> bool | None:
    """True or False for a true or false word, None for anything else."""
    if text is None:
        return None
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    return False if word in FALSE_WORDS else None


def parse_duration_ms(text: str | None) -> int | None:
    """Milliseconds of a Pacemaker duration, None when the text is not one."""
    if text is None:
        return None
    word = text.strip().lower()
    plain = _PLAIN.fullmatch(word)
    if plain is not None:
        factor_us = _UNIT_US.get(plain.group(2))
        return None if factor_us is None else int(plain.group(1)) * factor_us // 1000
    return _iso_duration_ms(word) if word.startswith("p") else None


def _iso_duration_ms(word: str) -> int | None:
    """An ISO 8601 period read as Pacemaker reads it: "m" is months before the "T" and minutes
    after it; hours and seconds are accepted on either side ("P40S" is 40 s)."""
    total_ms, position, in_time, parts = 0, 1, False, 0
    while position < len(word):
        part = _ISO_PART.match(word, position)
        if part is None:
            return None
        position = part.end()
        if part.group(3):
            if in_time:
                return None
            in_time = True
            continue
        number, unit = float(part.group(1)), part.group(2)
        unit_ms = 60_000 if unit == "m" and in_time else _ISO_DATE_MS[unit]
        total_ms += round(number * unit_ms)
        parts += 1
    return total_ms if parts else None


def duration_ms(text: str | None, default_ms: int = 0) -> int:
    """parse_duration_ms, with `default_ms` for an unreadable or missing value."""
    parsed = parse_duration_ms(text)
    return default_ms if parsed is None else parsed
