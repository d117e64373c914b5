"""What a run of a scenario would do, and whether its SLOs can be decided at all.

``build_plan`` is pure: segments with their offsets (unjudged spans included), each
fault's steps, the load, which SLOs are judged where, expectations and alert rules, and
an estimate of the requests each segment gets, with a warning for every SLO so few
requests cannot decide and every alert rule that can never fire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaos.scenario import estimate
from chaos.scenario.faults import Fault
from chaos.scenario.model import Scenario
from chaos.scenario.objectives import (
    AlertRule,
    CostSlo,
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
    expected: float  # requests of the kinds this SLO counts, estimated

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
    duration: float
    judged_from: float
    settle: float
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
    warnings: tuple[str, ...] = field(default=())


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
    )


def build_plan(scenario: Scenario) -> Plan:
    load = scenario.load
    cut = timeline(scenario)
    segments = cut.segments
    segment_plans = tuple(
        SegmentPlan(
            name=segment.name,
            faults=segment.faults,
            spans=segment.spans,
            requests=_requests(scenario, segment),
            slos=tuple(name for name, slo in scenario.slos.items() if judged_in(slo, segment)),
        )
        for segment in segments
    )
    needs = tuple(_needs(scenario, segments))
    alerts = tuple(_alert_plan(scenario, rule) for rule in scenario.alerts)
    warnings = [_need_warning(need) for need in needs if not need.decidable]
    warnings += [f"alert {plan.rule}: {problem}" for plan in alerts for problem in plan.problems]
    return Plan(
        scenario=scenario.name,
        duration=load.duration,
        judged_from=load.judged_from,
        settle=scenario.settle,
        stop_grace=estimate.stop_grace(scenario),
        users=load.users,
        spawn_rate=load.spawn_rate,
        shape=_shape(scenario),
        requests_per_s=load.users / estimate.cycle_time(scenario) if estimate.cycle_time(scenario) > 0 else 0.0,
        spans=tuple(
            SpanPlan(
                span.start, span.end, span.name, span.judged, estimate.requests_between(scenario, span.start, span.end)
            )
            for span in cut.spans
        ),
        segments=segment_plans,
        faults=tuple(_fault_plan(scenario, fault) for fault in scenario.faults),
        needs=needs,
        expectations=tuple(_describe(expectation) for expectation in scenario.expect),
        alerts=alerts,
        warnings=tuple(warnings),
    )


def _requests(scenario: Scenario, segment: Segment) -> float:
    return sum(estimate.requests_between(scenario, start, end) for start, end in segment.spans)


def _needs(scenario: Scenario, segments: list[Segment]) -> list[SloNeed]:
    needs = []
    for name, slo in scenario.slos.items():
        if isinstance(slo, CostSlo):
            continue
        for segment in segments:
            if not judged_in(slo, segment):
                continue
            requests = _requests(scenario, segment)
            share = sum(scenario.load.mix.share(kind) for kind in counted_kinds(slo))
            needs.append(SloNeed(name, segment.name, slo.objective, requests_to_pass(slo.objective), requests * share))
    return needs


def _need_warning(need: SloNeed) -> str:
    objective = format_percent(need.objective)
    if need.needed is None:
        return f"{need.slo} in {need.segment}: an objective of {objective} can never pass at 95% confidence"
    return (
        f"{need.slo} in {need.segment}: about {need.expected:.0f} requests expected, but {objective} needs "
        f"{need.needed} without a failure to pass at 95% confidence (Wilson); it cannot pass, only fail or be "
        "inconclusive: lengthen the segment, add users, or lower the objective"
    )


def _alert_plan(scenario: Scenario, rule: AlertRule) -> AlertPlan:
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
    rate = scenario.load.users / estimate.cycle_time(scenario) if estimate.cycle_time(scenario) > 0 else 0.0
    if rate * rule.long < rule.min_samples:
        problems.append(
            f"about {rate * rule.long:.0f} requests fit its long window, fewer than min_samples ({rule.min_samples})"
        )
    return AlertPlan(rule.label, tuple(watched), tuple(problems))


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
