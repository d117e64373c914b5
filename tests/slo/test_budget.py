"""Each SLO's error budget spent per segment, and when the budget policy would have
fired: hand-made runs, hand-computed answers, at the edges (a fault's onset, an abort,
a kill, a lost end record).

Availability's objective is 90% throughout (a budget of 10% of the requests judged); the
load is judged from 10 s, stops at 100 s (or earlier), and has a 5 s stop grace.
"""

from __future__ import annotations

from typing import Any

import pytest

from chaos.kinds import RequestKind
from chaos.scenario.budget import BudgetAction
from chaos.slo.evaluate import evaluate
from chaos.slo.results import AbortDecision, Evaluation, SloBudget
from tests.slo.slo_runs import Run, scenario
from tests.slo.test_stops import killed_at

NINETY = {"availability": {"objective": "90%"}}


def rule(window: str, burns: str, then: str = "page", min_requests: int = 5, slo: str = "availability") -> Any:
    return {"slo": slo, "window": window, "burns": burns, "then": then, "min_requests": min_requests}


def budget_of(evaluation: Evaluation, slo: str = "availability") -> SloBudget:
    return next(budget for budget in evaluation.budgets if budget.slo == slo)


def spent(budget: SloBudget) -> dict[str, tuple[int, int, float | None]]:
    return {s.segment: (s.judged, s.bad, None if s.consumed is None else round(s.consumed, 6)) for s in budget.segments}


def fired(budget: SloBudget) -> list[tuple[str, float | None, str | None, float | None, float | None]]:
    return [(f.rule, f.fired_at, f.segment, f.consumed, f.peak) for f in budget.policy]


@pytest.fixture(scope="module")
def outage() -> Evaluation:
    """Ten requests a second from 10 s to 100 s, sent at k + 0.05 + j/10 and ending 40 ms
    later (so second k's requests end inside second k); every one sent in 30-40 s fails
    (``outage``, restored at 40 s: settle until 50 s, then ``recovery``)."""
    sc = scenario(
        slos=NINETY,
        budget=[
            rule("10s", "100%"),
            rule("30s", "50%", "rollback"),
            rule("7d", "100%", "freeze"),
            rule("10s", "100%", min_requests=101),
        ],
    )
    run = Run()
    for second in range(10, 100):
        for index in range(10):
            run.request(second + 0.05 + index / 10, duration=0.04, ok=not 30 <= second < 40)
    run.fault("outage", 30, 40)
    run.stop(100)
    return evaluate(sc, run.data(sc))


def test_each_segment_spends_its_bad_requests_over_the_run_s_budget(outage: Evaluation) -> None:
    """800 requests judged (baseline 200, outage 100, recovery 500; the settle's 100 are
    not): a budget of 80 bad requests. The outage's 100 failures spend 125% of it; the
    baseline and the recovery nothing; the segments add up to the run's share."""
    budget = budget_of(outage)
    assert (budget.objective, budget.judged, budget.bad, budget.consumed) == (0.9, 800, 100, pytest.approx(1.25))
    assert spent(budget) == {"baseline": (200, 0, 0.0), "outage": (100, 100, 1.25), "recovery": (500, 0, 0.0)}
    assert sum(s.consumed or 0 for s in budget.segments) == pytest.approx(budget.consumed)


def test_a_rule_fires_at_the_first_second_its_window_has_burned_past_the_threshold(outage: Evaluation) -> None:
    """Over the last 10 s (100 requests, a budget of 10): at 31 s the window [21, 31)
    holds the 10 failures of second 30, the whole budget; it peaks at 1000% at 40 s, when
    the window is the whole outage. Over 30 s, only judged requests count (not the warm-up
    before 10 s, nor the settle of 40-50 s): at 31 s 10 bad of 210 (47.6%), at 32 s 20 of
    220 (90.9%: 50% fires); it peaks at 50 s, seconds 20-39 in the window: 100 of 200.

    Over 7 days (longer than the run: every judged request that has ended): at 32 s 20 bad
    of 220 (90.9%), at 33 s 30 of 230 (130.4%): a freeze fires at 33 s; it peaks at 40 s
    (100 of 300). A window of 10 s never holds more than 100 requests: a rule that needs
    101 is never decided."""
    assert fired(budget_of(outage)) == [
        ("page at 100% of availability over 10s", 31.0, "outage", 1.0, 10.0),
        ("rollback at 50% of availability over 30s", 32.0, "outage", round(20 / 220 / 0.1, 6), 5.0),
        ("freeze at 100% of availability over 7d", 33.0, "outage", round(30 / 230 / 0.1, 6), round(100 / 300 / 0.1, 6)),
        ("page at 100% of availability over 10s", None, None, None, None),
    ]
    freeze = budget_of(outage).policy[2]
    assert (freeze.then, freeze.window) == (BudgetAction.FREEZE, 7 * 86400)


