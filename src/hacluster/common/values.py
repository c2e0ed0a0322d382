"""Pacemaker's value words, read in one place: booleans and durations.

Owns the true words (Pacemaker's crm_is_true: "true", "on", "yes", "y", "1", any case), the
false words, and durations as Pacemaker Explained writes them: a number with an optional
unit (ms/msec, us/usec, s/sec, m/min, h/hr; no unit means seconds) or an ISO 8601 duration
("PT10S", "P1DT2H"; a month is 30 days, a year 365). Scores and ±INFINITY live in
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
_ISO = re.compile(r"p(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)w)?(?:(\d+)d)?"
                  r"(?:t(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?)?")
_ISO_MS = (365 * 86_400_000, 30 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000)


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
    iso = _ISO.fullmatch(word)
    if iso is None or word in ("p", "pt") or word.endswith("t"):
        return None
    *whole, seconds = iso.groups()
    total = sum(int(n) * ms for n, ms in zip(whole, _ISO_MS, strict=True) if n)
    return total + (round(float(seconds) * 1000) if seconds else 0)


def duration_ms(text: str | None, default_ms: int = 0) -> int:
    """parse_duration_ms, with `default_ms` for an unreadable or missing value."""
    parsed = parse_duration_ms(text)
    return default_ms if parsed is None else parsed
