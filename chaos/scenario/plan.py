"""What a run of a scenario would do, and whether its SLOs can be decided at all.

``build_plan`` is pure: segments with their offsets (unjudged spans included), each
fault's steps, the load, which SLOs are judged where, expectations and alert rules, and
an estimate of the requests each segment gets (``estimate.py``), with a warning for every
SLO so few requests cannot decide, every expectation the run ends too early to decide,
and every alert rule that can never fire.

An SLO's requests in a segment are counted as the verdict counts them at worst: the
requests in flight when a fault starts are judged with that fault (DESIGN.md's amendment),
so the segment before the onset loses them, and the plan does not count them for the
fault either. A plan that says an SLO is decidable leaves that margin.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chaos.scenario import estimate
from chaos.scenario.change_plan import ChangePlan, plan_change
from chaos.scenario.faults import Fault
from chaos.scenario.model import Scenario
from chaos.scenario.objectives import (
    RECOVERY_WINDOW,
    AbortRule,
    AlertRule,
    CostSlo,
    DetectExpectation,
    MaxCostRule,
    RecoversToExpectation,
)
from chaos.scenario.selection import counted_kinds, judged_in
from chaos.scenario.timeline import fault_steps
from chaos.scenario.units import format_duration, format_percent
from chaos.segments import Segment, Timeline, Window, cut_timeline
from chaos.wilson import requests_to_pass


@dataclass(frozen=True)
class SpanPlan:
    start: float
    end: float
    name: str
    judged: bool
    requests: float


@dataclass(frozen=True)
class SloNeed:
    slo: str
    segment: str
    objective: float
    needed: int | None  # requests, all good, to pass at 95% confidence; None: cannot pass
    expected: float  # requests of the kinds this SLO counts, estimated, less those lost at an onset

    @property
    def decidable(self) -> bool:
        return self.needed is not None and self.expected >= self.needed


@dataclass(frozen=True)
class SegmentPlan:
    name: str
    faults: tuple[str, ...]
    spans: tuple[tuple[float, float], ...]
    requests: float
    slos: tuple[str, ...]


@dataclass(frozen=True)
class StepPlan:
    offset: float
    action: str
    settings: dict[str, Any]
    active: bool


@dataclass(frozen=True)
class FaultPlan:
    name: str
    kind: str
    target: str
    start: float
    end: float
    steps: tuple[StepPlan, ...]


@dataclass(frozen=True)
class AlertPlan:
    rule: str
    slos: tuple[str, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    scenario: str
    scale: float
    duration: float
    judged_from: float
    settle: float
    min_segment: float
    stop_grace: float
    users: int
    spawn_rate: float
    shape: str
    requests_per_s: float
    spans: tuple[SpanPlan, ...]
    segments: tuple[SegmentPlan, ...]
    faults: tuple[FaultPlan, ...]
    needs: tuple[SloNeed, ...]
    expectations: tuple[str, ...]
    alerts: tuple[AlertPlan, ...]
    aborts: tuple[str, ...] = field(default=())  # each abort rule, with what it reads
    warnings: tuple[str, ...] = field(default=())
    change: ChangePlan | None = None  # the canary plan's steps and samples


def timeline(scenario: Scenario) -> Timeline:
    """The timeline a run would follow if every fault started and stopped on time."""
    load = scenario.load
    windows = [Window(fault.name, fault.at, fault.end(load.duration)) for fault in scenario.faults]
    return cut_timeline(
        windows,
        order=[fault.name for fault in scenario.faults],
        judged_from=load.judged_from,
        load_end=load.duration,
        settle=scenario.settle,
        stop_grace=estimate.stop_grace(scenario),
        min_segment=scenario.min_segment,
    )


def build_plan(scenario: Scenario, *, scale: float = 1.0) -> Plan:
    """The plan of ``scenario`` as it will run (already scaled by ``scale``, which is shown)."""
    load = scenario.load
    cut = timeline(scenario)
    segments = cut.segments
    estimator = estimate.Estimator(scenario)
    segment_plans = tuple(
        SegmentPlan(
            name=segment.name,
            faults=segment.faults,
            spans=segment.spans,
            requests=_requests(estimator, segment),
            slos=tuple(name for name, slo in scenario.slos.items() if judged_in(slo, segment)),
        )
        for segment in segments
    )
    needs = tuple(_needs(scenario, estimator, segments))
    alerts = tuple(_alert_plan(scenario, estimator, rule) for rule in scenario.alerts)
    warnings = [_need_warning(need) for need in needs if not need.decidable]
    warnings += list(_expectation_warnings(scenario))
    warnings += [f"alert {plan.rule}: {problem}" for plan in alerts for problem in plan.problems]
    change = plan_change(scenario, scenario.change, estimator) if scenario.change is not None else None
    warnings += list(change.warnings) if change is not None else []
    warnings += list(_budget_warnings(scenario, estimator))
    return Plan(
        scenario=scenario.name,
        scale=scale,
        duration=load.duration,
        judged_from=load.judged_from,
        settle=scenario.settle,
        min_segment=scenario.min_segment,
        stop_grace=estimate.stop_grace(scenario),
        users=load.users,
        spawn_rate=load.spawn_rate,
        shape=_shape(scenario),
        requests_per_s=estimator.healthy_rate,
        spans=tuple(
            SpanPlan(span.start, span.end, span.name, span.judged, estimator.requests_between(span.start, span.end))
            for span in cut.spans
        ),
        segments=segment_plans,
        faults=tuple(_fault_plan(scenario, fault) for fault in scenario.faults),
        needs=needs,
        expectations=tuple(_describe(expectation) for expectation in scenario.expect),
        alerts=alerts,
        aborts=tuple(_abort_note(rule) for rule in scenario.abort),
        warnings=tuple(warnings),
        change=change,
    )


def _requests(estimator: estimate.Estimator, segment: Segment) -> float:
    return sum(estimator.requests_between(start, end) for start, end in segment.spans)


def _judged_requests(scenario: Scenario, estimator: estimate.Estimator, segment: Segment) -> float:
    """The segment's requests less those in flight at the onset of a fault that ends one of its spans."""
    onsets = {fault.at for fault in scenario.faults}
    lost = sum(estimator.in_flight(end) for _, end in segment.spans if any(abs(end - at) < 1e-9 for at in onsets))
    return max(0.0, _requests(estimator, segment) - lost)