def test_a_window_longer_than_the_run_ends_at_the_run_s_share() -> None:
    """One failure in each of ten seconds (20-29 s) of a steady run, and a rule at 12%
    decided from 100 requests. Over 7 days at t (20 <= t <= 30): t - 20 bad of
    10 x (t - 10): at 21 s 1 of 110 (9.1%), at 22 s 2 of 120 (16.7%): it fires at 22 s. The
    share peaks at 30 s (10 of 200: 50%), then falls as good requests come, and ends at
    the run's share, 10 bad of 900 judged (11.1%), below the rule: a rule is about when
    the window was past it, not where the run ended."""
    sc = scenario(slos=NINETY, budget=[rule("7d", "12%", min_requests=100)])
    run = Run()
    for second in range(10, 100):
        for index in range(10):
            run.request(second + 0.05 + index / 10, duration=0.04, ok=not (20 <= second < 30 and index == 0))
    run.stop(100)
    evaluation = evaluate(sc, run.data(sc))
    budget = budget_of(evaluation)
    assert (budget.judged, budget.bad, round(budget.consumed or 0, 6)) == (900, 10, round(10 / 90, 6))
    (firing,) = budget.policy
    assert (firing.fired_at, firing.segment, firing.consumed, firing.peak) == (22.0, "baseline", round(2 / 12, 6), 0.5)


def test_at_a_fault_s_onset_the_budget_is_spent_by_the_fault_and_the_rule_fires_as_the_request_ends() -> None:
    """A request sent at 29.8 s and failing at 30.8 s was in flight when the network fault
    started at 30 s: it is judged in ``net`` (moved in), so the baseline spends nothing.
    The rule reads it as it ends: at 31 s the window [21, 31) holds 21 requests (18 of the
    baseline, the failure, 2 of ``net``), one bad (47.6% of its budget of 2.1): a rule at
    40% fires at 31 s, in ``net``."""
    sc = scenario(slos=NINETY, budget=[rule("10s", "40%")])
    run = Run()
    run.many(10, 30, 40, duration=0.4)  # the last ends at 29.9 s
    run.request(29.8, duration=1.0, ok=False)
    run.fault("net", 30, 40, kind="network")
    run.many(30, 40, 20, duration=0.4)
    run.many(50, 100, 100)
    run.stop(100)
    evaluation = evaluate(sc, run.data(sc))
    budget = budget_of(evaluation)
    assert next(s for s in evaluation.segments if s.name == "net").moved_in == 1
    assert spent(budget) == {
        "baseline": (40, 0, 0.0),
        "net": (21, 1, round(1 / 16.1, 6)),
        "recovery": (100, 0, 0.0),
    }
    assert fired(budget) == [
        ("page at 40% of availability over 10s", 31.0, "net", round(1 / 21 / 0.1, 6), round(1 / 21 / 0.1, 6))
    ]


