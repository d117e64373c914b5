"""The figures a drill target is judged on, from one run's journal.

- ``detect``, ``mitigate``, ``recover``: the run's response times (``chaos.slo.response``),
  the worst of its faults: ``0`` when not needed (never left the objective), ``inf`` when
  it never happened within the run.
- ``failed``, ``availability``: the fault segments (every segment with a fault active)
  pooled: failed requests summed, availability weighted by requests.
- ``extra_cost``: what the fault segments billed beyond the baseline's cost per request
  times their requests (USD); with no baseline request, their whole bill.

A figure is ``None`` when the run measured nothing for it (no evaluation, no fault).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from chaos.drill.view import JournalView, ResponseView
from chaos.slo.results import NOT_NEEDED

NEVER_S = math.inf
MEASURES = ("detect", "mitigate", "recover", "failed", "availability", "extra_cost")
TIME_MEASURES = ("detect", "mitigate", "recover")


@dataclass(frozen=True)
class Figures:
    detect: float | None = None
    mitigate: float | None = None
    recover: float | None = None
    failed: int | None = None
    availability: float | None = None
    extra_cost: float | None = None

    def get(self, measure: str) -> float | None:
        value: float | int | None = getattr(self, measure)
        return None if value is None else float(value)


def figures_of(journal: JournalView) -> Figures:
    evaluation = journal.evaluation
    if evaluation is None:
        return Figures()
    detect, mitigate, recover = (_worst(evaluation.responses, measure) for measure in TIME_MEASURES)
    faulted = [segment for segment in evaluation.segments if segment.faults]
    if not faulted:
        return Figures(detect, mitigate, recover)
    requests = sum(segment.requests for segment in faulted)
    weighted = [(s.availability, s.requests) for s in faulted if s.availability is not None]
    counted = sum(count for _, count in weighted)
    availability = sum(value * count for value, count in weighted) / counted if counted else None
    baseline = [segment for segment in evaluation.segments if segment.name == "baseline"]
    base_requests = sum(segment.requests for segment in baseline)
    per_request = sum(segment.cost_usd for segment in baseline) / base_requests if base_requests else 0.0
    extra = sum(segment.cost_usd for segment in faulted) - per_request * requests
    return Figures(
        detect,
        mitigate,
        recover,
        failed=sum(segment.failed for segment in faulted),
        availability=availability,
        extra_cost=max(0.0, extra),
    )


def _worst(responses: list[ResponseView], measure: str) -> float | None:
    values = [_seconds(getattr(response, measure)) for response in responses]
    return max(values) if values else None


def _seconds(value: float | str) -> float:
    if isinstance(value, str):
        return 0.0 if value == NOT_NEEDED else NEVER_S
    return float(value)


def format_figure(measure: str, value: float | None) -> str:
    """How a figure reads in a report: ``4 s``, ``never``, ``not needed``, ``99.20%``, ``$0.0312``."""
    if value is None:
        return "-"
    if measure in TIME_MEASURES:
        if math.isinf(value):
            return "never"
        return "not needed" if value == 0 else f"{value:.3g} s"
    if measure == "availability":
        return f"{value * 100:.2f}%"
    if measure == "extra_cost":
        return f"${value:.4f}"
    return f"{value:.0f}"
