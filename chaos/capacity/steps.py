"""A probe's run judged step by step, each step's window as a segment (``chaos.slo``), and
the knee read from them.

- **A step's state**: ``broken`` when an SLO fails in it, or is about to: its good share
  lies below the objective though too few requests decide it (the probe stopped there
  too: its abort rule is that share); ``holding`` when every SLO passes; ``undecided``
  when an SLO is inconclusive at or above its objective (the step was too short to
  decide: ``chaos plan`` and ``benchmarks/capacity`` say how long is enough); and
  ``not_reached`` when the run stopped before it.
- **The knee**: the last step before the first broken one that is not broken; its rate,
  the requests it sent and the tokens the providers billed per second. The SLO that
  broke first is the one furthest below its objective in the first broken step (the
  largest burn rate, bad share over allowed bad share).
- **What saturated**, in the first broken step: a provider whose quota refused calls
  (429s, ``quota`` in its ledger rows) or that was admitted 90% of its quota or more; else
  the load generator, if it sent less than 90% of the step's rate; else the target itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from chaos.capacity.measured import read_records
from chaos.capacity.plan import ProbePlan, Window
from chaos.providers.quotas import STANDING_QUOTA
from chaos.records import LedgerRow, RequestEnded
from chaos.rundir import RunDir
from chaos.scenario.model import Scenario
from chaos.segments import GRACE, WARMUP, Segment, Span, Timeline
from chaos.slo.data import RunData
from chaos.slo.frame import Frame, build_frame
from chaos.slo.results import AbortDecision, SegmentSummary, SloResult
from chaos.slo.verdicts import judge_slos, summarise
from chaos.wilson import Verdict

SATURATED_SHARE = 0.9  # of a quota admitted, or of the intended rate sent


class StepState(StrEnum):
    HOLDING = "holding"
    UNDECIDED = "undecided"
    BROKEN = "broken"
    NOT_REACHED = "not_reached"


class Figures(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderLoad(Figures):
    provider: str
    calls: int
    refused: int = Field(description="Calls answered 429.")
    refused_by_quota: int = Field(description="Of those, refused by the provider's standing quota.")
    admitted_per_min: float
    tokens_per_min: float = Field(description="Input and output tokens billed, per minute.")
    quota_rpm: int | None
    quota_tpm: int | None

    @property
    def quota_use(self) -> float | None:
        """The larger share of its quotas the provider admitted (None without a quota)."""
        shares = [
            used / quota
            for used, quota in ((self.admitted_per_min, self.quota_rpm), (self.tokens_per_min, self.quota_tpm))
            if quota
        ]
        return max(shares) if shares else None


class StepResult(Figures):
    name: str
    rate: float = Field(description="Requests per second the step meant to send.")
    users: int
    start: float = Field(description="The judged window, offsets from the start of load.")
    end: float
    state: StepState
    sent_per_s: float
    answered_per_s: float = Field(description="Requests a provider answered: neither failed nor degraded.")
    tokens_per_s: float = Field(description="Input and output tokens the providers billed per second.")
    http_429_to_users: int = Field(description="Requests the target answered 429.")
    proxies_accepted: dict[str, int] = Field(description="Connections each provider's proxy accepted in the window.")
    providers: list[ProviderLoad]
    summary: SegmentSummary | None
    slos: list[SloResult]
    below: list[str] = Field(description="SLOs whose good share lay below the objective: broke or about to.")


class Knee(Figures):
    step: str | None = Field(description="The last step before the first broken one; None if the first broke.")
    rate: float | None
    sent_per_s: float | None
    tokens_per_s: float | None
    broken_step: str | None = Field(description="None: no step broke up to the ceiling.")
    broken_rate: float | None
    broke_first: str | None
    saturated: str = Field(description="What saturated in the broken step, in words.")


def step_timeline(windows: Sequence[Window], load_end: float, horizon: float) -> Timeline:
    """Each window judged as a segment of its own name; the ramps between them (and the
    stop grace) not judged. Windows the run never reached are left out."""
    spans: list[Span] = []
    at = 0.0
    for window in windows:
        if window.start >= load_end:
            break
        if window.start > at:
            spans.append(Span(at, window.start, WARMUP, (), False))
        end = min(window.end, load_end)
        spans.append(Span(window.start, end, window.name, (), True))
        at = end
    if horizon > at:
        spans.append(Span(at, horizon, GRACE, (), False))
    return Timeline(tuple(spans))


def judged_frame(scenario: Scenario, data: RunData, plan: ProbePlan, *, aborted: bool) -> Frame:
    plain = build_frame(scenario, data, stopped_early=aborted)
    timeline = step_timeline(plan.windows, plain.load_end, plain.horizon)
    return build_frame(scenario, data, stopped_early=aborted, timeline=timeline)


def judge_steps(
    scenario: Scenario, data: RunData, run_dir: Path, plan: ProbePlan, *, stopped: AbortDecision | None
) -> list[StepResult]:
    """Each window of ``plan`` judged; the step an abort rule ``stopped`` the run in (its
    ramp included) is broken whatever its window shows: its rate made an SLO's share over
    the rule's window fall below the objective."""
    frame = judged_frame(scenario, data, plan, aborted=stopped is not None)
    tripped = _tripped(scenario, stopped)
    segments = {segment.name: segment for segment in frame.segments}
    results = judge_slos(frame)
    files = RunDir(run_dir)
    rows = [row for row in read_records(files.ledger) if isinstance(row, LedgerRow) and not row.canary]
    ended = [record for record in read_records(files.records) if isinstance(record, RequestEnded)]
    steps = []
    for window in plan.windows:
        segment = segments.get(window.name)
        if segment is None:
            steps.append(_not_reached(window))
            continue
        start, end = segment.spans[0]
        length = max(end - start, 1e-9)
        mine = [r for r in results if r.segment == window.name]
        below = [r.slo for r in mine if _below(r)]
        if tripped is not None and stopped is not None and window.load_from <= stopped.at < window.end:
            below = list(dict.fromkeys([*below, tripped]))
        in_rows = [row for row in rows if start <= row.t - data.t0 < end]
        sent = [record for record in ended if start <= record.t_sent - data.t0 < end]
        summary = summarise(frame, segment)
        steps.append(
            StepResult(
                name=window.name,
                rate=window.rate,
                users=window.users,
                start=start,
                end=end,
                state=_state(mine, below),
                sent_per_s=summary.requests / length,
                answered_per_s=_answered(frame, segment) / length,
                tokens_per_s=sum(row.input_tokens + row.output_tokens for row in in_rows) / length,
                http_429_to_users=sum(record.status == 429 for record in sent),
                proxies_accepted=_accepted(data, start, end),
                providers=[_provider_load(scenario, name, in_rows, length) for name in scenario.providers],
                summary=summary,
                slos=mine,
                below=below,
            )
        )
    return steps


