"""The reference gateway's own telemetry, judged by real runs: healthy it passes every
observability check; with one kind of telemetry broken the run fails, naming the requests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chaos.journal import Journal
from chaos.records import LedgerRow
from chaos.rundir import RunDir
from chaos.wilson import Verdict
from tests.run.harness import chaos_run

pytestmark = pytest.mark.e2e

OBSERVED = Path(__file__).resolve().parents[2] / "examples" / "observe" / "observed.yaml"


def observed(journal: Journal) -> dict[str, tuple[Verdict, str]]:
    assert journal.evaluation is not None
    return {
        r.kind: (r.verdict, r.reason) for r in journal.evaluation.expectations if r.expectation.startswith("observe.")
    }


def ledger(run_dir: Path) -> list[LedgerRow]:
    lines = RunDir(run_dir).ledger.read_text(encoding="utf-8").splitlines()
    return [LedgerRow.model_validate_json(line) for line in lines if line.strip()]


def test_the_healthy_gateway_passes_every_observability_check(tmp_path: Path) -> None:
    finished = chaos_run(OBSERVED, runs_dir=tmp_path / "runs")
    assert finished.code == 0, finished.explain()
    checks = observed(finished.journal)
    assert {kind: verdict for kind, (verdict, _) in checks.items()} == {
        "trace_coverage": Verdict.PASS,
        "trace_provider_calls": Verdict.PASS,
        "trace_model_attributes": Verdict.PASS,
        "log_requests": Verdict.PASS,
        "log_fallbacks": Verdict.PASS,
        "metric_increases": Verdict.PASS,
        "metric_agrees": Verdict.PASS,
        "alert_fires": Verdict.PASS,  # the page fired during the outage, on a real Prometheus
        "alert_silent": Verdict.PASS,  # the ticket whose for: outlasts the 8 s fault did not
    }, checks
    assert finished.run_dir is not None
    rows = ledger(finished.run_dir)
    assert any(row.attempt > 1 for row in rows), "no retry happened: the check proved nothing about retries"
    assert all(row.traceparent for row in rows if not row.canary)
    assert "its for: 1m outlasts the longest fault (8s)" in checks["alert_silent"][1]
    files = RunDir(finished.run_dir)
    assert "GatewayFallingBack" in files.alerts.read_text(encoding="utf-8")
    report = files.report_md.read_text(encoding="utf-8")
    assert "observe.traces.provider_calls" in report
    assert "observe.alerts: GatewayFallingBack fires_during primary-flaky" in report


def test_broken_tracing_fails_naming_the_dropped_retries(tmp_path: Path) -> None:
    finished = chaos_run(
        OBSERVED, "target.start=[python, -m, chaos.demo.gateway, --break, tracing]", runs_dir=tmp_path / "runs"
    )
    assert finished.code == 1, finished.explain()
    assert finished.run_dir is not None
    retried = {row.request_id for row in ledger(finished.run_dir) if row.attempt > 1}
    assert retried, "no retry happened"
    verdict, reason = observed(finished.journal)["trace_provider_calls"]
    assert verdict is Verdict.FAIL
    named = set(re.findall(r"(\w+): retry \(attempt \d+ at primary\) \(its traceparent names the server span", reason))
    assert named, reason
    assert named <= retried  # only retries are dropped, and each named one was retried
    evaluation = finished.journal.evaluation
    assert evaluation is not None
    (figures,) = [r.figures for r in evaluation.expectations if r.kind == "trace_provider_calls"]
    retries = len([row for row in ledger(finished.run_dir) if row.attempt > 1])
    assert figures["without_span"] == figures["retries_or_fallbacks_without_span"] == retries
    assert "observe.traces.provider_calls" in finished.journal.reason


def test_broken_logging_fails_naming_requests_without_model_version(tmp_path: Path) -> None:
    finished = chaos_run(
        OBSERVED, "target.start=[python, -m, chaos.demo.gateway, --break, logging]", runs_dir=tmp_path / "runs"
    )
    assert finished.code == 1, finished.explain()
    checks = observed(finished.journal)
    verdict, reason = checks["log_requests"]
    assert verdict is Verdict.FAIL
    named = re.findall(r"(\w+): no model_version", reason)
    assert len(named) == 5, reason  # the reason names five, the figures count them all
    assert checks["log_fallbacks"][0] is Verdict.PASS  # only the model version was dropped
    traced = [checks[kind][0] for kind in ("trace_coverage", "trace_provider_calls", "trace_model_attributes")]
    assert traced == [Verdict.PASS] * 3  # the other telemetry still holds
