"""What an evaluation found, as pydantic models the journal serialises and the reports read.

Offsets are seconds from the start of load; shares and ratios are fractions; money is
USD. A percentile is None when there is no request or when it lands on a failed request
(failures are infinitely slow); the success-only percentile beside it stays finite.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chaos.errors import ExitCode
from chaos.scenario.base import Severity
from chaos.scenario.budget import BudgetAction
from chaos.wilson import Verdict


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunVerdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ABORTED = "aborted"
    ERROR = "error"  # nothing judged: the input or the environment failed before the load started

    @property
    def exit_code(self) -> ExitCode:
        return {
            RunVerdict.PASS: ExitCode.PASS,
            RunVerdict.FAIL: ExitCode.FAIL,
            RunVerdict.INCONCLUSIVE: ExitCode.INCONCLUSIVE,
            RunVerdict.ABORTED: ExitCode.ABORTED,
            RunVerdict.ERROR: ExitCode.INVALID,
        }[self]


NOT_NEEDED: Literal["not_needed"] = "not_needed"
NEVER: Literal["never"] = "never"
ResponseTime = float | Literal["not_needed", "never"]


class SpanResult(Result):
    name: str
    start: float
    end: float
    judged: bool
    faults: list[str]


class Percentiles(Result):
    """Nearest-rank percentiles of one latency metric, in seconds."""

    p50: float | None
    p95: float | None
    p99: float | None
    p50_ok: float | None = Field(description="Successful requests only.")
    p95_ok: float | None
    p99_ok: float | None


class TimeAttribution(Result):
    """Requests whose serving call was found by time: it carried no request id."""

    requests: int
    several_calls: int = Field(description="Of those, with more than one candidate call.")
    several_providers: int = Field(description="Of those, with candidates at more than one provider: a guess.")


class SegmentSummary(Result):
    """The SLIs of one segment, whatever the SLOs ask. Requests are placed as SLO ratios
    place them; the shares (degraded, served by), as shares place them."""

    name: str
    faults: list[str]
    spans: list[tuple[float, float]]
    requests: int
    moved_in: int = Field(description="Requests in flight at a fault's onset, judged here (and counted in requests).")
    cut_by_stop: int = Field(description="Requests a kill or an abort's stop cut: counted apart, not judged.")
    failed: int
    availability: float | None = Field(description="Not failed (and not degraded when degraded: bad).")
    degraded_share: float | None = Field(description="Of the requests counted here by where they were served.")
    eval_pass_rate: float | None = Field(description="Of eval requests that got an answer.")
    ttft: Percentiles = Field(description="Streamed requests.")
    e2e: Percentiles
    cost_usd: float
    cost_per_request_usd: float | None = Field(description="Billed cost per answered request.")
    served_by_target: dict[str, float] = Field(description="Shares by the target's answer (failed, degraded, ...).")
    served_by_ledger: dict[str, float] = Field(description="Shares by the providers' ledger.")
    attributed_by_time: TimeAttribution = Field(description="Of the ledger shares, requests matched to a call by time.")


class LatencyFigures(Result):
    metric: str
    percentile: float = Field(description="e.g. 95 for p95.")
    max_s: float
    value_s: float | None = Field(description="Exact nearest rank, failures infinitely slow.")
    value_ok_s: float | None = Field(description="Successful requests only.")


class CostFigures(Result):
    total_usd: float
    per_request_usd: float | None
    answered: int = Field(description="Requests that got an answer: what cost is spread over.")
    max_usd: float | None = Field(description="The per-request threshold (None for the total check).")
    total_max_usd: float | None


class SloResult(Result):
    """One SLO judged in one segment: the figures, the objective and the verdict."""

    slo: str
    sli: str
    segment: str
    verdict: Verdict
    objective: float = Field(description="A share for ratio SLOs, USD for cost.")
    good: int | None = None
    total: int | None = None
    ratio: float | None = None
    low: float | None = Field(None, description="Wilson 95% interval of the good ratio.")
    high: float | None = None
    latency: LatencyFigures | None = None
    cost: CostFigures | None = None


class AlertResult(Result):
    rule: str
    severity: Severity
    slo: str
    fired_at: float
    cleared_at: float | None = Field(description="None: still firing when the run ended.")


class ExpectationResult(Result):
    expectation: str = Field(description="The expectation as the scenario wrote it.")
    kind: str
    verdict: Verdict
    reason: str
    figures: dict[str, float | int | str | None] = Field(default_factory=dict)


class FaultResponse(Result):
    """Times from the fault's actual injection: a duration in seconds, not_needed, or never."""

    fault: str
    injected_at: float
    restored_at: float | None
    detect: ResponseTime
    mitigate: ResponseTime
    recover: ResponseTime


