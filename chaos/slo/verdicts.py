"""Every SLO judged in every segment it covers, and the SLIs of each segment.

A ratio SLO passes in a segment if the Wilson 95% interval of its good ratio lies at or
above the objective, fails if it lies below, and is inconclusive if it holds it. Cost
per request is a threshold on the mean (billed cost over answered requests); a cost
SLO's ``total_max`` is judged once, over every segment it covers, as ``overall``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chaos.kinds import RequestKind
from chaos.scenario.base import DegradedPolicy
from chaos.scenario.objectives import CostSlo, LatencyMetric, LatencySlo
from chaos.scenario.selection import judged_in
from chaos.segments import OVERALL, Segment
from chaos.slo.data import BY_TIME, BY_TIME_PROVIDERS, BY_TIME_SEVERAL, KIND_CODE, Bools, Floats
from chaos.slo.frame import Frame
from chaos.slo.percentiles import nearest_rank, reported
from chaos.slo.results import CostFigures, LatencyFigures, Percentiles, SegmentSummary, SloResult, TimeAttribution
from chaos.slo.sli import Sli, latency_values
from chaos.wilson import Verdict, judge_ratio, wilson_interval


def judge_slos(frame: Frame, segments: Sequence[Segment] | None = None) -> list[SloResult]:
    """Each SLO in each of ``segments`` (default: every judged segment) it covers."""
    chosen = list(frame.segments if segments is None else segments)
    results: list[SloResult] = []
    for name, slo in frame.scenario.slos.items():
        covered = [segment for segment in chosen if judged_in(slo, segment)]
        if isinstance(slo, CostSlo):
            results += _cost_results(frame, name, slo, covered)
        else:
            sli = Sli(slo, frame.scenario.degraded)
            counted, good = sli.flags(frame.requests)
            values = latency_values(slo.metric, frame.requests) if isinstance(slo, LatencySlo) else None
            for segment in covered:
                inside = counted & frame.requests_in([segment])
                results.append(_ratio_result(name, sli, segment.name, inside, good, latencies=values))
    return results


def _ratio_result(
    name: str, sli: Sli, segment: str, inside: Bools, good: Bools, *, latencies: Floats | None
) -> SloResult:
    total, n_good = int(inside.sum()), int((good & inside).sum())
    low, high = wilson_interval(n_good, total)
    latency = None
    if isinstance(sli.slo, LatencySlo) and latencies is not None:
        values = latencies[inside]
        latency = LatencyFigures(
            metric=sli.slo.metric.value,
            percentile=sli.slo.percentile,
            max_s=sli.slo.max,
            value_s=reported(nearest_rank(values, sli.slo.percentile)),
            value_ok_s=nearest_rank(values[np.isfinite(values)], sli.slo.percentile),
        )
    return SloResult(
        slo=name,
        sli=sli.slo.sli,
        segment=segment,
        verdict=judge_ratio(n_good, total, sli.objective),
        objective=sli.objective,
        good=n_good,
        total=total,
        ratio=n_good / total if total else None,
        low=low,
        high=high,
        latency=latency,
    )


def _cost_results(frame: Frame, name: str, slo: CostSlo, segments: list[Segment]) -> list[SloResult]:
    results = []
    for segment in segments:
        figures = _cost_figures(frame, [segment], max_usd=slo.max, total_max=None)
        per_request = figures.per_request_usd
        verdict = Verdict.INCONCLUSIVE if per_request is None else _at_most(per_request, slo.max)
        results.append(_cost_result(name, segment.name, verdict, slo.max, figures))
    if slo.total_max is not None and segments:
        figures = _cost_figures(frame, segments, max_usd=None, total_max=slo.total_max)
        results.append(_cost_result(name, OVERALL, _at_most(figures.total_usd, slo.total_max), slo.total_max, figures))
    return results


def _cost_result(name: str, segment: str, verdict: Verdict, objective: float, figures: CostFigures) -> SloResult:
    return SloResult(
        slo=name, sli="cost_per_request", segment=segment, verdict=verdict, objective=objective, cost=figures
    )


def _at_most(value: float, limit: float) -> Verdict:
    return Verdict.PASS if value <= limit else Verdict.FAIL


def _cost_figures(
    frame: Frame, segments: Sequence[Segment], *, max_usd: float | None, total_max: float | None
) -> CostFigures:
    total = float(frame.ledger_cost[frame.rows_in(segments)].sum())
    answered = int((frame.requests_in(segments) & ~frame.requests.failed).sum())
    return CostFigures(
        total_usd=total,
        per_request_usd=total / answered if answered else None,
        answered=answered,
        max_usd=max_usd,
        total_max_usd=total_max,
    )


def summarise(frame: Frame, segment: Segment) -> SegmentSummary:
    requests = frame.requests
    inside = frame.requests_in([segment])
    shared = frame.shares_in([segment])
    n, n_shared = int(inside.sum()), int(shared.sum())
    failed = requests.failed & inside
    bad = failed | (requests.degraded & inside) if frame.scenario.degraded is DegradedPolicy.BAD else failed
    answered_evals = inside & (requests.eval_pass >= 0)
    cost = _cost_figures(frame, [segment], max_usd=None, total_max=None)
    streams = inside & (requests.kind == KIND_CODE[RequestKind.CHAT_STREAM.value])
    by_time = requests.attribution[shared]
    return SegmentSummary(
        name=segment.name,
        faults=list(segment.faults),
        spans=list(segment.spans),
        requests=n,
        moved_in=int((frame.moved_in & inside).sum()),
        cut_by_stop=frame.cut_in([segment]),
        failed=int(failed.sum()),
        availability=_share(n - int(bad.sum()), n),
        degraded_share=_share(int((requests.degraded & shared).sum()), n_shared),
        eval_pass_rate=_share(int((requests.eval_pass[answered_evals] == 1).sum()), int(answered_evals.sum())),
        ttft=percentiles(latency_values(LatencyMetric.TTFT, requests)[streams]),
        e2e=percentiles(latency_values(LatencyMetric.E2E, requests)[inside]),
        cost_usd=cost.total_usd,
        cost_per_request_usd=cost.per_request_usd,
        served_by_target=_shares(frame.served_counts(shared, ledger=False), n_shared),
        served_by_ledger=_shares(frame.served_counts(shared, ledger=True), n_shared),
        attributed_by_time=TimeAttribution(
            requests=int((by_time >= BY_TIME).sum()),
            several_calls=int((by_time >= BY_TIME_SEVERAL).sum()),
            several_providers=int((by_time == BY_TIME_PROVIDERS).sum()),
        ),
    )


def percentiles(values: Floats) -> Percentiles:
    ok = values[np.isfinite(values)]
    return Percentiles(
        p50=reported(nearest_rank(values, 50)),
        p95=reported(nearest_rank(values, 95)),
        p99=reported(nearest_rank(values, 99)),
        p50_ok=nearest_rank(ok, 50),
        p95_ok=nearest_rank(ok, 95),
        p99_ok=nearest_rank(ok, 99),
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _shares(counts: dict[str, int], whole: int) -> dict[str, float]:
    return {name: count / whole for name, count in counts.items()} if whole else {}


def failing(results: Sequence[SloResult]) -> list[SloResult]:
    return [result for result in results if result.verdict is Verdict.FAIL]
