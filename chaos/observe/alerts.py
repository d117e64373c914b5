"""The team's alerts, as a real Prometheus evaluated them during the run.

An alert's window for a fault is from the fault's actual injection to its restore plus
the longest range its expression reads and two seconds (the rule keeps seeing the fault
that long; Prometheus evaluates once a second). ``fires_during`` passes when the alert
was firing at some moment of that window; ``silent_during`` when it never was. Each
result says when the alert fired against the run's synthetic page (its time to detect),
and, for one that never fired, why it could not (``chaos.observe.rules``). With no
Prometheus binary every alert expectation is inconclusive: not checked, never passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chaos.observe.prometheus import AlertSeries
from chaos.observe.results import Figures, result
from chaos.observe.rules import AlertingRule
from chaos.scenario.observe import AlertChecks, AlertExpectation
from chaos.slo.results import ExpectationResult, ResponseTime
from chaos.wilson import Verdict

EVALUATION_LAG_S = 2.0


def judge_alerts(
    checks: AlertChecks,
    series: Sequence[AlertSeries] | str,
    rules: Sequence[AlertingRule],
    *,
    t0: float,
    windows: Mapping[str, tuple[float, float | None]],
    horizon: float,
    detect: Mapping[str, ResponseTime],
    never: Mapping[str, str | None],
) -> list[ExpectationResult]:
    """``series``: the run's ALERTS, or why none were read (each expectation is then not
    checked); ``windows``: each fault's injection and restore offsets; ``detect``: each
    fault's synthetic time to detect; ``never``: why each rule can never fire in this run
    (None: it can)."""
    by_name = {rule.alert: rule for rule in rules}
    return [
        _judge(
            expectation,
            series,
            by_name.get(expectation.alert),
            t0=t0,
            windows=windows,
            horizon=horizon,
            detect=detect,
            never=never,
        )
        for expectation in checks.expect
    ]


def _judge(
    expectation: AlertExpectation,
    series: Sequence[AlertSeries] | str,
    rule: AlertingRule | None,
    *,
    t0: float,
    windows: Mapping[str, tuple[float, float | None]],
    horizon: float,
    detect: Mapping[str, ResponseTime],
    never: Mapping[str, str | None],
) -> ExpectationResult:
    fires = expectation.fires_during is not None
    written = f"observe.alerts: {expectation.alert} {'fires' if fires else 'silent'}_during {expectation.fault}"
    kind = "alert_fires" if fires else "alert_silent"
    figures: Figures = {}
    if isinstance(series, str):
        return result(written, kind, Verdict.INCONCLUSIVE, series, figures)
    if rule is None:
        reason = f"no alerting rule named {expectation.alert} in the rules file"
        return result(written, kind, Verdict.INCONCLUSIVE, reason, figures)
    window = windows.get(expectation.fault)
    if window is None:
        return result(written, kind, Verdict.INCONCLUSIVE, f"{expectation.fault} was never injected", figures)
    start, restored = window
    end = (restored if restored is not None else horizon) + rule.longest_range_s + EVALUATION_LAG_S
    firing = [(s.first - t0, s.last - t0) for s in series if s.alert == expectation.alert and s.state == "firing"]
    during = sorted(first for first, last in firing if first <= end and last >= start)
    lasted = (restored if restored is not None else horizon) - start
    synthetic = detect.get(expectation.fault)
    figures |= {"fault_s": lasted, "synthetic_detect": synthetic}
    if during:
        fired = max(during[0], start) - start
        figures["fired_after_s"] = fired
        said = f"{expectation.alert} fired {fired:.1f} s after {expectation.fault} began"
    else:
        pending = [s.first - t0 for s in series if s.alert == expectation.alert and s.state == "pending"]
        said = f"{expectation.alert} never fired during {expectation.fault}"
        if pending:
            said += f" (pending from {min(pending):.1f} s)"
        why = never.get(expectation.alert)
        if why:
            said += f": {why}"
    said += f"; the fault lasted {lasted:.1f} s; {_synthetic(synthetic)}"
    verdict = Verdict.PASS if bool(during) == fires else Verdict.FAIL
    return result(written, kind, verdict, said, figures)


def _synthetic(detect: ResponseTime | None) -> str:
    if detect is None or detect == "never":
        return "the synthetic page never fired"
    if detect == "not_needed":
        return "no synthetic page was needed"
    return f"the synthetic page fired after {detect:.1f} s"
