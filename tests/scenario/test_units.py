"""Durations, percents and money parse as written and print back the same way."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaos.scenario.units import (
    format_duration,
    format_percent,
    parse_duration,
    parse_money,
    parse_percent,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("90s", 90.0),
        ("1m30s", 90.0),
        ("1h", 3600.0),
        ("1h2m3s", 3723.0),
        ("2.5s", 2.5),
        ("500us", 0.0005),
        ("500µs", 0.0005),
        ("0s", 0.0),
        (" 1m 30s ", 90.0),
        (0, 0.0),
    ],
)
def test_duration_parses(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["fast", "10", "", "1x", "s", "1s2", "-1s", "1.s", True, None, [1]])
def test_duration_rejects_with_the_expected_form(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_bare_number_is_refused_in_yaml_but_seconds_from_python():
    with pytest.raises(ValueError, match="with a unit like 10s or 10ms"):
        parse_duration(10)
    assert parse_duration(10, strict=False) == 10.0
    with pytest.raises(ValueError, match="from 0 to 24h"):
        parse_duration(-1, strict=False)


@pytest.mark.parametrize(
    "value", ["9" * 400 + "s", "24h1ms", "1" + "0" * 400 + "ms", 1e300, float("inf"), float("nan"), 86401]
)
def test_a_duration_is_finite_and_at_most_a_day_however_it_is_spelled(value: object) -> None:
    """400 nines and an s overflow a float: refused, never taken as infinity."""
    with pytest.raises(ValueError, match="24h"):
        parse_duration(value, strict=False)
    assert parse_duration("24h") == 86400.0


@pytest.mark.parametrize("value", [1e300, float("inf"), float("nan"), "1" + "0" * 400, "$1000001"])
def test_money_is_finite_and_at_most_a_million(value: object) -> None:
    with pytest.raises(ValueError, match="from 0 to 1000000 dollars"):
        parse_money(value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.25, "250ms"),
        (90, "1m30s"),
        (60, "1m"),
        (3600, "1h"),
        (3723, "1h2m3s"),
        (2.5, "2.5s"),
        (0.0005, "500us"),
    ],
)
def test_duration_formats_shortest(seconds, text):
    assert format_duration(seconds) == text


@given(st.integers(min_value=0, max_value=10**7))
def test_duration_round_trips_whole_milliseconds(millis):
    seconds = millis / 1000
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, abs=1e-9)


@pytest.mark.parametrize(
    ("text", "fraction"),
    [("99.5%", 0.995), ("100%", 1.0), ("0%", 0.0), (0.995, 0.995), (1, 1.0), ("0.5", 0.5), ("5 %", 0.05)],
)
def test_percent_parses(text, fraction):
    assert parse_percent(text) == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("value", "message"),
    [(150, "did you mean 150%"), ("150%", "between 0% and 100%"), ("x", "percent"), (True, "percent")],
)
def test_percent_rejects(value, message):
    with pytest.raises(ValueError, match=message):
        parse_percent(value)


def test_percent_formats():
    assert format_percent(0.995) == "99.5%"
    assert format_percent(1.0) == "100%"


@pytest.mark.parametrize(("text", "dollars"), [(0.05, 0.05), ("$0.05", 0.05), ("0.05 USD", 0.05), (5, 5.0)])
def test_money_parses(text, dollars):
    assert parse_money(text) == pytest.approx(dollars)


@pytest.mark.parametrize("value", [-1, "abc", math.inf, False, None])
def test_money_rejects(value):
    with pytest.raises(ValueError, match=r"dollars|amount"):
        parse_money(value)
