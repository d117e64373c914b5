"""Where a request is judged at a fault's onset: hand-made runs, hand-computed answers.

The run of most tests: ten requests a second from 10.05 s, each taking 2 s; the primary
answers 503 (``outage``, an ``http_error``) from 20 s to 40 s and the gateway falls over
to the secondary. Every request has its ledger row: the call that served it, received
10 ms after the request was sent. So the 20 requests sent at 18.05-19.95 s are still in
flight at the onset, answered by the primary through calls made before it.
"""

from __future__ import annotations

from typing import Any

import pytest

from chaos.scenario.faults import FaultKind
from chaos.slo.evaluate import evaluate
from chaos.slo.placement import IN_FLIGHT_REACH
from chaos.slo.results import Evaluation
from chaos.wilson import Verdict
from tests.slo.slo_runs import Run, scenario

OUTAGE = {"name": "outage", "at": "20s", "for": "20s", "provider": "primary", "http_error": {"status": 503}}
LATENCY = {
    "name": "outage",
    "at": "20s",
    "for": "20s",
    "network": {"provider": "primary", "toxic": "latency", "latency": "3s"},
}


def outage_run(*, kind: str = "http_error", degraded_before: bool = False) -> Run:
    run = Run()
    for index in range(900):
        sent = 10.05 + index / 10
        provider = "secondary" if 20 <= sent < 40 else "primary"
        degraded = "cached" if degraded_before and 18 <= sent < 20 else None
        request = run.request(sent, duration=2.0, served=provider, degraded=degraded)
        if degraded is None:
            run.ledger(sent + 0.01, provider, request_id=request)
    run.fault("outage", 20, 40, kind=kind)
    run.stop(100)
    return run


def evaluated(run: Run, **changes: Any) -> Evaluation:
    sc = scenario(**{"faults": [OUTAGE], **changes})
    return evaluate(sc, run.data(sc))


def segment(evaluation: Evaluation, name: str):
    return next(s for s in evaluation.segments if s.name == name)


@pytest.mark.parametrize("source", ["auto", "ledger"])
def test_served_by_counts_a_request_where_the_call_that_served_it_was_made(source: str) -> None:
    """The real run's false FAIL: every request sent during the outage was served by the
    secondary; the 20 sent 0.05-1.95 s before it were answered by the primary through
    calls made before it began. They count in the baseline: 200 of 200, not 200 of 220
    (90.9%, a FAIL)."""
    expectation = {"served_by": "secondary", "during": "outage", "at_least": "95%", "source": source}
    (result,) = evaluated(outage_run(), expect=[expectation]).expectations
    assert (result.figures["good"], result.figures["total"], result.verdict) == (200, 200, Verdict.PASS)


def test_the_degraded_share_places_a_request_like_who_served_it() -> None:
    """The 20 requests sent at 18-20 s got a cached answer (no serving call): they count by
    their send time, in the baseline (80 + 20 requests from 10 s to 20 s there)."""
    run = outage_run(degraded_before=True)
    expectation = {"degraded_share": {"at_most": "1%"}, "during": "outage"}
    evaluation = evaluated(run, expect=[expectation])
    (result,) = evaluation.expectations
    assert (result.figures["good"], result.figures["total"]) == (0, 200)
    assert segment(evaluation, "baseline").degraded_share == pytest.approx(20 / 100)
    assert segment(evaluation, "outage").degraded_share == 0


def test_a_fault_applied_at_receipt_moves_in_no_request_whose_calls_came_before_it() -> None:
    """An http_error is decided when the provider receives a call: the 20 requests in
    flight at 20 s, whose calls came before, cannot be its victims. Availability's table
    keeps them in the baseline, and says that none were moved in."""
    evaluation = evaluated(outage_run())
    assert {s.name: (s.requests, s.moved_in) for s in evaluation.segments} == {
        "baseline": (100, 0),
        "outage": (200, 0),
        "recovery": (500, 0),
    }


def test_a_network_fault_moves_in_every_request_in_flight_at_its_onset() -> None:
    """A latency toxic slows live connections too: the 20 in flight at 20 s are judged
    with it (and counted as moved in)."""
    evaluation = evaluated(outage_run(kind="network"), faults=[LATENCY])
    assert {s.name: (s.requests, s.moved_in) for s in evaluation.segments} == {
        "baseline": (80, 0),
        "outage": (220, 20),
        "recovery": (500, 0),
    }


