"""How an observability check says what it found: an expectation result, naming at most
``SHOWN`` requests in its reason (the figures count them all)."""

from __future__ import annotations

from chaos.slo.results import ExpectationResult
from chaos.wilson import Verdict

SHOWN = 5

Figures = dict[str, float | int | str | None]


def listed(names: list[str]) -> str:
    shown = "; ".join(names[:SHOWN])
    return shown + (f" (and {len(names) - SHOWN} more)" if len(names) > SHOWN else "")


def result(expectation: str, kind: str, verdict: Verdict, reason: str, figures: Figures) -> ExpectationResult:
    return ExpectationResult(expectation=expectation, kind=kind, verdict=verdict, reason=reason, figures=figures)