def _needs(scenario: Scenario, estimator: estimate.Estimator, segments: list[Segment]) -> list[SloNeed]:
    needs = []
    for name, slo in scenario.slos.items():
        if isinstance(slo, CostSlo):
            continue
        for segment in segments:
            if not judged_in(slo, segment):
                continue
            requests = _judged_requests(scenario, estimator, segment)
            share = sum(scenario.load.mix.share(kind) for kind in counted_kinds(slo))
            needs.append(SloNeed(name, segment.name, slo.objective, requests_to_pass(slo.objective), requests * share))
    return needs


def _expectation_warnings(scenario: Scenario) -> Iterator[str]:
    """Expectations whose failure the run would end too early to see (they would be inconclusive)."""
    load_end = scenario.load.duration
    restores = {fault.name: fault.end(load_end) for fault in scenario.faults if fault.end(load_end) < load_end}
    for expectation in scenario.expect:
        if isinstance(expectation, RecoversToExpectation):
            after = expectation.after or max(restores, key=restores.__getitem__, default=None)
            if after is None or after not in restores:
                yield f"recovers_to {expectation.recovers_to}: no fault is restored before the load ends"
                continue
            needed = expectation.within + RECOVERY_WINDOW
            left = load_end - restores[after]
            if left < needed:
                yield (
                    f"recovers_to {expectation.recovers_to}: the load runs {format_duration(left)} after {after} is "
                    f"restored; a gateway that does not recover within {format_duration(expectation.within)} is "
                    f"seen only after {format_duration(needed)} (within + {RECOVERY_WINDOW} s read), so it would be "
                    "inconclusive, not fail"
                )
        elif isinstance(expectation, DetectExpectation):
            fault = next((f for f in scenario.faults if f.name == expectation.during), None)
            if fault is not None and fault.at + expectation.within > load_end:
                yield (
                    f"detect {expectation.detect.value} on {expectation.slo}: the load ends "
                    f"{format_duration(load_end - fault.at)} after {fault.name} starts, before "
                    f"{format_duration(expectation.within)}: an alert that never fires would be inconclusive"
                )


