"""Which requests and segments an SLO or an expectation looks at: what the scenario's
objectives mean, read by the plan and by the verdict alike (no numpy).

A TTFT objective counts streamed requests unless it names a kind; an eval pass rate
counts eval requests; the rest count every request. ``during:`` names a fault (every
segment in which it is active), a segment (``baseline``, ``recovery``, ``a+b``), or
``overall`` (every judged segment).
"""

from __future__ import annotations

from chaos.kinds import RequestKind
from chaos.scenario.model import Scenario
from chaos.scenario.objectives import CostSlo, EvalPassRateSlo, LatencyMetric, LatencySlo, RatioSlo, Slo
from chaos.segments import JOINED_BY, OVERALL, Segment, Timeline


def counted_kinds(slo: Slo) -> tuple[RequestKind, ...]:
    """Request kinds an SLO counts."""
    if isinstance(slo, EvalPassRateSlo):
        return (RequestKind.EVAL,)
    if isinstance(slo, LatencySlo):
        if slo.kind is not None:
            return (slo.kind,)
        if slo.metric is LatencyMetric.TTFT:
            return (RequestKind.CHAT_STREAM,)
    return tuple(RequestKind)


def judged_in(slo: Slo, segment: Segment) -> bool:
    """Whether an SLO's ``during`` (default: every segment) covers ``segment``."""
    if not slo.during:
        return True
    return any(
        name in (OVERALL, segment.name) or (name in segment.faults and JOINED_BY not in name) for name in slo.during
    )


def segments_for(timeline: Timeline, during: str | None) -> list[Segment]:
    """The judged segments ``during`` names (every judged segment when it names none)."""
    segments = timeline.segments
    if during is None or during == OVERALL:
        return segments
    return [segment for segment in segments if during in (segment.name, *segment.faults)]


def ratio_slos(scenario: Scenario) -> dict[str, RatioSlo]:
    """The SLOs judged as a share of good requests (all but cost)."""
    return {name: slo for name, slo in scenario.slos.items() if not isinstance(slo, CostSlo)}
