"""The judgement of a run: ``evaluate`` for the verdict, ``steady_state_gate`` before the
first injection.

The run's verdict, in order of precedence (DESIGN.md): ``aborted`` (exit 3) > ``fail``
(1) > ``inconclusive`` (4) > ``pass`` (0). A run whose steady-state gate failed injected
nothing and is ``inconclusive: baseline`` unless it was aborted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from chaos.records import Finding
from chaos.scenario.model import Scenario
from chaos.segments import BASELINE
from chaos.slo.alerts import alert_firings, burn_series
from chaos.slo.buckets import build_buckets
from chaos.slo.budget import slo_budgets
from chaos.slo.data import RunData
from chaos.slo.expectations import judge_expectations
from chaos.slo.frame import Frame, build_frame
from chaos.slo.response import Health, fault_response
from chaos.slo.results import (
    AbortDecision,
    AlertResult,
    Counts,
    Evaluation,
    ExpectationResult,
    GateResult,
    Overall,
    RunVerdict,
    SloResult,
    SpanResult,
)
from chaos.slo.series import signal
from chaos.slo.sli import slis
from chaos.slo.verdicts import judge_slos, summarise
from chaos.wilson import Verdict


def evaluate(
    scenario: Scenario,
    data: RunData,
    *,
    aborted: AbortDecision | None = None,
    baseline_gate_failed: bool = False,
    findings: Sequence[Finding] = (),
) -> Evaluation:
    """Everything the run showed, and its verdict."""
    frame = build_frame(
        scenario, data, stopped_early=aborted is not None, killed=aborted is not None and aborted.killed
    )
    seconds = math.ceil(frame.horizon)
    by_name = slis(scenario)
    signals = {name: signal(sli, frame.requests, seconds + 1) for name, sli in by_name.items()}
    objectives = {name: (signals[name], sli.objective) for name, sli in by_name.items()}
    firings = alert_firings(scenario.alerts, objectives, seconds)
    health = Health(by_name, signals, seconds)
    slo_results = judge_slos(frame)
    expectations = judge_expectations(frame, firings, findings)
    return Evaluation(
        scenario=scenario.name,
        counts=_counts(frame),
        spans=[
            SpanResult(name=span.name, start=span.start, end=span.end, judged=span.judged, faults=list(span.faults))
            for span in frame.timeline.spans
        ],
        segments=[summarise(frame, segment) for segment in frame.segments],
        slos=slo_results,
        alerts=[
            AlertResult(rule=f.rule, severity=f.severity, slo=f.slo, fired_at=f.fired_at, cleared_at=f.cleared_at)
            for f in firings
        ],
        expectations=expectations,
        responses=[
            fault_response(
                window,
                window.fault in frame.restored,
                health,
                firings,
                settle=scenario.settle,
                observed_until=frame.load_end,
            )
            for window in frame.windows
        ],
        buckets=build_buckets(frame),
        burn=burn_series(scenario.alerts, objectives, seconds),
        aborted=aborted,
        baseline_gate_failed=baseline_gate_failed,
        verdict=overall(
            slo_results,
            expectations,
            aborted=aborted,
            baseline_gate_failed=baseline_gate_failed,
            cut_by_stop=len(frame.cut_segment),
        ),
        budgets=slo_budgets(frame, slo_results),
    )


def steady_state_gate(scenario: Scenario, data: RunData, at: float) -> GateResult:
    """At offset ``at`` (the first injection): does any SLO *fail* in the baseline so far?
    Inconclusive is allowed; requests in flight for longer than the stop grace count as
    timed out."""
    frame = build_frame(scenario, data, now=at)
    baseline = [segment for segment in frame.segments if segment.name == BASELINE]
    results = judge_slos(frame, baseline)
    return GateResult(passed=not _with(results, Verdict.FAIL), at=at, slos=results)


def overall(
    slos: Sequence[SloResult],
    expectations: Sequence[ExpectationResult],
    *,
    aborted: AbortDecision | None,
    baseline_gate_failed: bool,
    cut_by_stop: int = 0,
) -> Overall:
    """The run's verdict and why. An aborted run's names what had failed before the abort
    and how many requests its stop cut unjudged: a hang's are all cut, so "nothing had
    failed" alone would read as if all were well."""
    if aborted is not None:
        had_failed = _with(slos, Verdict.FAIL) + _with(expectations, Verdict.FAIL)
        before = f"failed before the abort: {_listed(had_failed)}" if had_failed else "nothing had failed before it"
        if cut_by_stop:
            before += f"; {cut_by_stop} request{'s' if cut_by_stop != 1 else ''} cut by the stop, not judged"
        return _overall(RunVerdict.ABORTED, f"aborted by {aborted.rule}: {aborted.reason}; {before}")
    if baseline_gate_failed:
        failed = ", ".join(f"{r.slo}" for r in slos if r.segment == BASELINE and r.verdict is Verdict.FAIL)
        return _overall(
            RunVerdict.INCONCLUSIVE, f"baseline: an SLO failed before any fault ({failed or 'see the gate'})"
        )
    if not slos and not expectations:
        return _overall(RunVerdict.INCONCLUSIVE, "nothing was judged: no segment had requests")
    for verdict, run_verdict in ((Verdict.FAIL, RunVerdict.FAIL), (Verdict.INCONCLUSIVE, RunVerdict.INCONCLUSIVE)):
        named = _with(slos, verdict) + _with(expectations, verdict)
        if named:
            return _overall(run_verdict, f"{verdict.value}: " + _listed(named))
    return _overall(RunVerdict.PASS, "every SLO and expectation passed")


def with_expectations(evaluation: Evaluation, extra: Sequence[ExpectationResult]) -> Evaluation:
    """``evaluation`` with ``extra`` expectations (a canary plan's, the observability
    checks) among its own, and its verdict weighed again with them."""
    if not extra:
        return evaluation
    expectations = [*evaluation.expectations, *extra]
    verdict = overall(
        evaluation.slos,
        expectations,
        aborted=evaluation.aborted,
        baseline_gate_failed=evaluation.baseline_gate_failed,
        cut_by_stop=evaluation.counts.cut_by_stop,
    )
    return evaluation.model_copy(update={"expectations": expectations, "verdict": verdict})


def _with(results: Sequence[SloResult | ExpectationResult], verdict: Verdict) -> list[str]:
    return [
        f"{r.slo} in {r.segment}" if isinstance(r, SloResult) else r.expectation
        for r in results
        if r.verdict is verdict
    ]


def _listed(names: list[str], limit: int = 3) -> str:
    shown = "; ".join(names[:limit])
    return shown + (f" (and {len(names) - limit} more)" if len(names) > limit else "")


def _overall(verdict: RunVerdict, reason: str) -> Overall:
    return Overall(verdict=verdict, reason=reason, exit_code=int(verdict.exit_code))


def _counts(frame: Frame) -> Counts:
    data = frame.data
    return Counts(
        requests=len(data.requests),
        in_flight_at_end=int(data.requests.in_flight.sum()),
        cut_by_stop=len(frame.cut_segment),
        ledger_rows=len(data.ledger),
        canary_rows=int(data.ledger.canary.sum()),
        load_end=frame.load_end,
        horizon=frame.horizon,
        last_record=data.last_record,
    )
