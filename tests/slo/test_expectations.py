"""Every expectation, both ways (and inconclusive where the run cannot tell).

The run: 10 requests a second from 10 s to 100 s; the primary fails (``outage``) from
20 s to 40 s and the gateway falls over to the secondary.
"""

from __future__ import annotations

from typing import Any

import pytest

from chaos.kinds import ClientFinding
from chaos.records import Finding
from chaos.slo.evaluate import evaluate
from chaos.slo.results import ExpectationResult
from chaos.wilson import Verdict
from tests.slo.slo_runs import Run, scenario

PAGE = {"severity": "page", "factor": 2.5, "long": "10s", "short": "2s", "min_samples": 5}


def outage_run(*, back_at: float = 40.0, degraded_every: int = 0, ids: bool = True, failing: bool = False) -> Run:
    """Secondary serves from 20 s until ``back_at``; each request has its ledger row."""
    run = Run()
    for index in range(900):
        sent = 10.05 + index / 10
        provider = "secondary" if 20 <= sent < back_at else "primary"
        degraded = "cached" if degraded_every and index % degraded_every == 0 else None
        bad = failing and 20 <= sent < 25
        request = run.request(sent, duration=0.25, served=provider, degraded=degraded, ok=not bad)
        run.ledger(sent + 0.01, provider, request_id=request if ids else None, status=500 if bad else 200)
    run.fault("outage", 20, 40)
    run.stop(100)
    return run


def judge(expectation: dict[str, Any], run: Run, findings=(), **changes: Any) -> ExpectationResult:
    sc = scenario(expect=[expectation], **changes)
    (result,) = evaluate(sc, run.data(sc), findings=findings).expectations
    return result


@pytest.mark.parametrize(
    ("expectation", "verdict"),
    [
        ({"served_by": "secondary", "during": "outage", "at_least": "95%"}, Verdict.PASS),
        ({"served_by": "primary", "during": "outage", "at_least": "5%"}, Verdict.FAIL),
        ({"served_by": "primary", "during": "outage", "at_most": "5%"}, Verdict.PASS),
        ({"served_by": "primary", "during": "outage", "at_most": "1%"}, Verdict.INCONCLUSIVE),  # 0 of 200: <= 1.9%
        ({"served_by": "secondary", "during": "baseline", "at_most": "5%"}, Verdict.PASS),
        ({"served_by": "secondary", "during": "recovery", "at_least": "50%"}, Verdict.FAIL),
    ],
)
def test_served_by_from_the_target_s_answer(expectation, verdict):
    result = judge(expectation, outage_run())
    assert result.verdict is verdict, result.reason


def test_served_by_reads_the_ledger_when_the_target_does_not_say():
    run = outage_run()
    target = {"url": "http://127.0.0.1:9", "served_by": {"ledger": True}}
    result = judge({"served_by": "secondary", "during": "outage", "at_least": "95%"}, run, target=target)
    # The 200 sent in the outage; the 3 sent at 19.75-19.95 s and still in flight at 20 s
    # were served by calls to the primary made before it: they count in the baseline.
    assert (result.verdict, result.figures["good"], result.figures["total"]) == (Verdict.PASS, 200, 200)


def test_served_by_counts_ledger_rows_by_time_when_no_request_id_reaches_the_providers():
    run = outage_run(ids=False)
    run.ledger(30.0, "primary", status=503)  # a failed attempt: not an answer
    target = {"url": "http://127.0.0.1:9", "served_by": {"ledger": True}}
    result = judge({"served_by": "primary", "during": "outage", "at_most": "5%"}, run, target=target)
    assert (result.verdict, result.figures["good"], result.figures["total"]) == (Verdict.PASS, 0, 200)


@pytest.mark.parametrize(
    ("back_at", "within", "verdict", "after"),
    [(45.0, "15s", Verdict.PASS, 5.0), (60.0, "15s", Verdict.FAIL, 20.0), (200.0, "15s", Verdict.FAIL, None)],
)
def test_recovers_to_the_primary_within_a_time_after_the_restore(back_at, within, verdict, after):
    result = judge({"recovers_to": "primary", "within": within}, outage_run(back_at=back_at))
    assert (result.verdict, result.figures["recovered_after"]) == (verdict, after)


def test_recovers_to_is_inconclusive_when_the_load_ends_too_soon():
    run = Run()
    run.many(10, 45, 350, served="secondary")
    run.fault("outage", 20, 40)
    run.stop(45)
    result = judge({"recovers_to": "primary", "within": "15s"}, run)
    assert result.verdict is Verdict.INCONCLUSIVE