def _need_warning(need: SloNeed) -> str:
    objective = format_percent(need.objective)
    if need.needed is None:
        return f"{need.slo} in {need.segment}: an objective of {objective} can never pass at 95% confidence"
    return (
        f"{need.slo} in {need.segment}: about {need.expected:.0f} requests expected, but {objective} needs "
        f"{need.needed} without a failure to pass at 95% confidence (Wilson); it cannot pass, only fail or be "
        "inconclusive: lengthen the segment, add users, or lower the objective"
    )


def _alert_plan(scenario: Scenario, estimator: estimate.Estimator, rule: AlertRule) -> AlertPlan:
    watched = rule.slos or [name for name, slo in scenario.slos.items() if not isinstance(slo, CostSlo)]
    problems = []
    for name in watched:
        slo = scenario.slos[name]
        if isinstance(slo, CostSlo):
            continue
        ceiling = 1 / (1 - slo.objective) if slo.objective < 1 else float("inf")
        if rule.factor > ceiling:
            problems.append(
                f"can never fire for {name}: a {format_percent(slo.objective)} objective burns at most {ceiling:.3g}x"
            )
    if rule.long > scenario.load.duration:
        problems.append(
            f"its long window ({format_duration(rule.long)}) is longer than the load "
            f"({format_duration(scenario.load.duration)})"
        )
    rate = estimator.healthy_rate
    if rate * rule.long < rule.min_samples:
        problems.append(
            f"about {rate * rule.long:.0f} requests fit its long window, fewer than min_samples ({rule.min_samples})"
        )
    return AlertPlan(rule.label, tuple(watched), tuple(problems))


def _budget_warnings(scenario: Scenario, estimator: estimate.Estimator) -> Iterator[str]:
    """A budget rule whose window cannot hold its ``min_requests`` in the run cannot fire in
    it (a freeze still reads the history, over runs)."""
    judged = scenario.load.duration - scenario.load.judged_from
    rate = estimator.healthy_rate
    for rule in scenario.budget:
        fits = rate * min(rule.window, judged)
        if fits < rule.min_requests:
            yield (
                f"budget rule {rule.label}: about {fits:.0f} requests fit its window in the run, fewer than "
                f"min_requests ({rule.min_requests}): it cannot fire in the run"
            )


def _abort_note(rule: AbortRule) -> str:
    """An abort rule as written, and what a reader of its verdict must know about it."""
    if isinstance(rule, MaxCostRule):
        return f"max_cost_usd {rule.max_cost_usd:g}: the money billed so far, checked every second"
    over = format_duration(rule.over)
    earliest = format_duration(rule.over * (1 - rule.below))
    return (
        f"slo {rule.slo} below {format_percent(rule.below)} over {over}: checked every second over the last "
        f"{over}, so after a fault's onset the window still holds up to {over} from before it; a total outage "
        f"trips it {earliest} after its onset at the earliest"
    )


def _fault_plan(scenario: Scenario, fault: Fault) -> FaultPlan:
    steps = tuple(
        StepPlan(
            step.offset,
            step.action.value,
            step.spec.model_dump(mode="json", by_alias=True, exclude_none=True),
            step.active,
        )
        for step in fault_steps(fault, scenario.load.duration)
    )
    target = fault.target_provider or (fault.container.name or fault.container.service or "" if fault.container else "")
    return FaultPlan(fault.name, fault.kind.value, target, fault.at, fault.end(scenario.load.duration), steps)


def _shape(scenario: Scenario) -> str:
    load = scenario.load
    if load.shape is None:
        return f"constant {load.users} users (spawn {load.spawn_rate:g}/s)"
    if load.shape.bursts is not None:
        b = load.shape.bursts
        return (
            f"{load.users} users, bursts of {b.users} for {format_duration(b.length)} every {format_duration(b.every)}"
        )
    stages = ", ".join(f"{stage.users} until {format_duration(stage.until)}" for stage in load.shape.stages or [])
    return f"stages: {stages}"


def _describe(expectation: Any) -> str:
    data = expectation.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    return ", ".join(f"{key}: {value}" for key, value in data.items())


__all__ = ["Plan", "build_plan", "timeline"]
