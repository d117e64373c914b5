"""The run's verdict and its precedence, the steady-state gate, and the journal's JSON."""

from __future__ import annotations

import pytest

from chaos.slo.evaluate import evaluate, overall, steady_state_gate
from chaos.slo.results import AbortDecision, Evaluation, ExpectationResult, RunVerdict, SloResult
from chaos.wilson import Verdict
from tests.slo.slo_runs import Run, scenario


def slo(verdict: Verdict, segment: str = "baseline") -> SloResult:
    return SloResult(slo="availability", sli="availability", segment=segment, verdict=verdict, objective=0.99)


def expectation(verdict: Verdict) -> ExpectationResult:
    return ExpectationResult(expectation="recovers_to: primary", kind="recovers_to", verdict=verdict, reason="")


ABORTED = AbortDecision(rule="max_cost_usd 5", reason="billed $6", at=42)


@pytest.mark.parametrize(
    ("judged", "aborted", "gate_failed", "expected"),
    [
        (([slo(Verdict.PASS)], [expectation(Verdict.PASS)]), None, False, (RunVerdict.PASS, 0)),
        (([slo(Verdict.PASS)], [expectation(Verdict.INCONCLUSIVE)]), None, False, (RunVerdict.INCONCLUSIVE, 4)),
        (([slo(Verdict.INCONCLUSIVE)], [expectation(Verdict.FAIL)]), None, False, (RunVerdict.FAIL, 1)),
        (([slo(Verdict.FAIL)], [expectation(Verdict.PASS)]), ABORTED, False, (RunVerdict.ABORTED, 3)),
        (([slo(Verdict.FAIL)], []), None, True, (RunVerdict.INCONCLUSIVE, 4)),
        (([slo(Verdict.FAIL)], []), ABORTED, True, (RunVerdict.ABORTED, 3)),
        (([], []), None, False, (RunVerdict.INCONCLUSIVE, 4)),
    ],
)
def test_verdict_precedence_aborted_fail_inconclusive_pass(judged, aborted, gate_failed, expected):
    slos, expectations = judged
    result = overall(slos, expectations, aborted=aborted, baseline_gate_failed=gate_failed)
    assert (result.verdict, result.exit_code) == expected


def test_an_aborted_verdict_names_what_had_failed_before_the_abort():
    slos = [slo(Verdict.FAIL, "primary-503"), slo(Verdict.PASS), slo(Verdict.INCONCLUSIVE, "recovery")]
    result = overall(slos, [expectation(Verdict.FAIL)], aborted=ABORTED, baseline_gate_failed=False)
    assert result.reason == (
        "aborted by max_cost_usd 5: billed $6; failed before the abort: availability in primary-503; "
        "recovers_to: primary"
    )
    clean = overall([slo(Verdict.PASS)], [], aborted=ABORTED, baseline_gate_failed=False)
    assert clean.reason == "aborted by max_cost_usd 5: billed $6; nothing had failed before it"


def test_a_failed_gate_reads_inconclusive_baseline_with_the_slos_that_failed():
    result = overall([slo(Verdict.FAIL)], [], aborted=None, baseline_gate_failed=True)
    assert result.reason.startswith("baseline: ")
    assert "availability" in result.reason


def test_the_steady_state_gate_fails_only_when_an_slo_fails_in_the_baseline():
    sc = scenario(load={"duration": 200.0})
    healthy, failing = Run(), Run()
    healthy.many(10, 30, 20)  # too few to pass 99%: inconclusive is allowed
    failing.many(10, 30, 200, ok=False)
    gate = steady_state_gate(sc, healthy.data(sc), at=30.0)
    assert gate.passed
    assert [(r.segment, r.verdict) for r in gate.slos] == [("baseline", Verdict.INCONCLUSIVE)]
    gate = steady_state_gate(sc, failing.data(sc), at=30.0)
    assert not gate.passed
    assert gate.slos[0].verdict is Verdict.FAIL


def test_the_gate_counts_requests_in_flight_past_the_stop_grace_as_failed():
    sc = scenario(load={"duration": 200.0})
    run = Run()
    run.many(10, 30, 1000)
    run.many(10, 20, 100, ends=False)  # in flight for over 10 s at 30 s (grace: 5 s)
    run.many(27, 30, 100, ends=False)  # younger than the grace: not judged yet
    gate = steady_state_gate(sc, run.data(sc), at=30.0)
    assert (gate.slos[0].good, gate.slos[0].total, gate.passed) == (1000, 1100, False)


def test_an_evaluation_round_trips_through_json():
    sc = scenario(
        slos={"availability": {"objective": "99%"}, "e2e_p95": {"max": "1s"}},
        expect=[{"recovers_to": "primary", "within": "10s"}],
    )
    run = Run()
    run.many(10, 100, 500)
    run.fault("outage", 40, 50)
    run.many(40, 50, 20, ok=False)
    run.stop(100)
    evaluation = evaluate(sc, run.data(sc), aborted=ABORTED)
    text = evaluation.model_dump_json()
    assert Evaluation.model_validate_json(text) == evaluation
    assert evaluation.verdict.verdict is RunVerdict.ABORTED
    assert len(evaluation.buckets.t) == 105
    assert evaluation.buckets.requests[45] == 7  # 5 of the 500 and 2 of the 20 were sent in second 45
    assert evaluation.buckets.failures[45] == 2
    assert evaluation.buckets.faults[45] == ["outage"]
