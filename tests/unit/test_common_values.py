"""Pacemaker's value words: one reading of booleans and durations for every layer."""

from __future__ import annotations

import pytest

from hacluster.common import duration_ms, is_true, parse_boolean, parse_duration_ms


@pytest.mark.parametrize("word", ["true", "TRUE", "on", "Yes", "y", "1", " yes "])
def test_pacemakers_true_words_are_true(word: str) -> None:
    assert is_true(word) and parse_boolean(word) is True


@pytest.mark.parametrize("word", ["false", "off", "No", "n", "0"])
def test_false_words_are_false(word: str) -> None:
    assert not is_true(word) and parse_boolean(word) is False


@pytest.mark.parametrize("word", ["enabled", "2", "t", "", "yess"])
def test_anything_else_is_not_a_boolean(word: str) -> None:
    assert not is_true(word) and parse_boolean(word) is None
    assert is_true(None, default=True) and is_true("", default=True)


@pytest.mark.parametrize("text,ms", [
    ("10s", 10_000), ("10", 10_000), ("1min", 60_000), ("2m", 120_000), ("500ms", 500),
    ("500msec", 500), ("1500us", 1), ("2h", 7_200_000), ("1hr", 3_600_000), ("30sec", 30_000),
    (" 20 s ", 20_000), ("0", 0), ("PT10S", 10_000), ("PT1M30S", 90_000), ("P1DT2H", 93_600_000),
    ("P1W", 604_800_000), ("PT0.5S", 500), ("P1M", 2_592_000_000), ("P1Y", 31_536_000_000),
    ("P40S", 40_000), ("P2H", 7_200_000),
])
def test_durations_as_pacemaker_writes_them(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "s", "ten", "10 parsecs", "-5s", "1.5s", "P", "PT", "P1T",
                                  "10s5"])
def test_unreadable_durations_are_none_never_an_exception(text: str) -> None:
    assert parse_duration_ms(text) is None
    assert duration_ms(text, default_ms=7) == 7
    assert parse_duration_ms(None) is None
