"""``chaos plan``: the segments of overlapping faults, fault steps, estimates and warnings."""

import pytest

from chaos.kinds import FaultAction
from chaos.scenario.model import Scenario
from chaos.scenario.plan import build_plan
from chaos.scenario.timeline import fault_steps

BASE = {
    "version": 1,
    "name": "t",
    "target": {"start": ["python", "-m", "app"]},
    "providers": {
        "primary": {"api": "openai", "model": "m", "latency": {"ttft": 0.5, "jitter": 0.1, "tokens_per_s": 50}}
    },
    "load": {
        "users": 20,
        "spawn_rate": 20,
        "duration": 90,
        "warmup": 9,
        "wait": {"min": 0.5, "max": 1.5},
        "max_tokens": 50,
        "mix": {"chat_stream": 0.5, "chat": 0.5, "eval": 0},
        "stop_grace": 5,
    },
    "settle": 10,
    "slos": {"availability": {"objective": 0.995}, "e2e_p99": {"max": 8}, "ttft_p95": {"max": 2}},
}


def scenario(**changes):
    return Scenario.model_validate({**BASE, **changes})


def fault(name, at, length, **kind):
    return {"name": name, "at": at, "for": length, "provider": "primary", **(kind or {"hang": {}})}


def test_worked_example_of_design_md():
    # load 0-90 s, warm-up until 10 s, settle 10 s, A at 20 s for 40 s, B at 30 s for 20 s
    plan = build_plan(scenario(faults=[fault("a", 20, 40), fault("b", 30, 20)]))
    spans = [(s.start, s.end, s.name, s.judged) for s in plan.spans]
    assert spans == [
        (0, 10, "warmup", False),
        (10, 20, "baseline", True),
        (20, 30, "a", True),
        (30, 50, "a+b", True),
        (50, 60, "a", True),
        (60, 70, "settle", False),
        (70, 90, "recovery", True),
        (90, 95, "grace", False),
    ]
    pooled = {segment.name: segment.spans for segment in plan.segments}
    assert pooled == {"baseline": ((10, 20),), "a": ((20, 30), (50, 60)), "a+b": ((30, 50),), "recovery": ((70, 90),)}


def test_segment_names_follow_scenario_order_not_start_order():
    plan = build_plan(scenario(faults=[fault("late", 40, 20), fault("early", 30, 30)]))
    assert [segment.name for segment in plan.segments] == ["baseline", "early", "late+early", "recovery"]


def test_a_fault_starting_inside_settle_is_judged_from_its_start():
    plan = build_plan(scenario(faults=[fault("a", 20, 10), fault("b", 35, 10)]))
    spans = [(s.start, s.end, s.name) for s in plan.spans]
    assert (30, 35, "settle") in spans
    assert (35, 45, "b") in spans
    assert (45, 55, "settle") in spans
    assert (55, 90, "recovery") in spans


def test_open_ended_fault_runs_to_the_end_and_leaves_no_recovery():
    plan = build_plan(scenario(faults=[{"name": "a", "at": 20, "provider": "primary", "hang": {}}]))
    assert [s.name for s in plan.spans] == ["warmup", "baseline", "a", "grace"]


def test_estimate_is_users_over_response_plus_wait():
    # response 0.5 s + 50 tokens at 50/s = 1.5 s; mean wait 1 s; 20 users -> 8 req/s
    plan = build_plan(scenario())
    assert plan.requests_per_s == pytest.approx(8.0)
    baseline = next(s for s in plan.segments if s.name == "baseline")
    assert baseline.spans == ((10, 90),)  # ramp-up 1 s + warm-up 9 s
    assert baseline.requests == pytest.approx(8.0 * 80)


def test_warns_when_so_few_requests_cannot_decide_an_objective():
    # Inflated answers change nobody's latency: 8 req/s throughout
    plan = build_plan(scenario(faults=[fault("a", 20, 10, token_inflation={"factor": 2})]))
    needs = {(n.slo, n.segment): n for n in plan.needs}
    availability = needs[("availability", "a")]
    assert availability.needed == 765
    assert availability.expected == pytest.approx(80)
    assert not availability.decidable
    assert needs[("e2e_p99", "a")].needed == 381
    ttft = needs[("ttft_p95", "a")]
    assert (ttft.needed, ttft.expected) == (73, pytest.approx(40))
    assert any("availability in a: about 80 requests expected, but 99.5% needs 765" in w for w in plan.warnings)
    assert any(w.startswith("ttft_p95 in a:") for w in plan.warnings)
    recovery_ttft = needs[("ttft_p95", "recovery")]
    assert recovery_ttft.expected == pytest.approx(200)  # 40-90 s x 8/s x 50% streamed
    assert recovery_ttft.decidable


