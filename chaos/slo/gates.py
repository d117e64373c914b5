"""Canary gates: promote, hold or roll back a candidate version, from each version's requests.

A gate compares what the baseline's and the candidate's requests showed (``VersionSample``:
every request routed to a version, by the first call made for it) and says, per SLI:

- **eval pass rate**, a two-proportion test. Roll back when the candidate is worse: the
  one-sided p-value of "candidate's pass rate below the baseline's" is below ``alpha``,
  by Fisher's exact test when any expected cell of the 2x2 table is under 5, else by the
  pooled two-proportion z-test. Promote when it is shown no more than ``max_drop``
  worse: the one-sided lower bound of (candidate - baseline) by Newcombe's hybrid
  score interval (Wilson intervals of each rate, at z of ``alpha``) lies above
  ``-max_drop``. Else hold.
- **TTFT / latency**, Mann-Whitney U on the two distributions (a failed request counts as
  infinitely slow, as in every latency SLO here). Roll back when the candidate is shown
  slower than the baseline plus ``max_slowdown`` (one-sided, candidate minus the
  tolerance "greater"); promote when shown faster than that ("less"); else hold.
- **cost per request**, what the ledger billed for each request (every call made for
  it), per version, by Welch's t-test against the baseline's costs times (1 +
  ``max_increase``): roll back when the candidate's mean is shown above that, promote
  when shown below, else hold (the kinds of request cost unlike amounts, so two means
  alone are noise).

Below ``min_sample`` requests per version (and eval answers, for the eval check) the
check holds without testing. The gate is the worst of its checks: roll back > hold >
promote. Every figure a check used is in its result, so it can be recomputed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from chaos.scenario.change import Gates, LatencyGate
from chaos.slo.results import Result
from chaos.wilson import wilson_interval

Floats = NDArray[np.float64]
SMALL_EXPECTED = 5.0  # an expected cell below this makes the table small: Fisher's exact test


class GateDecision(StrEnum):
    PROMOTE = "promote"
    HOLD = "hold"
    ROLL_BACK = "roll_back"


_SEVERITY = {GateDecision.PROMOTE: 0, GateDecision.HOLD: 1, GateDecision.ROLL_BACK: 2}


@dataclass(frozen=True)
class VersionSample:
    """What the requests routed to one version showed."""

    requests: int
    eval_passed: int
    eval_answered: int  # eval requests judged (answered right or wrong)
    ttft: Floats  # seconds per request; inf for a failed one
    latency: Floats
    costs: Floats  # USD billed per request, every call made for it

    @property
    def cost_usd(self) -> float:
        return float(self.costs.sum())

    @property
    def cost_per_request(self) -> float:
        return self.cost_usd / self.requests if self.requests else 0.0

    @property
    def eval_pass_rate(self) -> float | None:
        return self.eval_passed / self.eval_answered if self.eval_answered else None


class Check(Result):
    """One SLI's comparison, with the figures it was decided by."""

    sli: str
    decision: GateDecision
    baseline: float | None
    candidate: float | None
    baseline_n: int
    candidate_n: int
    test: str | None = None  # what decided it: fisher_exact, two_proportion_z, mann_whitney_u, welch_t
    p_worse: float | None = None  # one-sided p-value of "the candidate is worse"
    p_not_worse: float | None = None  # of "it is within the tolerance" (latency, cost)
    bound: float | None = None  # eval: lower bound of candidate - baseline
    reason: str


class Gate(Result):
    decision: GateDecision
    checks: list[Check]
    reason: str


def decide_gate(baseline: VersionSample, candidate: VersionSample, gates: Gates) -> Gate:
    """The gate between two steps, from each version's requests so far."""
    checks: list[Check] = []
    if gates.eval_pass_rate is not None:
        checks.append(eval_check(baseline, candidate, gates))
    for sli, gate in (("ttft", gates.ttft), ("latency", gates.latency)):
        if gate is not None:
            checks.append(latency_check(sli, baseline, candidate, gate, gates))
    if gates.cost_per_request is not None:
        checks.append(cost_check(baseline, candidate, gates))
    if not checks:
        return Gate(decision=GateDecision.PROMOTE, checks=[], reason="no gate is configured")
    worst = max(checks, key=lambda check: _SEVERITY[check.decision])
    deciding = [check for check in checks if check.decision is worst.decision]
    reason = "; ".join(f"{check.sli}: {check.reason}" for check in deciding)
    return Gate(decision=worst.decision, checks=checks, reason=reason)


