"""Runs that did not end by themselves: killed (the judged timeline ends at the last
record, whether the kill came before the load stopped or in its stop grace) or aborted
(stopped early). Requests the stop cut are counted apart, never as failures of the
target. Hand-made runs, hand-computed answers.
"""

from __future__ import annotations

import pytest

from chaos.slo.evaluate import evaluate
from chaos.slo.results import KILLED as KILLED_RULE
from chaos.slo.results import AbortDecision
from chaos.wilson import Verdict
from tests.slo.slo_runs import Run, scenario

PAGE = {"severity": "page", "factor": 2.5, "long": "10s", "short": "2s", "min_samples": 5}


def killed_at(at: float) -> AbortDecision:
    return AbortDecision(rule=KILLED_RULE, reason="the run stopped before it finished its journal", at=at)


KILLED = killed_at(25.6)


def killed_run() -> Run:
    """Ten requests a second from 10 s, each 0.5 s long; the run was killed at 25.6 s: the
    five sent at 25.15-25.55 s have no end record, and nothing was recorded after 25.6 s.
    The primary answers 503 from 20 s (``outage``, never restored): the gateway falls over."""
    run = Run()
    for index in range(156):
        sent = 10.05 + index / 10
        run.request(sent, duration=0.5, ends=sent + 0.5 <= 25.6, served="secondary" if sent >= 20 else "primary")
    run.fault("outage", 20)
    run.ledger(25.6, "secondary", duration=0.0)  # the last record
    return run


def test_a_killed_run_is_judged_until_its_last_record() -> None:
    """The real run: killed at 25.6 s of a 100 s scenario. Judged as if the load had run
    on, its 51 requests in flight became timeouts (availability FAIL 715/766); here the
    timeline ends at 25.6 s and the five in flight at the kill are cut by it."""
    sc = scenario(alerts=[PAGE])
    evaluation = evaluate(sc, killed_run().data(sc), aborted=KILLED)
    assert (evaluation.counts.load_end, evaluation.counts.horizon) == (25.6, 25.6)
    assert (evaluation.counts.in_flight_at_end, evaluation.counts.cut_by_stop) == (5, 5)
    assert [(s.name, s.start, s.end) for s in evaluation.spans] == [
        ("warmup", 0, 10),
        ("baseline", 10, 20),
        ("outage", 20, 25.6),
    ]
    outage = next(s for s in evaluation.segments if s.name == "outage")
    assert (outage.requests, outage.failed, outage.cut_by_stop) == (51, 0, 5)
    availability = next(r for r in evaluation.slos if r.segment == "outage")
    assert (availability.good, availability.total) == (51, 51)
    assert len(evaluation.buckets.t) == 26
    assert evaluation.alerts == []


def test_alerts_never_fire_after_the_last_record_of_a_killed_run() -> None:
    """Twenty requests in flight at the kill: left in flight, they would count as bad
    in every window after it, and a page would fire 10 s after every process had died."""
    run = Run()
    run.many(10, 30, 200, duration=0.25)
    run.many(29.5, 29.9, 20, ends=False)
    run.ledger(30.5, "primary", duration=0.0)  # the last record
    sc = scenario(alerts=[PAGE], slos={"availability": {"objective": "90%"}})
    evaluation = evaluate(sc, run.data(sc), aborted=KILLED)
    assert evaluation.alerts == []
    assert (evaluation.counts.horizon, evaluation.counts.cut_by_stop) == (30.5, 20)