def _answered(frame: Frame, segment: Segment) -> int:
    requests = frame.requests
    return int((frame.requests_in([segment]) & ~requests.failed & ~requests.degraded).sum())


def _tripped(scenario: Scenario, stopped: AbortDecision | None) -> str | None:
    """The SLO whose abort rule stopped the run (``slo NAME below ...``), if one did."""
    if stopped is None:
        return None
    return next((name for name in scenario.slos if stopped.rule.startswith(f"slo {name} ")), None)


def _below(result: SloResult) -> bool:
    if result.verdict is Verdict.FAIL:
        return True
    return result.cost is None and result.ratio is not None and result.ratio < result.objective


def _state(results: list[SloResult], below: list[str]) -> StepState:
    if below:
        return StepState.BROKEN
    if any(r.verdict is Verdict.INCONCLUSIVE for r in results) or not results:
        return StepState.UNDECIDED
    return StepState.HOLDING


def _not_reached(window: Window) -> StepResult:
    return StepResult(
        name=window.name,
        rate=window.rate,
        users=window.users,
        start=window.start,
        end=window.end,
        state=StepState.NOT_REACHED,
        sent_per_s=0.0,
        answered_per_s=0.0,
        tokens_per_s=0.0,
        http_429_to_users=0,
        proxies_accepted={},
        providers=[],
        summary=None,
        slos=[],
        below=[],
    )


