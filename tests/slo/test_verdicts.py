"""SLO verdicts per segment, with figures worked out by hand."""

from __future__ import annotations

import pytest

from chaos.kinds import RequestKind
from chaos.slo.evaluate import evaluate
from chaos.slo.results import RunVerdict, SloResult
from chaos.wilson import Verdict
from tests.slo.slo_runs import Run, scenario


def result(evaluation, slo: str, segment: str = "baseline") -> SloResult:
    return next(r for r in evaluation.slos if r.slo == slo and r.segment == segment)


@pytest.mark.parametrize(
    ("passed", "total", "verdict", "low", "high"),
    [
        (18, 20, Verdict.INCONCLUSIVE, 0.6990, 0.9721),  # 90% observed, far too few to tell
        (1800, 2000, Verdict.INCONCLUSIVE, 0.8861, 0.9124),  # exactly on the objective
        (1850, 2000, Verdict.PASS, 0.9126, 0.9357),
        (1700, 2000, Verdict.FAIL, 0.8337, 0.8650),
    ],
)
def test_eval_pass_rate_is_judged_by_the_wilson_interval(passed, total, verdict, low, high):
    sc = scenario(slos={"eval_pass_rate": {"objective": "90%"}})
    run = Run()
    for index in range(total):
        run.request(10 + index * 80 / total, kind=RequestKind.EVAL, eval_pass=index < passed)
    figures = result(evaluate(sc, run.data(sc)), "eval_pass_rate")
    assert (figures.good, figures.total, figures.verdict) == (passed, total, verdict)
    assert figures.low == pytest.approx(low, abs=5e-5)
    assert figures.high == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(("count", "verdict"), [(400, Verdict.PASS), (150, Verdict.INCONCLUSIVE)])
def test_a_p99_objective_needs_about_380_requests_to_pass(count, verdict):
    sc = scenario(slos={"e2e_p99": {"max": "1s"}})
    run = Run()
    run.many(10, 90, count, duration=0.2)
    figures = result(evaluate(sc, run.data(sc)), "e2e_p99")
    assert (figures.good, figures.total, figures.verdict) == (count, count, verdict)
    assert figures.latency is not None
    assert figures.latency.value_s == pytest.approx(0.2)


def test_an_outage_of_fast_failures_cannot_improve_the_p95():
    """Baseline answers take 0.9 s. In the outage 20 of 100 requests fail in 10 ms and the
    rest answer in 0.3 s: dropping failures would show p95 = 0.3 s, better than the
    baseline; with failures infinitely slow the p95 is a failure and the SLO fails."""
    sc = scenario(slos={"e2e_p95": {"max": "1s"}})
    run = Run()
    run.many(10, 19, 100, duration=0.9)  # every one ends before the outage
    run.fault("outage", 20, 30)
    for index in range(100):
        run.request(20 + index * 0.1, duration=0.01 if index % 5 == 0 else 0.3, ok=index % 5 != 0)
    evaluation = evaluate(sc, run.data(sc))
    baseline, outage = result(evaluation, "e2e_p95"), result(evaluation, "e2e_p95", "outage")
    assert baseline.latency is not None
    assert outage.latency is not None
    assert baseline.latency.value_s == pytest.approx(0.9)
    assert outage.latency.value_s is None  # the 95th of 100 ranks falls on a failure
    assert outage.latency.value_ok_s == pytest.approx(0.3)  # success-only, for diagnosis
    assert (outage.good, outage.total, outage.verdict) == (80, 100, Verdict.FAIL)
    summary = next(s for s in evaluation.segments if s.name == "outage")
    assert summary.e2e.p95 is None
    assert summary.e2e.p95_ok == pytest.approx(0.3)


@pytest.mark.parametrize(("policy", "good", "verdict"), [("bad", 450, Verdict.FAIL), ("good", 500, Verdict.PASS)])
def test_degraded_answers_count_against_availability_only_when_bad(policy, good, verdict):
    sc = scenario(degraded=policy)
    run = Run()
    for index in range(500):
        run.request(10 + index * 0.16, degraded="canned" if index % 10 == 0 else None)
    evaluation = evaluate(sc, run.data(sc))
    figures = result(evaluation, "availability")
    assert (figures.good, figures.total, figures.verdict) == (good, 500, verdict)
    assert evaluation.segments[0].degraded_share == pytest.approx(0.1)
    assert evaluation.segments[0].served_by_target == {"primary": pytest.approx(0.9), "degraded": pytest.approx(0.1)}


