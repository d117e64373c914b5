"""The canary gates' statistics, each pinned by a hand-computed figure: exact p-values of
small tables, the sample below which a gate holds, and the false-promote rate of a
5-point eval regression over 1,000 seeded simulations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chaos.scenario.change import Gates
from chaos.slo.gates import (
    GateDecision,
    VersionSample,
    decide_gate,
    difference_lower_bound,
    eval_check,
    worse_p_value,
)

INF = math.inf


def sample(passed: int, answered: int, *, requests: int | None = None, cost: float = 0.0) -> VersionSample:
    """``cost`` billed evenly over the requests."""
    n = requests if requests is not None else answered
    return VersionSample(n, passed, answered, np.full(n, 0.5), np.full(n, 1.0), np.full(n, cost / n if n else 0.0))


def timed(ttft: list[float]) -> VersionSample:
    return VersionSample(len(ttft), 0, 0, np.asarray(ttft), np.asarray(ttft), np.zeros(len(ttft)))


def billed(costs: list[float]) -> VersionSample:
    return VersionSample(len(costs), 0, 0, np.zeros(len(costs)), np.zeros(len(costs)), np.asarray(costs))


EVALS_ONLY = Gates(cost_per_request=None)


def test_a_small_table_is_decided_by_fishers_exact_test() -> None:
    # Candidate 3 of 10 right, baseline 9 of 10. With the margins fixed (12 right of 20,
    # 10 each), the candidate's right answers X are hypergeometric; P(X <= 3) =
    # [C(12,2) C(8,8) + C(12,3) C(8,7)] / C(20,10) = (66 + 1760) / 184756.
    p, test = worse_p_value(3, 10, 9, 10)
    assert test == "fisher_exact"
    assert p == pytest.approx(1826 / 184756, rel=1e-12)
    check = eval_check(sample(9, 10), sample(3, 10), Gates(min_sample=10))
    assert check.decision is GateDecision.ROLL_BACK
    assert (check.baseline, check.candidate, check.p_worse) == (0.9, 0.3, p)


def test_a_table_two_answers_apart_is_not_significant() -> None:
    # 7 of 10 against 9 of 10: 16 right of 20, X = the candidate's right answers, 6..10;
    # P(X <= 7) = [C(16,6) C(4,4) + C(16,7) C(4,3)] / C(20,10) = (8008 + 45760) / 184756.
    p, test = worse_p_value(7, 10, 9, 10)
    assert test == "fisher_exact"
    assert p == pytest.approx(53768 / 184756, rel=1e-12)
    assert eval_check(sample(9, 10), sample(7, 10), Gates(min_sample=10)).decision is GateDecision.HOLD


def test_a_large_table_is_decided_by_the_pooled_two_proportion_z_test() -> None:
    # 80/100 against 90/100: pooled 0.85, se = sqrt(0.85 * 0.15 * (1/100 + 1/100))
    # = 0.0504975, z = -0.10 / se = -1.980295, one-sided p = Phi(z) = 0.0238352.
    p, test = worse_p_value(80, 100, 90, 100)
    assert test == "two_proportion_z"
    assert p == pytest.approx(0.0238352, abs=1e-7)


def test_the_fewest_answers_that_can_promote_a_perfect_candidate_is_the_min_sample() -> None:
    # Both all right: the Newcombe lower bound is -z^2 / (n + z^2), z = 1.6448536 (5% one-sided):
    # -0.0494565 at n = 52 (within 5 points: promote), -0.0503774 at n = 51 (hold).
    gates = Gates.model_validate({"eval_pass_rate": {"max_drop": 0.05}, "cost_per_request": None})
    assert gates.samples_needed == 52
    assert difference_lower_bound(52, 52, 52, 52, gates.z) == pytest.approx(-0.0494565, abs=1e-7)
    assert difference_lower_bound(51, 51, 51, 51, gates.z) == pytest.approx(-0.0503774, abs=1e-7)
    promoted = decide_gate(sample(52, 52), sample(52, 52), gates)
    assert promoted.decision is GateDecision.PROMOTE
    held = decide_gate(sample(51, 51), sample(51, 51), gates.model_copy(update={"min_sample": 51}))
    assert held.decision is GateDecision.HOLD
    assert Gates().samples_needed == 133  # the default 2 points: z^2 * 0.98 / 0.02 = 132.57


def test_a_sample_too_small_to_decide_holds_even_when_the_candidate_is_all_wrong() -> None:
    gate = decide_gate(sample(60, 60), sample(0, 51), Gates(min_sample=52))
    assert gate.decision is GateDecision.HOLD
    assert gate.checks[0].test is None
    assert gate.reason == (
        "eval_pass_rate: too few eval answers to decide: baseline 60, candidate 51, each needs 52; "
        "cost_per_request: too few requests to decide: baseline 60, candidate 51, each needs 52"
    )


def test_latency_is_compared_by_mann_whitney_u_around_the_tolerance() -> None:
    # Every candidate TTFT above every baseline one: U = 16 of 16, exact one-sided
    # p = 1 / C(8, 4) = 1/70 = 0.0142857.
    gates = _ttft_within(0.0)
    slower = decide_gate(timed([1, 2, 3, 4]), timed([5, 6, 7, 8]), gates)
    assert slower.decision is GateDecision.ROLL_BACK
    assert slower.checks[0].p_worse == pytest.approx(1 / 70)
    assert (slower.checks[0].baseline, slower.checks[0].candidate) == (2, 6)  # nearest-rank medians
    # 10 s tolerated: the candidate less 10 s lies wholly below the baseline, p = 1/70.
    tolerant = decide_gate(timed([1, 2, 3, 4]), timed([5, 6, 7, 8]), _ttft_within(10.0))
    assert tolerant.decision is GateDecision.PROMOTE
    assert tolerant.checks[0].p_not_worse == pytest.approx(1 / 70)
    # 4.5 s: the candidate less 4.5 s (0.5 .. 3.5) beats the baseline in 10 of 16 pairs;
    # U of two samples of 4 is symmetric around 8 with counts 1,1,2,3,5,5,7,7,8,... of 70,
    # so P(U >= 10) = P(U <= 6) = 24/70 either way: not shown, hold.
    unsure = decide_gate(timed([1, 2, 3, 4]), timed([5, 6, 7, 8]), _ttft_within(4.5))
    assert unsure.decision is GateDecision.HOLD
    assert unsure.checks[0].p_not_worse == pytest.approx(24 / 70)
    # A failed request is infinitely slow: one among four fast ones still ranks last.
    failed = decide_gate(timed([1, 2, 3, 4]), timed([5, 6, 7, INF]), gates)
    assert failed.checks[0].p_worse == pytest.approx(1 / 70)
    assert failed.checks[0].candidate == 6


def _ttft_within(seconds: float) -> Gates:
    return Gates.model_validate(
        {"min_sample": 4, "eval_pass_rate": None, "cost_per_request": None, "ttft": {"max_slowdown": seconds}}
    )


def test_cost_per_request_is_compared_by_welchs_t_test_against_the_tolerance() -> None:
    gates = Gates.model_validate({"min_sample": 4, "eval_pass_rate": None, "cost_per_request": {"max_increase": 0.1}})
    # Baseline 1, 2, 3, 4 (x 1.1 allowed: mean 2.75, s^2 2.0167), candidate 4, 5, 6, 7
    # (mean 5.5, s^2 1.6667): t = 2.75 / sqrt(2.0167/4 + 1.6667/4) = 2.86578, Welch's
    # df = 0.92083^2 / (0.50417^2/3 + 0.41667^2/3) = 5.94631, one-sided p = 0.0144367.
    dearer = decide_gate(billed([1, 2, 3, 4]), billed([4, 5, 6, 7]), gates)
    assert dearer.decision is GateDecision.ROLL_BACK
    assert dearer.checks[0].p_worse == pytest.approx(0.0144367, abs=1e-7)
    assert dearer.reason.startswith("cost_per_request: $5.500000 a request, above the baseline's $2.500000 + 10%")
    # The other way round: t = -3.69946 on the same df, p(less) = 0.0051296: promote.
    cheaper = decide_gate(billed([4, 5, 6, 7]), billed([1, 2, 3, 4]), gates)
    assert cheaper.decision is GateDecision.PROMOTE
    assert cheaper.checks[0].p_not_worse == pytest.approx(0.0051296, abs=1e-7)
    # Every request billed alike on both sides: the means decide outright.
    assert decide_gate(billed([1.0] * 4), billed([1.05] * 4), gates).decision is GateDecision.PROMOTE
    assert decide_gate(billed([1.0] * 4), billed([1.2] * 4), gates).decision is GateDecision.ROLL_BACK
    # 1 against 1.2 in noise this large is not shown either way: hold.
    assert decide_gate(billed([0.5, 1.5, 0.5, 1.5]), billed([0.7, 1.7, 0.7, 1.7]), gates).decision is GateDecision.HOLD


def test_the_gate_is_the_worst_of_its_checks() -> None:
    gates = Gates(min_sample=10)
    cheap_but_wrong = decide_gate(sample(10, 10, cost=1.0), sample(3, 10, cost=0.5), gates)
    assert [c.decision for c in cheap_but_wrong.checks] == [GateDecision.ROLL_BACK, GateDecision.PROMOTE]
    assert cheap_but_wrong.decision is GateDecision.ROLL_BACK


def test_a_5_point_regression_is_promoted_in_under_5_percent_of_1000_simulations() -> None:
    """Baseline 95% right, candidate 90%, each version at the gate's own minimum sample
    (133 answers) and at four times it: the default gate (5% one-sided, 2 points
    tolerated) must promote the worse candidate in under 5% of seeded runs, and a healthy
    one (95% too) must not be held forever: it is promoted once the sample is large."""
    gates = Gates(cost_per_request=None)
    rng = np.random.default_rng(20)
    for n in (gates.samples_needed, 4 * gates.samples_needed):
        promoted = rolled_back = 0
        for _ in range(1000):
            base, cand = int(rng.binomial(n, 0.95)), int(rng.binomial(n, 0.90))
            decision = decide_gate(sample(base, n), sample(cand, n), gates).decision
            promoted += decision is GateDecision.PROMOTE
            rolled_back += decision is GateDecision.ROLL_BACK
        assert promoted / 1000 < 0.05, (n, promoted)
        assert rolled_back > promoted
    healthy = sum(
        decide_gate(
            sample(int(rng.binomial(4000, 0.95)), 4000), sample(int(rng.binomial(4000, 0.95)), 4000), gates
        ).decision
        is GateDecision.PROMOTE
        for _ in range(200)
    )
    assert healthy >= 150