def eval_check(baseline: VersionSample, candidate: VersionSample, gates: Gates) -> Check:
    assert gates.eval_pass_rate is not None
    bp, bn, cp, cn = baseline.eval_passed, baseline.eval_answered, candidate.eval_passed, candidate.eval_answered
    figures = {
        "sli": "eval_pass_rate",
        "baseline": baseline.eval_pass_rate,
        "candidate": candidate.eval_pass_rate,
        "baseline_n": bn,
        "candidate_n": cn,
    }
    need = gates.samples_needed
    if min(bn, cn) < need:
        return Check(decision=GateDecision.HOLD, reason=_too_few(bn, cn, need, "eval answers"), **figures)
    p_worse, test = worse_p_value(cp, cn, bp, bn)
    bound = difference_lower_bound(cp, cn, bp, bn, gates.z)
    drop = gates.eval_pass_rate.max_drop
    found = {"test": test, "p_worse": p_worse, "bound": bound, **figures}
    if p_worse < gates.alpha:
        reason = f"candidate worse: p = {p_worse:.3g}, under alpha {gates.alpha:g} ({test})"
        return Check(decision=GateDecision.ROLL_BACK, reason=reason, **found)
    if bound > -drop:
        reason = f"within {drop:.1%} of the baseline: the difference is at least {bound:+.2%}"
        return Check(decision=GateDecision.PROMOTE, reason=reason, **found)
    reason = f"not shown within {drop:.1%}: the difference may be as low as {bound:+.2%} (p worse = {p_worse:.3g})"
    return Check(decision=GateDecision.HOLD, reason=reason, **found)


def worse_p_value(cand_passed: int, cand_n: int, base_passed: int, base_n: int) -> tuple[float, str]:
    """One-sided p-value of "the candidate's pass rate is below the baseline's", and the
    test that gave it: Fisher's exact test when any expected cell is under 5, else the
    pooled two-proportion z-test."""
    table = [[cand_passed, cand_n - cand_passed], [base_passed, base_n - base_passed]]
    total = cand_n + base_n
    passed = cand_passed + base_passed
    expected = [row * col / total for row in (cand_n, base_n) for col in (passed, total - passed)]
    if min(expected) < SMALL_EXPECTED:
        return float(stats.fisher_exact(table, alternative="less").pvalue), "fisher_exact"
    pooled = passed / total
    se = math.sqrt(pooled * (1 - pooled) * (1 / cand_n + 1 / base_n))
    z = (cand_passed / cand_n - base_passed / base_n) / se
    return float(stats.norm.cdf(z)), "two_proportion_z"


def difference_lower_bound(cand_passed: int, cand_n: int, base_passed: int, base_n: int, z: float) -> float:
    """Newcombe's hybrid score lower bound of (candidate rate - baseline rate), from each
    rate's Wilson interval at ``z``."""
    pc, pb = cand_passed / cand_n, base_passed / base_n
    low_c, _ = wilson_interval(cand_passed, cand_n, z)
    _, high_b = wilson_interval(base_passed, base_n, z)
    return (pc - pb) - math.sqrt((pc - low_c) ** 2 + (high_b - pb) ** 2)