def _accepted(data: RunData, start: float, end: float) -> dict[str, int]:
    found = {}
    for name, series in data.proxies.items():
        before = np.searchsorted(series.t, start, side="left") - 1
        after = np.searchsorted(series.t, end, side="left") - 1
        at_start = int(series.accepted[before]) if before >= 0 else 0
        at_end = int(series.accepted[after]) if after >= 0 else 0
        found[name] = max(0, at_end - at_start)
    return found


def _provider_load(scenario: Scenario, name: str, rows: list[LedgerRow], length: float) -> ProviderLoad:
    mine = [row for row in rows if row.provider == name]
    refused = [row for row in mine if row.status == 429]
    quota = scenario.providers[name].quota
    return ProviderLoad(
        provider=name,
        calls=len(mine),
        refused=len(refused),
        refused_by_quota=sum(row.fault == STANDING_QUOTA for row in refused),
        admitted_per_min=(len(mine) - len(refused)) / length * 60,
        tokens_per_min=sum(row.input_tokens + row.output_tokens for row in mine) / length * 60,
        quota_rpm=quota.rpm if quota is not None else None,
        quota_tpm=quota.tpm if quota is not None else None,
    )


def find_knee(steps: Sequence[StepResult]) -> Knee:
    broken_at = next((i for i, step in enumerate(steps) if step.state is StepState.BROKEN), None)
    reached = [step for step in steps if step.state is not StepState.NOT_REACHED]
    if broken_at is None:
        top = reached[-1] if reached else None
        return Knee(
            step=top.name if top else None,
            rate=top.rate if top else None,
            sent_per_s=top.sent_per_s if top else None,
            tokens_per_s=top.tokens_per_s if top else None,
            broken_step=None,
            broken_rate=None,
            broke_first=None,
            saturated="nothing: no SLO broke up to the last step reached (raise capacity.to)",
        )
    broken = steps[broken_at]
    knee = steps[broken_at - 1] if broken_at > 0 else None
    return Knee(
        step=knee.name if knee else None,
        rate=knee.rate if knee else None,
        sent_per_s=knee.sent_per_s if knee else None,
        tokens_per_s=knee.tokens_per_s if knee else None,
        broken_step=broken.name,
        broken_rate=broken.rate,
        broke_first=_broke_first(broken),
        saturated=saturated(broken),
    )


def _broke_first(step: StepResult) -> str | None:
    def burn(result: SloResult) -> float:
        if result.ratio is None or result.cost is not None:
            return float("inf") if result.verdict is Verdict.FAIL else 0.0
        allowed = 1 - result.objective
        return (1 - result.ratio) / allowed if allowed > 0 else float("inf")

    below = [r for r in step.slos if r.slo in step.below]
    return max(below, key=burn).slo if below else None


def saturated(step: StepResult) -> str:
    """What gave way in ``step``, in words (the module's rule)."""
    for load in step.providers:
        use = load.quota_use
        if load.refused_by_quota or (use is not None and use >= SATURATED_SHARE):
            limits = ", ".join(
                f"{kind} {quota:,}" for kind, quota in (("rpm", load.quota_rpm), ("tpm", load.quota_tpm)) if quota
            )
            return (
                f"provider {load.provider}'s quota ({limits}): {load.admitted_per_min:.0f} calls/min admitted, "
                f"{load.refused} refused with 429"
            )
    for load in step.providers:
        if load.refused:
            return f"provider {load.provider}: {load.refused} calls refused with 429"
    if step.sent_per_s < SATURATED_SHARE * step.rate:
        return f"the load generator: it sent {step.sent_per_s:.1f}/s of the {step.rate:g}/s meant"
    return "the target itself: no provider refused calls and the load was sent in full"