@pytest.mark.parametrize(
    ("aborted", "total", "cut", "verdict"),
    [
        (AbortDecision(rule="slo availability below 80% over 10s", reason="...", at=50.0), 500, 6, Verdict.PASS),
        (None, 506, 0, Verdict.INCONCLUSIVE),
    ],
    ids=["aborted", "ran-its-course"],
)
def test_requests_cut_by_an_abort_s_stop_grace_are_counted_apart(
    aborted: AbortDecision | None, total: int, cut: int, verdict: Verdict
) -> None:
    """Six requests still in flight when the load's stop grace ran out: after an abort
    the stop came early, while their answers were on their way (the real run's were 3.5 s
    off), so they are cut by the stop, not failures of the target. At the end of a run
    that ran its course, the grace was long enough: they are timeouts (DESIGN.md)."""
    run = Run()
    run.many(10, 50, 500, duration=0.05)
    run.many(49, 50, 6, stopped=True, duration=5.0)
    run.stop(50)
    sc = scenario(load={"duration": 50.0})
    evaluation = evaluate(sc, run.data(sc), aborted=aborted)
    (availability,) = evaluation.slos
    assert (availability.good, availability.total, evaluation.counts.cut_by_stop) == (500, total, cut)
    assert evaluation.segments[0].cut_by_stop == cut
    assert availability.verdict is verdict


def test_a_run_killed_in_its_stop_grace_is_judged_until_its_last_record() -> None:
    """The load stopped at 50 s (a STOP record) and the run was killed 1.2 s into its 5 s
    stop grace. Judged as if the grace had run its course, the timeline went on to 55 s
    after every process had died, and ``detect`` (page within 12 s of the 40 s onset)
    failed at 52 s on seconds nobody recorded. The judged timeline ends at the last record
    (51.2 s): the expectation cannot be decided, and the three requests in flight were
    cut by the kill."""
    sc = scenario(
        alerts=[PAGE],
        expect=[{"detect": "page", "slo": "availability", "during": "outage", "within": "12s"}],
    )
    run = Run()
    run.many(10, 50, 400, served="secondary")
    run.fault("outage", 40)
    run.stop(50)
    run.many(49.7, 50, 3, duration=5.0, ends=False)
    run.ledger(51.2, "secondary", duration=0.0)  # the last record
    evaluation = evaluate(sc, run.data(sc), aborted=killed_at(51.2))
    assert (evaluation.counts.load_end, evaluation.counts.horizon, evaluation.counts.cut_by_stop) == (50, 51.2, 3)
    assert [(s.name, s.start, s.end) for s in evaluation.spans[-2:]] == [("outage", 40, 50), ("grace", 50, 51.2)]
    (detect,) = evaluation.expectations
    assert (detect.verdict, detect.reason) == (Verdict.INCONCLUSIVE, "the run ended before 12s after the injection")
    assert len(evaluation.buckets.t) == 52


def test_an_aborted_run_names_what_had_failed_before_its_abort() -> None:
    """The primary fails every request from 30 s and the gateway does not fall over; the
    abort rule trips at 33 s and the load stops at 33.2 s. By then 28 of 28 requests had
    failed in ``outage`` and none was served by the secondary: the verdict is aborted, and
    says so, not only which rule tripped."""
    sc = scenario(
        expect=[{"served_by": "secondary", "during": "outage", "at_least": "95%"}],
        abort=[{"slo": "availability", "below": "80%", "over": "10s"}],
    )
    run = Run()
    run.many(10, 30, 200, duration=0.05)
    run.fault("outage", 30)
    run.many(30.4, 33.2, 28, duration=0.05, ok=False)
    run.stop(33.2)
    rule = "slo availability below 80% over 10s"
    aborted = AbortDecision(rule=rule, reason="availability was 75.0% (75 of 100 good) over the last 10s", at=33)
    evaluation = evaluate(sc, run.data(sc), aborted=aborted)
    outage = next(r for r in evaluation.slos if r.segment == "outage")
    assert (outage.good, outage.total, outage.verdict) == (0, 28, Verdict.FAIL)
    assert evaluation.verdict.exit_code == 3
    assert evaluation.verdict.reason == (
        f"aborted by {rule}: availability was 75.0% (75 of 100 good) over the last 10s; "
        "failed before the abort: availability in outage; served_by: secondary, during: outage, at_least: 95%"
    )