class Buckets(Result):
    """Per-second series, by the second requests were sent (columns of equal length)."""

    t: list[int]
    requests: list[int]
    failures: list[int]
    degraded: list[int]
    ttft_p50: list[float | None] = Field(description="Successful streams.")
    ttft_p95: list[float | None]
    e2e_p50: list[float | None] = Field(description="Successful requests.")
    e2e_p95: list[float | None]
    e2e_p99: list[float | None]
    served_by_target: dict[str, list[int]]
    served_by_ledger: dict[str, list[int]] = Field(description="Per request, or 2xx rows by time without ids.")
    cost_usd: list[float] = Field(description="Billed by rows received in that second.")
    faults: list[list[str]] = Field(description="Faults active at the start of each second.")


class BurnSeries(Result):
    """What one alert rule reads for one SLO, each second from t = 0: the burn rate over its
    long window (the short one must agree for it to fire)."""

    rule: str
    severity: Severity
    slo: str
    factor: float = Field(description="The rule fires above this burn rate.")
    long: list[float | None] = Field(
        description="Per second: the burn rate over the long window; None with fewer than min_samples requests in it."
    )


class SegmentBudget(Result):
    """What one segment spent of an SLO's error budget for the run."""

    segment: str
    judged: int
    bad: int
    consumed: float | None = Field(
        description="Its bad requests over the run's budget ((1 - objective) x every request the SLO judged): "
        "the segments add up to the run's share. None: no budget (nothing judged)."
    )


class PolicyFiring(Result):
    """Whether and when one rule of the budget policy would have fired in the run."""

    rule: str = Field(description="The rule, as BudgetRule.label spells it.")
    then: BudgetAction
    burns: float = Field(description="The share of the window's budget that fires it.")
    window: float = Field(description="Seconds.")
    min_requests: int
    fired_at: float | None = Field(
        description="The first whole second (offset) at which the window's share consumed reached burns; None: never."
    )
    segment: str | None = Field(description="The span (segment, or warmup, settle, grace) it fired in.")
    consumed: float | None = Field(description="The window's share consumed when it fired.")
    peak: float | None = Field(
        description="The highest share the window reached with min_requests in it; None: never enough requests."
    )


class SloBudget(Result):
    """One ratio SLO's error budget over the run: (1 - objective) x the requests it judged."""

    slo: str
    objective: float
    judged: int
    bad: int
    consumed: float | None = Field(description="bad / ((1 - objective) x judged); None: nothing judged.")
    segments: list[SegmentBudget]
    policy: list[PolicyFiring] = Field(description="The scenario's budget rules for this SLO.")


KILLED = "killed"  # the rule of a run that stopped before it finished its journal


class AbortDecision(Result):
    """Why a run was (or must be) stopped early."""

    rule: str
    reason: str
    at: float = Field(description="Offset of the check that decided it.")

    @property
    def killed(self) -> bool:
        """The run was killed: nothing was recorded after its last record."""
        return self.rule == KILLED


class Overall(Result):
    verdict: RunVerdict
    reason: str
    exit_code: int


class Counts(Result):
    requests: int
    in_flight_at_end: int = Field(description="No end record when the judged timeline ended.")
    cut_by_stop: int = Field(
        description="Requests a kill or an abort's stop cut (in flight then, or ended by the stop grace): not judged."
    )
    ledger_rows: int
    canary_rows: int
    load_end: float = Field(description="When the load stopped (its STOP record, or a killed run's last record).")
    horizon: float = Field(
        description="The end of the judged timeline: load end plus the stop grace; a killed run's last record."
    )
    last_record: float = Field(description="The latest time any record carries.")


class Evaluation(Result):
    scenario: str
    counts: Counts
    spans: list[SpanResult]
    segments: list[SegmentSummary]
    slos: list[SloResult]
    alerts: list[AlertResult]
    expectations: list[ExpectationResult]
    responses: list[FaultResponse]
    buckets: Buckets
    burn: list[BurnSeries] = Field(
        default_factory=list, description="Each alert rule's burn rate for each SLO it watches, for the charts."
    )
    aborted: AbortDecision | None
    baseline_gate_failed: bool
    verdict: Overall
    budgets: list[SloBudget] = Field(
        default_factory=list,
        description="Each ratio SLO's error budget spent per segment, and when its budget rules would have fired.",
    )


class GateResult(Result):
    """The steady-state gate: faults are injected only if no SLO fails in the baseline."""

    passed: bool
    at: float
    slos: list[SloResult]
