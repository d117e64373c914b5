"""Burn-rate alerts firing and clearing at exact seconds, and response times per fault.

Ten requests a second, each sent at k + 0.05 + j/10 and ending 0.25 s later, so second
k's requests all end inside second k. Availability's objective is 90% (budget 10%).
- ``noop`` (15-20 s) changes nothing;
- ``outage`` (30-40 s) fails every request sent in it;
- ``blip`` (60-90 s) fails requests for its first 5 s, then the fallback takes over.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from chaos.slo.evaluate import evaluate
from tests.slo.slo_runs import Run, scenario

ALERTS = [
    {"severity": "page", "factor": 2.5, "long": "10s", "short": "2s", "min_samples": 5},
    {"severity": "ticket", "factor": 1.2, "long": "20s", "short": "5s", "min_samples": 5},
    {"severity": "ticket", "factor": 1.2, "long": "20s", "short": "5s", "min_samples": 500},  # never enough
]


def ten_a_second(until: int, failing: Sequence[int]) -> Run:
    """Ten requests a second from 10 s until ``until``; those sent in ``failing`` fail."""
    run = Run()
    for second in range(10, until):
        for index in range(10):
            run.request(second + 0.05 + index / 10, duration=0.25, ok=second not in failing)
    return run


@pytest.fixture(scope="module")
def evaluation():
    sc = scenario(slos={"availability": {"objective": "90%"}}, alerts=ALERTS)
    run = ten_a_second(100, failing=[*range(30, 40), *range(60, 65)])
    run.fault("noop", 15, 20)
    run.fault("outage", 30, 40)
    run.fault("blip", 60, 90)
    run.stop(100)
    return evaluate(sc, run.data(sc))


def test_burn_rate_alerts_fire_and_clear_at_exact_seconds(evaluation):
    """Page (2.5x over 10 s and 2 s): at 33 s the long window holds 30 bad of 100 (3x) and
    at 32 s only 20 (2x); at 42 s the short window (40-42) is clean. Blip: 63 s to 67 s.
    Ticket (1.2x over 20 s and 5 s): 30 of 200 bad at 33 s (1.5x), 20 at 32 s (1x); the
    short window is clean from 45 s. Blip: 30 of 200 at 63 s; clean short window at 70 s."""
    fired = [(a.severity.value, a.fired_at, a.cleared_at) for a in evaluation.alerts]
    assert fired == [
        ("page", 33, 42),
        ("ticket", 33, 45),
        ("page", 63, 67),
        ("ticket", 63, 70),
    ]
    assert {a.rule for a in evaluation.alerts} == {"page 2.5x 10s/2s", "ticket 1.2x 20s/5s"}


def test_response_times_from_each_fault_s_actual_injection(evaluation):
    responses = {r.fault: (r.detect, r.mitigate, r.recover) for r in evaluation.responses}
    assert responses == {
        # the 10 s windows never left the objective
        "noop": ("not_needed", "not_needed", "not_needed"),
        # paged at 33 s; below the objective until the restore; clean windows from 50 s on
        "outage": (3.0, "never", 20.0),
        # paged at 63 s; windows clean from 75 s while still active; recovered at the restore
        "blip": (3.0, 15.0, 30.0),
    }


def test_a_breach_nobody_alerts_on_is_never_detected():
    sc = scenario(slos={"availability": {"objective": "90%"}}, alerts=[])
    run = ten_a_second(60, failing=range(30, 35))
    run.fault("outage", 30, 50)
    run.stop(60)
    (response,) = evaluate(sc, run.data(sc)).responses
    assert response.detect == "never"
    assert response.mitigate == 15.0  # windows clean from 45 s (buckets 35..44), fault still active
    assert response.recover == 20.0  # clean at the restore, 50 s, and for settle (10 s) after


def test_recovery_needs_settle_seconds_of_observed_load():
    sc = scenario(slos={"availability": {"objective": "90%"}}, alerts=[])
    run = ten_a_second(48, failing=range(30, 40))
    run.fault("outage", 30, 40)
    run.stop(48)  # windows are clean from 50 s, after the load stopped
    (response,) = evaluate(sc, run.data(sc)).responses
    assert response.recover == "never"


def test_the_journal_keeps_each_rules_burn_rate_second_by_second(evaluation) -> None:
    """What the report's burn-rate chart draws, and what the rule fired on. The page rule
    (10 s long window, budget 10%) counts requests by when they ended; the last three of
    each second's ten (sent at .75, .85, .95) end at or after the next second starts. At
    35 s the window [25, 35) holds 100: 24 s's last three, 25-33 s's ninety and 34 s's
    first seven, the 47 from 30 s on bad: 0.47 / 0.1 = 4.7. At 40 s: 97 bad of 100, 9.7;
    at 50 s: the outage's last three, 0.3; at 10 s the window holds nothing: None."""
    page, ticket, starved = evaluation.burn
    assert (page.rule, page.slo, page.factor) == ("page 2.5x 10s/2s", "availability", 2.5)
    assert (page.long[10], page.long[12], page.long[35], page.long[40], page.long[50]) == (None, 0.0, 4.7, 9.7, 0.3)
    assert ticket.long[40] == 4.85  # [20, 40): 97 bad of 200
    assert set(starved.long) == {None}  # never 500 requests in 20 s: this rule could not fire
    assert len(page.long) == evaluation.counts.horizon + 1  # every whole second from t = 0 to the end