def test_recovers_to_without_a_restore_is_inconclusive():
    run = Run()
    run.many(10, 90, 100)
    run.fault("outage", 20)
    assert judge({"recovers_to": "primary", "within": "15s"}, run).verdict is Verdict.INCONCLUSIVE


@pytest.mark.parametrize(("maximum", "verdict"), [(1.5, Verdict.PASS), (1.4, Verdict.FAIL)])
def test_retry_amplification_counts_ledger_attempts_and_connections_the_proxy_refused(maximum, verdict):
    """100 user requests; 120 ledger rows; the primary's proxy cut 10 and reset 20 more
    connections in the baseline (their attempts never reached the ledger): 150 / 100."""
    run = Run()
    requests = run.many(10, 20, 100, duration=0.05)  # every one ends before the fault at 20 s
    for index, request in enumerate(requests):
        run.ledger(10.05 + index / 10, "primary", request_id=request)
        if index < 20:
            run.ledger(10.06 + index / 10, "primary", request_id=request)
    run.proxy(9.0, "primary", accepted=50, cut=5, reset=5)  # before: not this segment's
    run.proxy(19.5, "primary", accepted=200, cut=15, reset=25)
    run.proxy(25.0, "primary", accepted=300, cut=99, reset=99)  # after
    run.fault("later", 20, 30)
    result = judge({"retry_amplification": {"max": maximum}, "during": "baseline"}, run)
    assert (result.figures["ledger_attempts"], result.figures["proxy_refused"]) == (120, 30)
    assert result.figures["ratio"] == pytest.approx(1.5)
    assert result.verdict is verdict


def test_retry_amplification_is_unmeasured_while_a_proxy_is_down():
    faults = [{"name": "cut", "at": "20s", "for": "20s", "network": {"provider": "primary", "toxic": "down"}}]
    run = outage_run()
    result = judge({"retry_amplification": {"max": 1.5}, "during": "cut"}, _renamed(run, "cut"), faults=faults)
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "down" in result.reason


@pytest.mark.parametrize(
    ("extra", "verdict"),
    [
        ({}, Verdict.PASS),
        ({"ledger": 35.0}, Verdict.FAIL),
        ({"ledger": 25.0}, Verdict.PASS),  # within the grace
        ({"reset": 35.0}, Verdict.FAIL),  # an attempt the proxy reset never reached the ledger
    ],
)
def test_no_traffic_to_a_failing_provider_after_a_grace(extra, verdict):
    run = outage_run()
    if "ledger" in extra:
        run.ledger(extra["ledger"], "primary", status=503)
    run.proxy(0.0, "primary")
    if "reset" in extra:
        run.proxy(extra["reset"], "primary", accepted=1, reset=1)
    result = judge({"no_traffic_to": "primary", "during": "outage", "after": "10s"}, run)
    assert result.verdict is verdict, result.reason


@pytest.mark.parametrize(("within", "verdict"), [("5s", Verdict.PASS), ("2s", Verdict.FAIL)])
def test_detect_wants_an_alert_of_that_severity_in_time(within, verdict):
    """Failures from 20 s to 25 s: 2.5x over 10 s first holds at 23 s (30 of 100 bad)."""
    result = judge(
        {"detect": "page", "slo": "availability", "during": "outage", "within": within},
        outage_run(failing=True),
        alerts=[PAGE],
        slos={"availability": {"objective": "90%"}},
    )
    assert (result.verdict, result.figures["detected_after"]) == (verdict, 3.0 if verdict is Verdict.PASS else None)


@pytest.mark.parametrize(
    ("bounds", "verdict"),
    [({"at_most": "15%"}, Verdict.PASS), ({"at_most": "5%"}, Verdict.FAIL), ({"at_least": "9%"}, Verdict.INCONCLUSIVE)],
)
def test_degraded_share_bounds(bounds, verdict):
    """One answer in ten is cached: 80 of the 800 requests in judged segments (10%)."""
    result = judge({"degraded_share": bounds}, outage_run(degraded_every=10))
    assert (result.figures["good"], result.figures["total"], result.verdict) == (80, 800, verdict)


@pytest.mark.parametrize(
    ("kinds", "verdict"),
    [(["retry_storm"], Verdict.PASS), (["no_backoff", "retry_storm"], Verdict.FAIL), ("all", Verdict.FAIL)],
)
def test_no_client_findings(kinds, verdict):
    finding = Finding(kind=ClientFinding.NO_BACKOFF, provider="primary", request_ids=["r1"], detail="retried at once")
    result = judge({"no_client_findings": kinds}, outage_run(), findings=[finding])
    assert result.verdict is verdict


def _renamed(run: Run, name: str) -> Run:
    """The same run with its fault renamed."""
    run.records = [r.model_copy(update={"fault": name}) if getattr(r, "fault", None) else r for r in run.records]
    return run
