"""Durations, percents and money as the scenario language writes them.

Durations are strings with units (``250ms``, ``90s``, ``1m30s``, ``1h``) and become float
seconds; a bare number is refused because ``latency: 400`` is ambiguous. Percents are
``99.5%`` or a fraction ``0.995`` and become a fraction. Money is US dollars
(``0.05``, ``$0.05`` or ``0.05 USD``).

Every value is finite and within a stated range: a duration from 0 to 24h, a percent
from 0% to 100%, money from 0 to a million dollars. A spelling that overflows (400 nines
and an ``s``) is refused, never taken as infinity.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo, WithJsonSchema

from chaos.errors import quote

# Validation context under which a bare number is not a duration (what the YAML loader
# passes); Python code building models may give float seconds.
STRICT_UNITS = {"strict_units": True}

MAX_DURATION_S = 24 * 3600.0
MAX_MONEY_USD = 1_000_000.0

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|µs|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}


def parse_duration(value: object, *, strict: bool = True) -> float:
    """``"1m30s"`` -> 90.0; raises ValueError with the expected form.

    A bare number is seconds only when not ``strict`` (0 is always accepted).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected a duration like 250ms, got {_show(value)}")
    if isinstance(value, int | float):
        if value == 0 or not strict:
            if not 0 <= value <= MAX_DURATION_S:  # NaN is refused too: it compares false
                raise ValueError(f"a duration is from 0 to 24h (86400 seconds), got {_show(value)}")
            return float(value)
        raise ValueError(
            f"expected a duration with a unit like {_show(value)}s or {_show(value)}ms, got {_show(value)}"
        )
    text = value.strip().replace(" ", "")
    pos = 0
    total = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"expected a duration like 250ms, 90s or 1m30s, got {_show(value)}")
    if not total <= MAX_DURATION_S:  # infinity too, from a spelling that overflows
        raise ValueError(f"a duration is at most 24h, got {_show(value)}")
    return total


def format_duration(seconds: float) -> str:
    """90.0 -> ``"1m30s"``, 0.25 -> ``"250ms"``: the shortest exact spelling."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        millis = seconds * 1000
        if abs(millis - round(millis)) < 1e-9:
            return f"{round(millis)}ms"
        return f"{round(seconds * 1e6)}us"
    whole_minutes, rest = divmod(seconds, 60)
    if whole_minutes and abs(rest - round(rest, 3)) < 1e-9:
        hours, minutes = divmod(int(whole_minutes), 60)
        parts = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
        return parts + (f"{_trim(rest)}s" if rest else "")
    return f"{_trim(seconds)}s"


def parse_percent(value: object) -> float:
    """``"99.5%"`` or ``0.995`` -> 0.995; a number above 1 without ``%`` is refused."""
    if isinstance(value, bool):
        raise ValueError(f"expected a percent like 99.5% or a fraction like 0.995, got {_show(value)}")
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            try:
                number = float(text[:-1])
            except ValueError:
                raise ValueError(f"expected a percent like 99.5%, got {_show(value)}") from None
            fraction = number / 100
        else:
            try:
                fraction = float(text)
            except ValueError:
                raise ValueError(
                    f"expected a percent like 99.5% or a fraction like 0.995, got {_show(value)}"
                ) from None
    elif isinstance(value, int | float):
        fraction = _number(value)
        if fraction > 1:
            raise ValueError(f"a bare number is a fraction from 0 to 1; did you mean {_trim(fraction)}%?")
    else:
        raise ValueError(f"expected a percent like 99.5% or a fraction like 0.995, got {_show(value)}")
    if not 0 <= fraction <= 1 or math.isnan(fraction):
        raise ValueError(f"a percent must lie between 0% and 100%, got {_show(value)}")
    return fraction


def format_percent(fraction: float) -> str:
    return f"{_trim(round(fraction * 100, 6))}%"


def parse_money(value: object) -> float:
    """``0.05``, ``"$0.05"`` or ``"0.05 USD"`` -> 0.05 (US dollars)."""
    if isinstance(value, bool):
        raise ValueError(f"expected an amount in US dollars like 0.05, got {_show(value)}")
    if isinstance(value, int | float):
        amount = _number(value)
    elif isinstance(value, str):
        text = value.strip().removeprefix("$").removesuffix("USD").strip()
        try:
            amount = float(text)
        except ValueError:
            raise ValueError(f"expected an amount in US dollars like 0.05 or $0.05, got {_show(value)}") from None
    else:
        raise ValueError(f"expected an amount in US dollars like 0.05, got {_show(value)}")
    if not 0 <= amount <= MAX_MONEY_USD:  # NaN and infinity too
        raise ValueError(f"an amount is from 0 to 1000000 dollars, got {_show(value)}")
    return amount


def _number(value: int | float) -> float:
    """An int too large for a float (YAML reads 400 digits as one) is infinitely large here."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _trim(number: float) -> str:
    return f"{number:.6f}".rstrip("0").rstrip(".")


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else quote(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _duration(value: object, info: ValidationInfo) -> float:
    context = info.context if isinstance(info.context, dict) else {}
    return parse_duration(value, strict=bool(context.get("strict_units")))


Duration = Annotated[
    float,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(\d+(\.\d+)?(h|m|s|ms|us|µs))+$",
            "description": "At most 24h.",
            "examples": ["250ms", "1m30s"],
        }
    ),
]
Percent = Annotated[
    float,
    BeforeValidator(parse_percent),
    PlainSerializer(format_percent, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d+(\.\d+)?%$"},
                {"type": "number", "minimum": 0, "maximum": 1},
            ],
            "examples": ["99.5%", 0.995],
        }
    ),
]
Money = Annotated[
    float,
    BeforeValidator(parse_money),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_MONEY_USD},
                {"type": "string", "pattern": r"^\$?\d+(\.\d+)?( ?USD)?$"},
            ],
            "description": "US dollars, at most a million",
        }
    ),
]