def test_a_hang_fails_availability_with_every_request_timed_out():
    """Requests sent after 50 s never end; at the end of the stop grace they count as
    timed out, in the segment of their start."""
    sc = scenario()
    run = Run()
    run.many(10.05, 50.05, 400, duration=0.04)  # every one ends before the hang
    run.fault("hang", 50)
    run.many(50.05, 100.05, 500, ends=False)
    run.stop(100)
    evaluation = evaluate(sc, run.data(sc))
    hang = result(evaluation, "availability", "hang")
    assert (hang.good, hang.total, hang.verdict) == (0, 500, Verdict.FAIL)
    assert result(evaluation, "availability").verdict is Verdict.PASS
    assert evaluation.counts.in_flight_at_end == 500
    assert evaluation.segments[1].served_by_target == {"failed": 1.0}
    assert (evaluation.verdict.verdict, evaluation.verdict.exit_code) == (RunVerdict.FAIL, 1)
    response = evaluation.responses[0]
    assert (response.detect, response.mitigate, response.recover) == ("never", "never", "never")


def test_a_slo_with_during_is_judged_only_there():
    sc = scenario(slos={"availability": {"objective": "99%", "during": ["outage"]}})
    run = Run()
    run.many(10, 20, 50)
    run.fault("outage", 20, 40)
    run.many(20, 40, 50)
    run.many(50, 100, 50)
    segments = [r.segment for r in evaluate(sc, run.data(sc)).slos]
    assert segments == ["outage"]


def test_cost_is_billed_by_the_ledger_and_priced_by_the_scenario():
    """primary: $10 / $20 per 1M input / output tokens; secondary: $1 / $2."""
    sc = scenario(slos={"cost_per_request": {"max": 0.005, "total_max": 0.02}})
    run = Run()
    first = run.request(11)
    second = run.request(12)
    failed = run.request(13, ok=False)
    run.ledger(11.1, "primary", request_id=first, input_tokens=100, output_tokens=200)  # $0.005
    run.ledger(12.1, "primary", status=503, request_id=second)  # failed attempts bill nothing
    run.ledger(12.2, "secondary", request_id=second, input_tokens=1000, output_tokens=500)  # $0.002
    run.ledger(13.1, "primary", status=500, request_id=failed)
    run.ledger(14.0, "primary", input_tokens=100)  # no id: placed by its own time, $0.001
    run.ledger(15.0, "primary", input_tokens=10_000, canary=True)  # the target's probe: kept apart
    run.ledger(5.0, "primary", input_tokens=10_000)  # in the warm-up: not judged
    evaluation = evaluate(sc, run.data(sc))
    per_request = result(evaluation, "cost_per_request")
    assert per_request.cost is not None
    assert per_request.cost.total_usd == pytest.approx(0.008)
    assert per_request.cost.answered == 2
    assert per_request.cost.per_request_usd == pytest.approx(0.004)
    assert per_request.verdict is Verdict.PASS
    total = result(evaluation, "cost_per_request", "overall")
    assert (total.verdict, total.objective) == (Verdict.PASS, 0.02)
    assert evaluation.counts.canary_rows == 1
    assert evaluation.segments[0].served_by_ledger == {
        "primary": pytest.approx(1 / 3),
        "secondary": pytest.approx(1 / 3),
        "failed": pytest.approx(1 / 3),
    }


def test_cost_per_request_above_its_maximum_fails():
    sc = scenario(slos={"cost_per_request": {"max": 0.001}})
    run = Run()
    request = run.request(11)
    run.ledger(11.1, "primary", request_id=request, input_tokens=100, output_tokens=200)
    figures = result(evaluate(sc, run.data(sc)), "cost_per_request")
    assert figures.verdict is Verdict.FAIL


def test_a_ttft_objective_counts_streams_only():
    sc = scenario(slos={"ttft_p95": {"max": "500ms"}})
    run = Run()
    run.many(10, 50, 100, kind=RequestKind.CHAT_STREAM, duration=2.0, ttft=0.2)
    run.many(50, 90, 100, kind=RequestKind.CHAT, duration=2.0)
    figures = result(evaluate(sc, run.data(sc)), "ttft_p95")
    assert (figures.good, figures.total, figures.verdict) == (100, 100, Verdict.PASS)
    assert figures.latency is not None
    assert figures.latency.value_s == pytest.approx(0.2)
