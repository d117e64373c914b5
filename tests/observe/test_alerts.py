"""The team's alerts judged on hand-made ALERTS series, and the rules a run can never
show, from the scenario's own numbers; then ``chaos observe rules-check`` as a user runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chaos.observe.alerts import judge_alerts
from chaos.observe.prometheus import NOT_FOUND, AlertSeries, prometheus_binary
from chaos.observe.rules import AlertingRule, prometheus_duration, read_rules, why_never
from chaos.scenario.loading import load_scenario
from chaos.scenario.observe import AlertChecks, AlertExpectation
from chaos.wilson import Verdict

T0 = 5000.0
ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
EXAMPLE = ROOT / "examples" / "observe"
RULES = EXAMPLE / "gateway.rules.yml"
OBSERVED = EXAMPLE / "observed.yaml"
PAGE = AlertingRule("g", "Page", "sum(rate(x_total[5s])) > 0", 1.0)
TICKET = AlertingRule("g", "Ticket", "sum(rate(x_total[5s])) > 0", 60.0)


def firing(alert: str, first: float, last: float, state: str = "firing") -> AlertSeries:
    return AlertSeries(alert=alert, state=state, first=T0 + first, last=T0 + last)


def judge(series: list[AlertSeries] | str, *expect: AlertExpectation) -> list[tuple[Verdict, str]]:
    results = judge_alerts(
        AlertChecks(rules=RULES, expect=list(expect)),
        series,
        [PAGE, TICKET],
        t0=T0,
        windows={"outage": (10.0, 14.0)},
        horizon=30.0,
        detect={"outage": 1.5},
        never={"Page": None, "Ticket": "its for: 1m outlasts the longest fault (4s) and its 5s range"},
    )
    return [(r.verdict, r.reason) for r in results]


def test_an_alert_firing_in_the_fault_s_window_passes_with_its_delay_against_the_synthetic_page() -> None:
    (result,) = judge([firing("Page", 12.5, 18.0)], AlertExpectation(alert="Page", fires_during="outage"))
    assert result == (
        Verdict.PASS,
        "Page fired 2.5 s after outage began; the fault lasted 4.0 s; the synthetic page fired after 1.5 s",
    )


def test_the_window_ends_at_the_restore_plus_the_rule_s_range_and_two_seconds() -> None:
    expect = AlertExpectation(alert="Page", fires_during="outage")
    assert judge([firing("Page", 21.0, 22.0)], expect)[0][0] is Verdict.PASS  # 14 + 5 + 2 = 21
    assert judge([firing("Page", 21.5, 22.0)], expect)[0][0] is Verdict.FAIL
    assert judge([firing("Page", 2.0, 9.0)], expect)[0][0] is Verdict.FAIL  # over before the fault


def test_an_alert_whose_for_outlasts_the_fault_is_silent_and_says_why() -> None:
    series = [firing("Page", 12.0, 18.0), firing("Ticket", 11.0, 18.0, state="pending")]
    fires, silent = judge(
        series,
        AlertExpectation(alert="Ticket", fires_during="outage"),
        AlertExpectation(alert="Ticket", silent_during="outage"),
    )
    reason = (
        "Ticket never fired during outage (pending from 11.0 s): its for: 1m outlasts the longest fault (4s) "
        "and its 5s range; the fault lasted 4.0 s; the synthetic page fired after 1.5 s"
    )
    assert fires == (Verdict.FAIL, reason)
    assert silent == (Verdict.PASS, reason)


def test_without_a_prometheus_every_alert_is_not_checked_never_passed() -> None:
    results = judge(NOT_FOUND, AlertExpectation(alert="Ticket", silent_during="outage"))
    assert results == [(Verdict.INCONCLUSIVE, NOT_FOUND)]
    assert prometheus_binary({"CHAOS_PROMETHEUS": "/nonexistent/prometheus"}) is None


def test_an_alert_the_rules_do_not_have_is_not_checked() -> None:
    (result,) = judge([], AlertExpectation(alert="Typo", fires_during="outage"))
    assert result == (Verdict.INCONCLUSIVE, "no alerting rule named Typo in the rules file")


def test_prometheus_durations_and_the_rules_file_are_read_as_prometheus_reads_them() -> None:
    assert prometheus_duration("1h30m") == 5400
    assert prometheus_duration("250ms") == 0.25
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        prometheus_duration("5 minutes")
    rules = {rule.alert: rule for rule in read_rules(RULES)}
    assert (rules["GatewayFallbackSustained"].for_s, rules["GatewayFallbackSustained"].longest_range_s) == (60, 5)
    assert rules["GatewayErrorBudgetBurn"].burn == (20.0, 0.99)


def test_the_rules_a_run_can_never_show_follow_the_scenario_s_own_numbers() -> None:
    scenario = load_scenario(OBSERVED).scenario  # load 12 s, one fault of 8 s
    never = {rule.alert: why_never(rule, scenario) for rule in read_rules(RULES)}
    assert never == {
        "GatewayFallingBack": None,
        "GatewayFallbackSustained": "its for: 1m outlasts the longest fault (8s) and its 5s range",
        "GatewayErrorBudgetBurn": None,
        "GatewayImpossibleBurn": "it needs a burn rate of 200, and an objective of 0.99 burns at most 100x "
        "(every request failing)",
    }
    open_ended = load_scenario(OBSERVED, ["faults[0].for=null"]).scenario  # until the load's end, 12 s - 3 s
    assert why_never(rules_named(RULES, "GatewayFallbackSustained"), open_ended) == (
        "its for: 1m outlasts the longest fault (9s) and its 5s range"
    )
    hour = load_scenario(OBSERVED, ["load.duration=1h", "faults[0].for=null"]).scenario
    assert why_never(rules_named(RULES, "GatewayFallbackSustained"), hour) is None


def rules_named(path: Path, alert: str) -> AlertingRule:
    return next(rule for rule in read_rules(path) if rule.alert == alert)


def test_the_readme_s_rules_check_lists_the_rules_that_can_never_fire_and_exits_1() -> None:
    command = "chaos observe rules-check examples/observe/gateway.rules.yml --scenario examples/observe/observed.yaml"
    assert command in README.read_text(encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", *command.split()], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "gateway/GatewayFallingBack: can fire",
        "gateway/GatewayFallbackSustained: can never fire: its for: 1m outlasts the longest fault (8s) "
        "and its 5s range",
        "gateway/GatewayErrorBudgetBurn: can fire",
        "gateway/GatewayImpossibleBurn: can never fire: it needs a burn rate of 200, and an objective of 0.99 "
        "burns at most 100x (every request failing)",
    ]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_rules_check_refuses_a_file_promtool_refuses_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rules.yml"
    bad.write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(rate(x[5s]) > \n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "chaos", "observe", "rules-check", str(bad), "--scenario", str(OBSERVED)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "promtool check rules failed" in done.stderr
    assert "Traceback" not in done.stderr