def test_alert_rule_that_can_never_fire_is_reported():
    plan = build_plan(
        scenario(
            slos={"eval_pass_rate": {"objective": 0.9}},
            load={**BASE["load"], "mix": {"chat_stream": 0.5, "chat": 0.3, "eval": 0.2}, "eval_set": "e.jsonl"},
            alerts=[{"severity": "page", "factor": 14.4, "long": 30, "short": 5}],
        )
    )
    (alert,) = plan.alerts
    assert "can never fire for eval_pass_rate: a 90% objective burns at most 10x" in alert.problems


def test_a_budget_rule_whose_window_cannot_hold_its_min_requests_is_said_never_to_fire_in_the_run():
    """About 8 requests a second, judged from 10 s to 90 s: 2 s hold 16 (fewer than 20);
    7 days hold the 640 of the run (fewer than 1000); 10 s hold 80."""
    rules = [
        {"slo": "availability", "window": "2s", "then": "page"},
        {"slo": "availability", "window": "7d", "then": "freeze", "min_requests": 1000},
        {"slo": "availability", "window": "10s", "then": "rollback"},
    ]
    assert [w for w in build_plan(scenario(budget=rules)).warnings if w.startswith("budget")] == [
        "budget rule page at 100% of availability over 2s: about 16 requests fit its window in the run, fewer than "
        "min_requests (20): it cannot fire in the run",
        "budget rule freeze at 100% of availability over 7d: about 640 requests fit its window in the run, fewer "
        "than min_requests (1000): it cannot fire in the run",
    ]


def test_an_abort_rule_with_a_trailing_window_is_said_to_reach_back_before_a_fault():
    """below 80% over 10 s: at a fault's onset the window still holds 10 s from before it,
    so a total outage trips the rule 2 s after it at the earliest (the real runs: 2-4 s)."""
    plan = build_plan(scenario(abort=[{"slo": "availability", "below": 0.8, "over": 10}, {"max_cost_usd": 5}]))
    assert plan.aborts == (
        "slo availability below 80% over 10s: checked every second over the last 10s, so after a fault's onset "
        "the window still holds up to 10s from before it; a total outage trips it 2s after its onset at the earliest",
        "max_cost_usd 5: the money billed so far, checked every second",
    )


def test_ramp_reaches_its_last_value_on_the_last_update():
    s = scenario(
        faults=[
            {
                **fault("a", 20, 10, http_error={"status": 500}),
                "schedule": {"ramp": {"rate": ["10%", "100%"]}, "every": 2},
            }
        ]
    )
    steps = fault_steps(s.faults[0], s.load.duration)
    assert [(st.offset, st.action, round(st.spec.rate, 4)) for st in steps] == [
        (20, FaultAction.INJECT, 0.1),
        (22, FaultAction.UPDATE, 0.325),
        (24, FaultAction.UPDATE, 0.55),
        (26, FaultAction.UPDATE, 0.775),
        (28, FaultAction.UPDATE, 1.0),
        (30, FaultAction.RESTORE, 1.0),
    ]


def test_flap_turns_the_share_to_zero_in_off_periods():
    s = scenario(faults=[{**fault("a", 20, 10), "schedule": {"flap": {"on": 3, "off": 2}}}])
    steps = fault_steps(s.faults[0], s.load.duration)
    assert [(st.offset, st.spec.rate, st.active) for st in steps] == [
        (20, 1.0, True),
        (23, 0.0, False),
        (25, 1.0, True),
        (28, 0.0, False),
        (30, 0.0, False),
    ]