@pytest.mark.parametrize(
    ("aborted", "judged", "bad", "firing"),
    [
        (AbortDecision(rule="slo availability below 80% over 10s", reason="...", at=30.0), 90, 0, (None, "-")),
        (None, 100, 10, (36.0, "grace")),
    ],
    ids=["aborted", "ran-its-course"],
)
def test_requests_cut_by_an_abort_spend_nothing_and_lost_ones_are_timeouts_read_after_the_grace(
    aborted: AbortDecision | None, judged: int, bad: int, firing: tuple[float | None, str]
) -> None:
    """Ninety good requests from 10 s to 29 s, and ten sent at 29.0-29.9 s with no end
    record; the load stopped at 30 s. After an abort they were cut by the stop: nothing
    spent, nothing fires. In a run that ran its course their end records are lost: they
    timed out at the end of the 5 s grace (35 s), 10 bad of 100 judged, exactly the budget
    (100%); the freeze reads them at 36 s, the first whole second after the timeline."""
    sc = scenario(slos=NINETY, budget=[rule("7d", "100%", "freeze")], load={"duration": 30.0})
    run = Run()
    run.many(10, 29, 90)
    run.many(29, 30, 10, ends=False)
    run.stop(30)
    evaluation = evaluate(sc, run.data(sc), aborted=aborted)
    budget = budget_of(evaluation)
    assert (budget.judged, budget.bad) == (judged, bad)
    assert budget.consumed == pytest.approx(bad / (0.1 * judged))
    (policy,) = budget.policy
    assert (policy.fired_at, policy.segment or "-") == firing


def test_nothing_fires_on_what_came_after_a_killed_run_s_last_record() -> None:
    """Two hundred good requests from 10 s to 30 s, and twenty in flight at the kill (the
    last record at 30.5 s). Judged as timeouts they would be 20 bad of 220 at 95%, 182% of
    the budget; cut by the kill, they spend nothing, and the last second read is 31 s."""
    sc = scenario(slos={"availability": {"objective": "95%"}}, budget=[rule("7d", "100%", "freeze")])
    run = Run()
    run.many(10, 30, 200, duration=0.25)
    run.many(29.5, 29.9, 20, ends=False)
    run.ledger(30.5, "primary", duration=0.0)  # the last record
    evaluation = evaluate(sc, run.data(sc), aborted=killed_at(30.5))
    budget = budget_of(evaluation)
    assert (budget.judged, budget.bad, budget.consumed, evaluation.counts.cut_by_stop) == (200, 0, 0.0, 20)
    assert [(f.fired_at, f.peak) for f in budget.policy] == [(None, 0.0)]


def test_a_quality_budget_counts_eval_answers_only() -> None:
    """Fifty eval requests answered (ten judged wrong) and five that failed: the eval pass
    rate judges the fifty; 10 bad over a budget of 5 (90%): 200%. Availability's budget
    is another: 5 failed of 55."""
    sc = scenario(slos={"eval_pass_rate": {"objective": "90%"}, **NINETY})
    run = Run()
    for index in range(50):
        run.request(10 + index * 0.2, kind=RequestKind.EVAL, eval_pass=index % 5 != 0)
    run.many(20, 21, 5, kind=RequestKind.EVAL, ok=False)
    run.stop(100)
    evaluation = evaluate(sc, run.data(sc))
    quality, availability = budget_of(evaluation, "eval_pass_rate"), budget_of(evaluation)
    assert (quality.judged, quality.bad, quality.consumed) == (50, 10, pytest.approx(2.0))
    assert (availability.judged, availability.bad, availability.consumed) == (55, 5, pytest.approx(5 / 5.5))
    assert quality.policy == availability.policy == []


def test_an_slo_judged_during_one_fault_spends_and_fires_on_that_fault_s_requests_only() -> None:
    """``during: [outage]``: the budget is 10% of the outage's 100 requests, all bad
    (1000%); the 7-day rule reads only the outage's requests, so at 31 s its window holds
    the 10 of second 30, all bad, and fires, where over every segment it waited for 33 s."""
    sc = scenario(
        slos={"availability": {"objective": "90%", "during": ["outage"]}}, budget=[rule("7d", "100%", "freeze")]
    )
    run = Run()
    for second in range(10, 100):
        for index in range(10):
            run.request(second + 0.05 + index / 10, duration=0.04, ok=not 30 <= second < 40)
    run.fault("outage", 30, 40)
    run.stop(100)
    budget = budget_of(evaluate(sc, run.data(sc)))
    assert spent(budget) == {"outage": (100, 100, 10.0)}
    assert fired(budget) == [("freeze at 100% of availability over 7d", 31.0, "outage", 10.0, 10.0)]
