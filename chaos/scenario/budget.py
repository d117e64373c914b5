"""The error-budget policy: what happens when an SLO burns its budget past a threshold.

    budget:
      - {slo: eval_pass_rate, window: 1h, burns: 50%, then: rollback}
      - {slo: availability, window: 7d, then: freeze}          # burns: 100% (exhausted)
      - {slo: availability, window: 7d, burns: 25%, then: page}

An SLO's error budget over a window is ``1 - objective`` times the requests it judged in
that window; the share of it consumed is the bad requests over that budget, which is the
burn rate over the window (``docs/definitions.md``, "Error budgets"). A rule is reached
when the share consumed is at or past ``burns`` with at least ``min_requests`` requests
in the window. In a run the verdict says whether and when each rule would have fired
(the run acts on none of them: ``rollback`` is the canary plan's business); before a
run, a ``freeze`` rule that the recorded history says is reached refuses the run unless
``chaos run --override-freeze REASON``.

Windows are longer than a run's durations: ``30m``, ``7d``, ``1d12h``; at most 366 days.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, field_validator

from chaos.errors import quote
from chaos.scenario.base import Strict
from chaos.scenario.units import Percent, format_percent

MAX_WINDOW_S = 366 * 86400.0

_WINDOW_PART = re.compile(r"(\d+(?:\.\d+)?)(d|h|m|s)")
_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def parse_window(value: object) -> float:
    """``"7d"`` -> 604800.0, ``"1d12h"`` -> 129600.0; raises ValueError with the expected form."""
    if not isinstance(value, str):
        raise ValueError(f"expected a window like 30m, 7d or 1d12h, got {value!r}")
    shown = quote(value)
    text = value.strip().replace(" ", "")
    pos, total = 0, 0.0
    for match in _WINDOW_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"expected a window like 30m, 7d or 1d12h, got {shown}")
    if not 0 < total <= MAX_WINDOW_S:  # infinity too, from a spelling that overflows
        raise ValueError(f"a window is longer than 0s and at most 366d, got {shown}")
    return total


def format_window(seconds: float) -> str:
    """604800.0 -> ``"7d"``, 5400.0 -> ``"1h30m"``: whole units, largest first."""
    parts, rest = [], seconds
    for unit in ("d", "h", "m"):
        whole = math.floor(rest / _UNIT_SECONDS[unit] + 1e-9)
        if whole:
            parts.append(f"{whole}{unit}")
            rest -= whole * _UNIT_SECONDS[unit]
    if rest > 1e-9 or not parts:
        parts.append(f"{rest:.3f}".rstrip("0").rstrip(".") + "s")
    return "".join(parts)


Window = Annotated[
    float,
    BeforeValidator(parse_window),
    PlainSerializer(format_window, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(\d+(\.\d+)?(d|h|m|s))+$",
            "description": "At most 366d.",
            "examples": ["30m", "7d", "1d12h"],
        }
    ),
]


class BudgetAction(StrEnum):
    """What a team does when the budget burns past the threshold."""

    ROLLBACK = "rollback"  # roll the change back
    FREEZE = "freeze"  # no further change: chaos run refuses to start while the history says so
    PAGE = "page"  # call a person


class BudgetRule(Strict):
    """When ``slo`` has consumed ``burns`` of its error budget over ``window``: ``then``."""

    slo: str = Field(description="A ratio SLO of slos: (availability, eval_pass_rate, a latency SLO).")
    window: Window = Field(description="The trailing window the budget is counted over (30m, 7d, ...).")
    burns: Percent = Field(1.0, description="The share of the window's budget consumed (default 100%: exhausted).")
    then: BudgetAction
    min_requests: int = Field(
        20, ge=1, le=1_000_000_000, description="Requests the window must hold before the rule is decided."
    )

    @field_validator("burns")
    @classmethod
    def _above_zero(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("burns must be above 0%: at 0% every window would reach it")
        return value

    @property
    def label(self) -> str:
        return f"{self.then.value} at {format_percent(self.burns)} of {self.slo} over {format_window(self.window)}"
