"""The live checks: abort rules over the records so far, and the console's summary."""

from __future__ import annotations

import pytest

from chaos.kinds import RequestKind
from chaos.slo.live import LiveMonitor, should_abort
from tests.slo.slo_runs import T0, Run, scenario

ABORT = [{"slo": "availability", "below": "80%", "over": "10s"}]


def hanging_run() -> Run:
    """10 requests a second answer in 0.2 s until 50 s; from 50.05 s none ever ends."""
    run = Run()
    run.many(10.05, 50.05, 400, duration=0.2)
    run.many(50.05, 70.05, 200, ends=False)
    return run


def feed(monitor: LiveMonitor, run: Run) -> None:
    monitor.feed_records(run.records)


def test_a_hang_trips_the_abort_rule_once_requests_are_in_flight_longer_than_its_window():
    """At 60 s the window (50-60 s) holds 2 answers and no request older than 10 s; at
    61 s it holds the 10 requests sent from 50.05 s to 50.95 s, still in flight: 0%."""
    sc = scenario(abort=ABORT)
    monitor = LiveMonitor(sc)
    feed(monitor, hanging_run())
    assert monitor.check(T0 + 60.5) is None
    decision = monitor.check(T0 + 61.5)
    assert decision is not None
    assert decision.at == 61
    assert decision.rule == "slo availability below 80% over 10s"
    assert "0 of 10 good" in decision.reason


def test_a_trailing_window_trips_on_a_total_outage_no_sooner_than_over_times_one_minus_below():
    """What ``chaos plan`` says of the rule (below 80% over 10 s: 2 s after an onset at the
    earliest). Ten answers a second, each 20 ms long; from 30.5 s every one fails. At 32 s
    the window (22-32 s) holds 85 good of 100 (the 15 failures of 30.5-31.9 s); at 33 s
    (23-33 s) 75 of 100: the rule trips 2.5 s after the onset, on seconds from before it."""
    sc = scenario(abort=ABORT)
    run = Run()
    run.many(10, 30.5, 205, duration=0.02)
    run.many(30.5, 40, 95, duration=0.02, ok=False)
    monitor = LiveMonitor(sc)
    feed(monitor, run)
    decisions = {second: monitor.check(T0 + second + 0.5) for second in range(20, 40)}
    first = min(second for second, decision in decisions.items() if decision is not None)
    assert first == 33
    assert first - 30.5 >= 10 * (1 - 0.8)
    decision = decisions[33]
    assert decision is not None
    assert decision.reason == "availability was 75.0% (75 of 100 good) over the last 10s"


def test_the_abort_check_is_the_same_function_over_the_records_so_far():
    sc = scenario(abort=ABORT)
    lines = "".join(record.model_dump_json(exclude_none=True) + "\n" for record in hanging_run().records).encode()
    assert should_abort(sc, lines, T0 + 60.5) is None
    decision = should_abort(sc, lines, T0 + 61.5)
    assert decision is not None
    assert decision.at == 61


def test_records_fed_in_pieces_give_the_same_decision():
    sc = scenario(abort=ABORT)
    monitor = LiveMonitor(sc)
    records = hanging_run().records
    for start in range(0, len(records), 7):
        monitor.feed_records(records[start : start + 7])
    decision = monitor.check(T0 + 61.5)
    assert decision is not None
    assert decision.at == 61


def test_healthy_load_does_not_abort_and_no_rule_fires_before_its_window():
    sc = scenario(abort=ABORT)
    run = Run()
    run.request(0.1, ok=False)
    run.many(1.05, 30.05, 290, duration=0.2)
    monitor = LiveMonitor(sc)
    feed(monitor, run)
    assert monitor.check(T0 + 5.5) is None  # 0 of 1 good, but the 10 s window is not whole yet
    assert monitor.check(T0 + 25.5) is None


def test_the_cost_guard_aborts_on_what_the_providers_billed():
    sc = scenario(abort=[{"max_cost_usd": 0.01}])
    run = Run()
    run.ledger(11, "primary", input_tokens=500)  # $0.005
    run.ledger(12, "primary", input_tokens=500_000, canary=True)  # the target's probes never count
    monitor = LiveMonitor(sc)
    feed(monitor, run)
    assert monitor.check(T0 + 13) is None
    more = Run()
    more.ledger(14, "primary", input_tokens=600)  # $0.006 more: $0.011
    monitor.feed_records(more.records[1:])
    decision = monitor.check(T0 + 15)
    assert decision is not None
    assert decision.rule == "max_cost_usd 0.01"
    assert monitor.cost_usd == pytest.approx(0.011)


def test_the_live_summary_covers_the_last_ten_seconds():
    sc = scenario(
        slos={"availability": {"objective": "90%"}, "ttft_p95": {"max": "1s"}},
        alerts=[{"severity": "page", "factor": 2.5, "long": "10s", "short": "2s", "min_samples": 5}],
    )
    run = Run()
    for second in range(10, 30):
        for index in range(10):
            failing = second >= 25 and index < 5
            served = "secondary" if index % 2 else "primary"
            run.request(
                second + 0.05 + index / 10,
                duration=0.25,
                ttft=0.1 + index / 100,
                kind=RequestKind.CHAT_STREAM,
                ok=not failing,
                served=served,
            )
    monitor = LiveMonitor(sc)
    feed(monitor, run)
    summary = monitor.summary(T0 + 30.2)
    assert summary.t == 30
    assert summary.rps == 10.0  # 100 ended in 20-30 s
    assert summary.availability == pytest.approx(0.75)  # 25 failures in 100
    # 20-25 s: 25 primary, 25 secondary; 25-30 s: 25 failed, 10 primary, 15 secondary
    assert summary.served_by == {
        "primary": pytest.approx(0.35),
        "secondary": pytest.approx(0.4),
        "failed": pytest.approx(0.25),
    }
    # successful streams' TTFT: 0.10..0.19 s before 25 s, 0.15..0.19 s after; rank 72 of 75
    assert summary.ttft_p95_ok == pytest.approx(0.19)
    assert summary.alerts == ["page 2.5x 10s/2s: availability", "page 2.5x 10s/2s: ttft_p95"]
