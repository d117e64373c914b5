"""The observability checks of a run, and the verdict with them.

Each check is an expectation result (``observe.<part>...``), listed with the scenario's
own expectations and weighed the same way in the run's verdict.
"""

from __future__ import annotations

from collections.abc import Sequence

from chaos.observe.alerts import judge_alerts
from chaos.observe.facts import RequestFacts, read_requests
from chaos.observe.logs import judge_logs
from chaos.observe.metrics import judge_metrics
from chaos.observe.prometheus import NOT_FOUND, AlertSeries, prometheus_binary
from chaos.observe.rows import read_rows
from chaos.observe.rules import read_rules, why_never
from chaos.observe.scrape import MetricSample
from chaos.observe.spans import SpanRow
from chaos.observe.traces import judge_traces
from chaos.records import LedgerRow
from chaos.rundir import RunDir
from chaos.scenario.loading import ScenarioFile
from chaos.slo.results import Evaluation, ExpectationResult


def observe_run(
    loaded: ScenarioFile, run_dir: RunDir, ledger: Sequence[LedgerRow], evaluation: Evaluation, t0: float | None
) -> list[ExpectationResult]:
    """Every check the scenario's ``observe:`` asks for, from the run directory's files
    (and the target's log file, when ``observe.logs.path`` names one)."""
    checks = loaded.scenario.observe
    if checks.traces is None and checks.logs is None and checks.metrics is None and checks.alerts is None:
        return []
    requests = read_requests(run_dir.records, ledger)
    results = []
    if checks.traces is not None:
        results += judge_traces(checks.traces, requests, read_rows(run_dir.spans, SpanRow))
    if checks.logs is not None:
        path = loaded.resolve(checks.logs.path) if checks.logs.path is not None else run_dir.log("target")
        results += judge_logs(checks.logs, path, requests, tuple(loaded.scenario.providers))
    if t0 is None:  # the load never started: no fault window to judge series or alerts by
        return results
    windows = {r.fault: (r.injected_at, r.restored_at) for r in evaluation.responses}
    if checks.metrics is not None:
        samples = list(read_rows(run_dir.metrics, MetricSample))
        results += judge_metrics(checks.metrics, samples, t0, windows, _answered(requests))
    if checks.alerts is not None:
        rules = read_rules(loaded.resolve(checks.alerts.rules))
        results += judge_alerts(
            checks.alerts,
            _alert_series(run_dir),
            rules,
            t0=t0,
            windows=windows,
            horizon=evaluation.counts.horizon,
            detect={r.fault: r.detect for r in evaluation.responses},
            never={rule.alert: why_never(rule, loaded.scenario) for rule in rules},
        )
    return results


def _answered(requests: dict[str, RequestFacts]) -> int:
    return sum(1 for facts in requests.values() if facts.answered)


def _alert_series(run_dir: RunDir) -> list[AlertSeries] | str:
    """What the run's Prometheus held, or why nothing was checked."""
    if not run_dir.alerts.exists():
        return NOT_FOUND if prometheus_binary() is None else "not checked: the run's Prometheus left no ALERTS"
    return list(read_rows(run_dir.alerts, AlertSeries))