def test_steps_apply_settings_in_order_and_inject_the_base_first():
    s = scenario(
        faults=[
            {
                **fault("a", 20, 20, slow_first_token={"delay": "1s"}),
                "schedule": {"steps": [{"at": "10s", "delay": "3s"}, {"at": "5s", "jitter": "200ms"}]},
            }
        ]
    )
    steps = fault_steps(s.faults[0], s.load.duration)
    assert [(st.offset, st.action, st.spec.delay, st.spec.jitter) for st in steps] == [
        (20, FaultAction.INJECT, 1.0, 0.0),
        (25, FaultAction.UPDATE, 1.0, 0.2),
        (30, FaultAction.UPDATE, 3.0, 0.2),
        (40, FaultAction.RESTORE, 3.0, 0.2),
    ]


TWO_PROVIDERS = {
    "primary": {"api": "openai", "model": "m", "latency": {"ttft": 0.5, "jitter": 0.1, "tokens_per_s": 50}},
    # 0.25 s + 50 tokens at 100/s = 0.75 s: with the 1 s wait, 20 users make 20 / 1.75 req/s
    "secondary": {"api": "openai", "model": "n", "latency": {"ttft": 0.25, "jitter": 0.05, "tokens_per_s": 100}},
}


def rates(plan):
    return {s.name: s.requests / (s.end - s.start) for s in plan.spans if s.judged}


def test_a_provider_taken_out_by_a_fault_is_replaced_by_the_next_in_the_plan():
    plan = build_plan(scenario(providers=TWO_PROVIDERS, faults=[fault("a", 20, 20, http_error={"status": 503})]))
    assert rates(plan) == {
        "baseline": pytest.approx(8.0),
        "a": pytest.approx(20 / 1.75),
        "recovery": pytest.approx(8.0),
    }


def test_a_partial_fault_moves_its_share_and_a_flap_only_while_on():
    half = fault("a", 20, 20, http_error={"status": 503, "rate": 0.5})
    plan = build_plan(scenario(providers=TWO_PROVIDERS, faults=[half]))
    assert rates(plan)["a"] == pytest.approx(20 / (0.5 * 1.5 + 0.5 * 0.75 + 1))
    flap = {**fault("a", 20, 20, http_error={"status": 503}), "schedule": {"flap": {"on": 5, "off": 5}}}
    plan = build_plan(scenario(providers=TWO_PROVIDERS, faults=[flap]))
    assert rates(plan)["a"] == pytest.approx((8.0 + 20 / 1.75) / 2)


def test_with_every_provider_out_users_cycle_on_their_think_time():
    down = {"name": "a", "at": 20, "for": 20, "network": {"provider": "primary", "toxic": "down"}}
    plan = build_plan(scenario(faults=[down]))
    assert rates(plan)["a"] == pytest.approx(20 / 1.0)  # answered at once; the mean wait is 1 s


def test_a_quota_serves_its_rate_and_moves_the_rest():
    quota = fault("a", 20, 20, rate_limit={"rpm": 120})  # 2 req/s of the 8 the load asks for
    plan = build_plan(scenario(providers=TWO_PROVIDERS, faults=[quota]))
    moved = 1 - 2 / 8
    assert rates(plan)["a"] == pytest.approx(20 / ((1 - moved) * 1.5 + moved * 0.75 + 1))


def test_no_request_starts_in_the_stop_grace():
    plan = build_plan(scenario())
    (grace,) = [s for s in plan.spans if s.name == "grace"]
    assert grace.requests == 0


def test_the_requests_in_flight_at_an_onset_are_not_counted_for_the_segment_before():
    plan = build_plan(scenario(faults=[fault("a", 20, 10, token_inflation={"factor": 2})]))
    needs = {(n.slo, n.segment): n for n in plan.needs}
    # 20 users each waiting 1.5 s of their 2.5 s cycle: 12 in flight at 20 s
    assert needs[("availability", "baseline")].expected == pytest.approx(80 - 12)
    assert needs[("availability", "recovery")].expected == pytest.approx(400)  # a restore moves nobody


def test_an_expectation_the_run_ends_too_early_to_decide_is_warned_about():
    late = scenario(
        faults=[fault("a", 20, 55, token_inflation={"factor": 2})],
        expect=[
            {"recovers_to": "primary", "within": "15s"},
            {"detect": "page", "slo": "availability", "during": "a", "within": "80s"},
        ],
    )
    warnings = build_plan(late).warnings
    assert any(w.startswith("recovers_to primary: the load runs 15s after a is restored") for w in warnings)
    assert any(w.startswith("detect page on availability: the load ends 1m10s after a starts") for w in warnings)
