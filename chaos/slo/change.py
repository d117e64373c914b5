"""What a canary plan came to: the steps taken, each gate's decision, the time to roll
back, and the users who got the candidate (the journal's ``change``).

The run (``chaos.run.canary``) writes the steps and gates as they happen; ``judge_change``
adds what only the whole record shows, from the run directory's files:

- **exposure**: the requests routed to the candidate (``chaos.slo.versions``: by the
  first call made for each), how many of them failed, their eval answers judged wrong,
  and the extra cost: what they were billed less what as many requests cost at the
  baseline's mean (negative when the candidate is cheaper);
- **time to roll back**: from the deciding gate to the later of the rollback hook's
  answer and the candidate's last call received after the decision (canaries apart);
  the candidate's traffic has stopped by then;
- the plan's expectation, as an ``ExpectationResult`` that the verdict counts.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from chaos.scenario.change import Change, Outcome
from chaos.slo.gates import Gate, GateDecision, VersionSample
from chaos.slo.results import ExpectationResult, Result
from chaos.slo.versions import Label, RunRecords
from chaos.wilson import Verdict


class HookCall(Result):
    share: float = Field(description="The share the hook was called with, 0 to 1.")
    at: float = Field(description="Offset the call was made at.")
    answered_at: float
    ok: bool
    detail: str = Field(description="The answer's status or the command's exit code, or the error.")


class GateRecord(Result):
    at: float = Field(description="Offset the gate was decided at.")
    until: float = Field(description="Epoch seconds: requests ended by then were counted.")
    ledger_seq: int = Field(description="Ledger rows up to this sequence number were read.")
    gate: Gate


class StepRecord(Result):
    share: float
    set: HookCall
    gates: list[GateRecord] = Field(default_factory=list)


class Exposure(Result):
    """The users who got the candidate."""

    requests: int
    failed: int
    eval_answers: int
    failed_evals: int
    cost_usd: float
    extra_cost_usd: float = Field(description="Cost less as many requests at the baseline's mean cost.")


class VersionFigures(Result):
    """One version's requests over the whole run (routed by their first call)."""

    version: str
    requests: int
    failed: int
    eval_answers: int
    eval_pass_rate: float | None
    ttft_p50: float | None = Field(description="Nearest rank, seconds; None when it lands on a failure.")
    ttft_p95: float | None
    latency_p50: float | None
    latency_p95: float | None
    cost_usd: float
    cost_per_request: float

    @classmethod
    def of(cls, version: str, sample: VersionSample) -> VersionFigures:
        return cls(
            version=version,
            requests=sample.requests,
            failed=int(np.isinf(sample.latency).sum()),
            eval_answers=sample.eval_answered,
            eval_pass_rate=sample.eval_pass_rate,
            ttft_p50=_rank(sample.ttft, 0.5),
            ttft_p95=_rank(sample.ttft, 0.95),
            latency_p50=_rank(sample.latency, 0.5),
            latency_p95=_rank(sample.latency, 0.95),
            cost_usd=sample.cost_usd,
            cost_per_request=sample.cost_per_request,
        )


def _rank(values: NDArray[np.float64], quantile: float) -> float | None:
    if len(values) == 0:
        return None
    value = float(np.sort(values)[math.ceil(quantile * len(values)) - 1])
    return value if math.isfinite(value) else None


class ChangeResult(Result):
    baseline: str
    candidate: str
    min_sample: int
    steps: list[StepRecord] = Field(default_factory=list)
    outcome: Outcome = Outcome.UNDECIDED
    decided_at: float | None = Field(None, description="Offset of the gate that rolled back.")
    rollback: HookCall | None = None
    time_to_roll_back: float | None = None
    exposure: Exposure | None = None
    versions: list[VersionFigures] = Field(default_factory=list, description="Baseline, then candidate.")
    expectation: ExpectationResult | None = None

    @property
    def deciding_gates(self) -> list[GateRecord]:
        return [gate for step in self.steps for gate in step.gates]


def judge_change(
    change: Change, result: ChangeResult, records: RunRecords, samples: dict[Label, VersionSample], t0: float
) -> ChangeResult:
    """``result`` as the run left it, with exposure, time to roll back and the expectation."""
    base = samples[(change.baseline.provider, change.baseline.version)]
    cand = samples[(change.candidate.provider, change.candidate.version)]
    exposure = Exposure(
        requests=cand.requests,
        failed=int(np.isinf(cand.latency).sum()),
        eval_answers=cand.eval_answered,
        failed_evals=cand.eval_answered - cand.eval_passed,
        cost_usd=cand.cost_usd,
        extra_cost_usd=cand.cost_usd - cand.requests * base.cost_per_request,
    )
    judged = result.model_copy(
        update={
            "exposure": exposure,
            "versions": [VersionFigures.of(result.baseline, base), VersionFigures.of(result.candidate, cand)],
            "time_to_roll_back": _time_to_roll_back(change, result, records, t0),
        }
    )
    return judged.model_copy(update={"expectation": _expectation(change, judged)})


def _time_to_roll_back(change: Change, result: ChangeResult, records: RunRecords, t0: float) -> float | None:
    if result.outcome is not Outcome.ROLLED_BACK or result.decided_at is None or result.rollback is None:
        return None
    decided = t0 + result.decided_at
    candidate = (change.candidate.provider, change.candidate.version)
    last_call = max(
        (
            row.t
            for row in records.rows
            if not row.canary and row.t >= decided and (row.provider, row.version) == candidate
        ),
        default=decided,
    )
    return max(last_call - t0, result.rollback.answered_at) - result.decided_at


def _expectation(change: Change, result: ChangeResult) -> ExpectationResult | None:
    expect = change.expect
    if expect is None:
        return None
    text = f"change {expect.outcome}" + (f" within {expect.within:g}s" if expect.within is not None else "")
    text += " at the first gate that could decide" if expect.at_first_chance else ""
    figures: dict[str, float | int | str | None] = {
        "outcome": result.outcome.value,
        "time_to_roll_back": result.time_to_roll_back,
        "gates": len(result.deciding_gates),
    }
    problems = []
    if result.outcome.value != expect.outcome:
        problems.append(f"it was {result.outcome.value}")
    elif expect.within is not None and (result.time_to_roll_back or 0.0) > expect.within:
        problems.append(f"the candidate still got calls {result.time_to_roll_back:.1f} s after the decision")
    if expect.at_first_chance and result.outcome is not Outcome.UNDECIDED and _held_when_decidable(result):
        problems.append("a gate with enough samples held before the deciding one")
    verdict = Verdict.FAIL if problems else Verdict.PASS
    reason = "; ".join(problems) if problems else f"{result.outcome.value}"
    return ExpectationResult(expectation=text, kind="change", verdict=verdict, reason=reason, figures=figures)


def _held_when_decidable(result: ChangeResult) -> bool:
    """A gate held although every check had its samples (so one could have decided)."""
    return any(
        record.gate.decision is GateDecision.HOLD and all(check.test is not None for check in record.gate.checks)
        for record in result.deciding_gates
    )