def test_a_request_whose_call_reached_the_faulted_provider_after_the_onset_is_moved_in() -> None:
    """In flight at 20 s: ``retried`` was called again at the primary at 20.5 s and failed
    there (moved in); ``elsewhere`` was answered by the secondary at 20.5 s (a call the
    primary's fault cannot touch: it stays in the baseline with its primary call at 19.6 s)."""
    run = Run()
    retried = run.request(19.5, duration=1.5, ok=False)
    run.ledger(19.6, "primary", status=500, request_id=retried)
    run.ledger(20.5, "primary", status=503, request_id=retried)
    elsewhere = run.request(19.5, duration=1.5, served="secondary")
    run.ledger(19.6, "primary", status=500, request_id=elsewhere)
    run.ledger(20.5, "secondary", request_id=elsewhere)
    run.fault("outage", 20, 40)
    run.stop(100)
    evaluation = evaluated(run)
    assert {s.name: (s.requests, s.failed, s.moved_in) for s in evaluation.segments} == {
        "baseline": (1, 0, 0),
        "outage": (1, 1, 1),
        "recovery": (0, 0, 0),
    }


def test_requests_in_the_warmup_or_the_settle_stay_unjudged_even_in_flight_at_an_onset() -> None:
    """Judged from 10 s; ``early`` (sent at 9 s) and ``settling`` (sent at 45 s, in the
    settle after ``first``) are both in flight when a network fault starts."""
    run = Run()
    run.request(9.0, duration=3.0)  # in flight at first's onset (11.5 s)
    run.request(45.0, duration=10.0)  # in flight at second's onset (52 s)
    run.request(30.0)
    run.fault("first", 11.5, 40, kind="network")
    run.fault("second", 52, 60, kind="network")
    run.stop(100)
    evaluation = evaluated(run, faults=[])
    assert {s.name: (s.requests, s.moved_in) for s in evaluation.segments} == {
        "baseline": (0, 0),
        "first": (1, 0),
        "second": (0, 0),
        "recovery": (0, 0),
    }


def test_the_per_second_buckets_place_requests_as_the_table_does() -> None:
    """With a network fault the 20 requests in flight at 20 s are counted in second 20 of
    the chart, as in the table; who served them is counted where the serving call was made
    (seconds 18 and 19, by the primary)."""
    buckets = evaluated(outage_run(kind="network"), faults=[LATENCY]).buckets
    assert buckets.requests[18:22] == [0, 0, 30, 10]
    assert buckets.served_by_target["primary"][18:21] == [10, 10, 0]
    assert buckets.served_by_ledger["secondary"][20] == 10


def test_recovers_to_reads_who_served_where_the_serving_call_was_made() -> None:
    """After the restore at 40 s the gateway tries the primary again at once; the requests
    sent at 38-40 s waited 2 s on a dead primary call and were served by the secondary
    through calls made at 40-42 s. Those calls are part of the recovery: 5 s windows
    of calls reach 90% primary first from 42 s (2 s after the restore), not at once."""
    run = Run()
    for index in range(900):
        sent = 10.05 + index / 10
        late = 38 <= sent < 40
        provider = "secondary" if 20 <= sent < 40 else "primary"
        request = run.request(sent, duration=2.5 if late else 0.25, served=provider)
        run.ledger(sent + (2.0 if late else 0.01), provider, request_id=request)
    run.fault("outage", 20, 40)
    run.stop(100)
    (result,) = evaluated(run, expect=[{"recovers_to": "primary", "within": "15s"}]).expectations
    assert (result.verdict, result.figures["recovered_after"]) == (Verdict.PASS, 2.0)


def test_every_fault_kind_says_which_in_flight_requests_it_can_affect() -> None:
    assert set(IN_FLIGHT_REACH) == set(FaultKind)


def test_a_request_no_call_served_counts_in_the_shares_where_the_table_judges_it() -> None:
    """The library's full-blackout run: at 20 s a ``down`` cut the calls of the 20 requests
    in flight, and the gateway answered them from its cache. No call served them: they
    count with the fault (where availability judges them), not in the baseline, whose
    degraded share is nothing. Half of them had had tokens from the primary before the cut
    (the provider saw its client leave after tokens: a row that served, but the target
    says the answer was degraded)."""
    run = Run()
    for index in range(900):
        sent = 10.05 + index / 10
        cut = 18 <= sent < 20
        down = 20 <= sent < 40
        cached = "cached" if cut or down else None
        request = run.request(sent, duration=2.0, served=None if cached else "primary", degraded=cached)
        if not cached:
            run.ledger(sent + 0.01, "primary", request_id=request)
        elif cut and index % 2:
            run.ledger(sent + 0.01, "primary", request_id=request, output_tokens=3, end="client_disconnected")
    run.fault("outage", 20, 40, kind="network")
    run.stop(100)
    down = {"name": "outage", "at": "20s", "for": "20s", "network": {"provider": "primary", "toxic": "down"}}
    evaluation = evaluated(run, faults=[down], expect=[{"degraded_share": {"at_most": "1%"}, "during": "baseline"}])
    assert segment(evaluation, "baseline").degraded_share == 0
    assert segment(evaluation, "outage").degraded_share == 1.0
    (result,) = evaluation.expectations
    assert (result.figures["good"], result.figures["total"], result.verdict) == (0, 80, Verdict.INCONCLUSIVE)
