"""What ``chaos plan`` foretells of a change plan: each step's window and, at each gate,
the samples each version will have, against the minimum the gate needs before deciding.

The gates count eval answers (with an eval gate; requests otherwise) cumulatively from
the start of load: the baseline version serves every request before the first step
(when it is its provider's default version) and the rest of each step's share; the
candidate its share of each step. A gate whose candidate will not have the minimum by the
end of its hold is not wrong (it holds, and is asked again), but the plan says so: the
steps will then take longer than written.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.kinds import RequestKind
from chaos.scenario.change import Change
from chaos.scenario.estimate import Estimator, requests_of_kind
from chaos.scenario.model import Scenario
from chaos.scenario.units import format_duration


@dataclass(frozen=True)
class StepPlan:
    share: float
    start: float
    end: float  # when its gate is first asked (or the last step's end)
    baseline: float  # samples the baseline will have by ``end``, cumulatively
    candidate: float
    gated: bool  # a gate follows this step (every step but the last)


@dataclass(frozen=True)
class ChangePlan:
    baseline: str
    candidate: str
    counted: str  # what min_sample counts: eval answers or requests
    min_sample: int
    steps: tuple[StepPlan, ...]
    warnings: tuple[str, ...]


def plan_change(scenario: Scenario, change: Change, estimator: Estimator) -> ChangePlan:
    evals = change.gates.eval_pass_rate is not None
    provider = scenario.providers.get(change.baseline.provider)
    baseline_by_default = provider is not None and provider.default_version == change.baseline.version

    def samples(start: float, end: float) -> float:
        requests = estimator.requests_between(start, end)
        return requests_of_kind(scenario, requests, RequestKind.EVAL) if evals else requests

    baseline = samples(0.0, change.at) if baseline_by_default else 0.0
    candidate, start, steps = 0.0, change.at, []
    for index, step in enumerate(change.steps):
        end = min(start + step.hold, scenario.load.duration)
        during = samples(start, end)
        baseline += (1 - step.share) * during
        candidate += step.share * during
        steps.append(StepPlan(step.share, start, end, baseline, candidate, index < len(change.steps) - 1))
        start = end
    need = change.gates.samples_needed
    counted = "eval answers" if evals else "requests"
    warnings = [
        f"change: the gate after the {step.share:.0%} step at {format_duration(step.end)} will hold: "
        f"~{min(step.candidate, step.baseline):.0f} {counted} of a version by then, min_sample {need}"
        for step in steps
        if step.gated and min(step.candidate, step.baseline) < need
    ]
    return ChangePlan(
        baseline=change.baseline.label,
        candidate=change.candidate.label,
        counted=counted,
        min_sample=need,
        steps=tuple(steps),
        warnings=tuple(warnings[:1]),  # the first says when the plan slips; the others follow from it
    )
