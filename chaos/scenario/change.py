"""The scenario's ``change:``: a canary plan for a new model version.

::

    change:
      baseline:  {provider: primary, version: 2026-09}
      candidate: {provider: primary, version: 2026-11}
      at: 10s                                  # the first step's start (after the warm-up)
      steps:                                   # the candidate's share of traffic, each held
        - {share: 10%, hold: 15s}
        - {share: 50%, hold: 15s}
        - {share: 100%, hold: 10s}
      set_share:                               # how the target is told; {share} is 0..100
        http: {method: PUT, url: /admin/canary?share={share}}
      rollback:                                # called when a gate says roll back
        http: {method: PUT, url: /admin/canary?share=0}
      gates: {min_sample: 60, eval_pass_rate: {max_drop: 5%}, ttft: {max_slowdown: 150ms}}

A gate is decided at the end of each step but the last, from every request each version
served so far: promote (on to the next step), hold (not enough data: the share stays and
the gate is asked again every ``recheck``) or roll back (the rollback hook, and the plan
ends). ``chaos.slo.gates`` holds the statistics; a run carries the plan out with
``chaos.run.canary``.
"""

from __future__ import annotations

import math
from enum import StrEnum
from statistics import NormalDist
from typing import Literal

from pydantic import Field, model_validator

from chaos.scenario.base import Name, Strict
from chaos.scenario.units import Duration, Percent

SHARE_PLACEHOLDER = "{share}"
DEFAULT_ALPHA = 0.05
DEFAULT_MAX_DROP = 0.02


class VersionRef(Strict):
    """One model version of one provider."""

    provider: Name
    version: str = Field(min_length=1, description="One of the provider's versions.")

    @property
    def label(self) -> str:
        return f"{self.provider}@{self.version}"


class HttpHook(Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "PUT"
    url: str = Field(description="A path on the target (e.g. /admin/canary?share={share}) or a URL.")
    body: str | None = Field(None, description="Sent as JSON text; {share} is filled in here too.")


class Hook(Strict):
    """An HTTP call or a command; ``{share}`` is the candidate's share, 0 to 100."""

    http: HttpHook | None = None
    command: list[str] | None = Field(
        None, min_length=1, description="Run from the scenario's folder; `python` means chaos's interpreter."
    )
    timeout: Duration = Field(10.0, gt=0, le=300, description="How long the call may take (default 10s).")

    @model_validator(mode="after")
    def _one_way(self) -> Hook:
        if (self.http is None) == (self.command is None):
            raise ValueError("give exactly one of http or command")
        return self


class Step(Strict):
    share: Percent = Field(description="The candidate's share of traffic.")
    hold: Duration = Field(gt=0, description="How long the share is held before its gate.")


class EvalGate(Strict):
    max_drop: Percent = Field(
        DEFAULT_MAX_DROP,
        description="Promote only when the candidate's eval pass rate is shown to be at most this far below the "
        "baseline's (default 2 points); any significant drop rolls back.",
    )


class LatencyGate(Strict):
    max_slowdown: Duration = Field(
        description="The slowdown tolerated: roll back when the candidate is shown slower than the baseline plus "
        "this, promote when it is shown faster than that."
    )


class CostGate(Strict):
    max_increase: Percent = Field(0.1, description="Mean cost per request above the baseline's (default 10%).")


class Gates(Strict):
    """What a gate compares, and how sure it must be."""

    alpha: Percent = Field(DEFAULT_ALPHA, gt=0, le=0.5, description="Each test's one-sided error (default 5%).")
    min_sample: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="Requests per version (and eval answers, with an eval gate) before any gate is decided "
        "(default: the fewest with which a perfect candidate could be promoted; `chaos plan` shows it).",
    )
    eval_pass_rate: EvalGate | None = Field(
        default_factory=EvalGate, description="Eval pass rate, by a two-proportion test (default on)."
    )
    ttft: LatencyGate | None = Field(
        None, description="Time to first token, by Mann-Whitney U on the versions' distributions."
    )
    latency: LatencyGate | None = Field(None, description="End-to-end latency, by Mann-Whitney U.")
    cost_per_request: CostGate | None = Field(
        default_factory=CostGate, description="Mean cost per request from the ledger (default on)."
    )
    recheck: Duration = Field(2.0, gt=0, description="How often a held gate is asked again (default 2s).")

    @property
    def z(self) -> float:
        """The one-sided normal quantile of ``alpha``."""
        return NormalDist().inv_cdf(1 - self.alpha)

    @property
    def samples_needed(self) -> int:
        """``min_sample``, or the fewest eval answers per version with which a candidate
        answering all right could be promoted against a baseline answering all right: the
        Wilson lower bound n / (n + z^2) must lie within ``max_drop`` of 1, so
        n > z^2 (1 - d) / d (52 for 5% and 5 points, 133 for 2 points)."""
        if self.min_sample is not None:
            return self.min_sample
        drop = self.eval_pass_rate.max_drop if self.eval_pass_rate is not None else DEFAULT_MAX_DROP
        if drop <= 0:
            return 1_000_000
        return max(1, math.floor(self.z**2 * (1 - drop) / drop) + 1)


class Outcome(StrEnum):
    PROMOTED = "promoted"  # the last step's share was set
    ROLLED_BACK = "rolled_back"  # a gate said roll back, and the rollback hook was called
    UNDECIDED = "undecided"  # the load ended first (a gate held, or the steps were still running)


class ChangeExpectation(Strict):
    """What the run must show of the plan (judged with the SLOs and expectations)."""

    outcome: Literal["promoted", "rolled_back"]
    within: Duration | None = Field(
        None,
        description="rolled_back: the candidate's last call came at most this long after the decision "
        "(the time to roll back).",
    )
    at_first_chance: bool = Field(
        False, description="Decided at the first gate whose samples reached min_sample (no hold after it)."
    )


class Change(Strict):
    baseline: VersionRef
    candidate: VersionRef
    at: Duration = Field(description="When the first step starts (offset from the start of load).")
    steps: list[Step] = Field(min_length=1, max_length=20)
    set_share: Hook = Field(description="How the target is told the candidate's share ({share}: 0 to 100).")
    rollback: Hook | None = Field(
        None, description="Called when a gate says roll back (default: set_share with share 0)."
    )
    gates: Gates = Field(default_factory=Gates)
    expect: ChangeExpectation | None = Field(None, description="What the plan must come to (default: nothing).")

    @model_validator(mode="after")
    def _two_versions(self) -> Change:
        if self.baseline == self.candidate:
            raise ValueError("the candidate is the baseline: name another version")
        return self

    @property
    def rollback_hook(self) -> Hook:
        return self.rollback if self.rollback is not None else self.set_share

    def planned_end(self) -> float:
        """When the last step ends if every gate promotes at once."""
        return self.at + sum(step.hold for step in self.steps)