def latency_check(
    sli: str, baseline: VersionSample, candidate: VersionSample, gate: LatencyGate, gates: Gates
) -> Check:
    base, cand = getattr(baseline, sli), getattr(candidate, sli)
    figures = {
        "sli": sli,
        "baseline": _median(base),
        "candidate": _median(cand),
        "baseline_n": len(base),
        "candidate_n": len(cand),
        "test": "mann_whitney_u",
    }
    need = gates.samples_needed
    if min(len(base), len(cand)) < need:
        return Check(decision=GateDecision.HOLD, reason=_too_few(len(base), len(cand), need, "requests"), **figures)
    tolerance = gate.max_slowdown
    p_worse = float(stats.mannwhitneyu(cand - tolerance, base, alternative="greater").pvalue)
    p_not_worse = float(stats.mannwhitneyu(cand - tolerance, base, alternative="less").pvalue)
    found = {"p_worse": p_worse, "p_not_worse": p_not_worse, **figures}
    slower = f"slower than the baseline + {tolerance * 1000:g} ms"
    if p_worse < gates.alpha:
        return Check(decision=GateDecision.ROLL_BACK, reason=f"{slower}: p = {p_worse:.3g}", **found)
    if p_not_worse < gates.alpha:
        return Check(decision=GateDecision.PROMOTE, reason=f"not {slower}: p = {p_not_worse:.3g}", **found)
    reason = (
        f"not shown either way around the baseline + {tolerance * 1000:g} ms (p = {p_worse:.3g}, {p_not_worse:.3g})"
    )
    return Check(decision=GateDecision.HOLD, reason=reason, **found)


def cost_check(baseline: VersionSample, candidate: VersionSample, gates: Gates) -> Check:
    assert gates.cost_per_request is not None
    figures = {
        "sli": "cost_per_request",
        "baseline": baseline.cost_per_request,
        "candidate": candidate.cost_per_request,
        "baseline_n": baseline.requests,
        "candidate_n": candidate.requests,
    }
    need = gates.samples_needed
    if min(baseline.requests, candidate.requests) < need:
        reason = _too_few(baseline.requests, candidate.requests, need, "requests")
        return Check(decision=GateDecision.HOLD, reason=reason, **figures)
    ceiling = 1 + gates.cost_per_request.max_increase
    allowed = baseline.costs * ceiling
    p_worse, p_not_worse = _welch(candidate.costs, allowed)
    found = {**figures, "test": "welch_t", "p_worse": p_worse, "p_not_worse": p_not_worse}
    limit = f"the baseline's ${baseline.cost_per_request:.6f} + {gates.cost_per_request.max_increase:.0%}"
    if p_worse < gates.alpha:
        reason = f"${candidate.cost_per_request:.6f} a request, above {limit}: p = {p_worse:.3g}"
        return Check(decision=GateDecision.ROLL_BACK, reason=reason, **found)
    if p_not_worse < gates.alpha:
        reason = f"${candidate.cost_per_request:.6f} a request, within {limit}: p = {p_not_worse:.3g}"
        return Check(decision=GateDecision.PROMOTE, reason=reason, **found)
    reason = f"${candidate.cost_per_request:.6f} a request: not shown either way around {limit}"
    return Check(decision=GateDecision.HOLD, reason=reason, **found)


def _welch(candidate: Floats, allowed: Floats) -> tuple[float, float]:
    """One-sided p-values of "the candidate's mean is above the allowed mean" and "below
    it", by Welch's t-test; with no spread on either side (every request billed alike)
    the means decide outright (0 or 1)."""
    if np.ptp(candidate) == 0 and np.ptp(allowed) == 0:
        above = float(candidate.mean() > allowed.mean())
        below = float(candidate.mean() < allowed.mean())
        return 1 - above, 1 - below
    worse = float(stats.ttest_ind(candidate, allowed, equal_var=False, alternative="greater").pvalue)
    better = float(stats.ttest_ind(candidate, allowed, equal_var=False, alternative="less").pvalue)
    return worse, better


def _median(values: Floats) -> float | None:
    """The median (nearest rank, inf for failures); None with none or on a failure."""
    if len(values) == 0:
        return None
    value = float(np.sort(values)[math.ceil(0.5 * len(values)) - 1])
    return value if math.isfinite(value) else None


def _too_few(base_n: int, cand_n: int, need: int, what: str) -> str:
    return f"too few {what} to decide: baseline {base_n}, candidate {cand_n}, each needs {need}"
