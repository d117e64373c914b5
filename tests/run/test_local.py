"""``chaos run`` end to end on loopback: the embedded stack, the demo gateway as the target
with a fallback, and a verdict a user can act on (each run is about 15 s of load)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos import __version__
from chaos.journal import Journal, RunStatus
from chaos.kinds import FaultAction
from chaos.rundir import RunDir
from tests.run.harness import FALLBACK, chaos_run, restored_every_injection, unnamed_files

pytestmark = pytest.mark.e2e

BROKEN_FALLBACK = "target.start=[python, -m, chaos.demo.gateway, --break, fallback]"


def slo(journal: Journal, name: str, segment: str) -> str:
    assert journal.evaluation is not None
    return next(r.verdict.value for r in journal.evaluation.slos if r.slo == name and r.segment == segment)


def test_a_gateway_that_fails_over_passes(tmp_path: Path) -> None:
    # Run from another directory with `--runs-dir runs`, as `make demo` does: the children
    # (which run elsewhere) must still find the run directory.
    finished = chaos_run(FALLBACK, runs_dir=tmp_path / "runs", cwd=tmp_path)
    assert finished.code == 0, finished.explain()
    assert "verdict: PASS" in finished.stdout
    journal = finished.journal
    assert journal.status is RunStatus.FINISHED
    assert (journal.verdict, journal.exit_code) == ("pass", 0)
    for segment in ("baseline", "primary-down", "recovery"):
        assert slo(journal, "availability", segment) == "pass"
    # The fault really was there: the primary answered 503 while it was active, and the secondary served.
    assert journal.ledger["primary"].faults_applied, journal.ledger
    assert journal.ledger["secondary"].requests > 0
    assert restored_every_injection(finished.events) == []
    inject, restore = finished.events
    assert (inject.action, restore.action) == (FaultAction.INJECT, FaultAction.RESTORE)
    # Never early; late by a little at most (the benchmark measures it: target 100 ms).
    for event in finished.events:
        assert 0 <= event.t_actual - event.t_intended < 1.0, event
    # The duration plus start-up and wind-down (target: at most 15 s beyond it; loose here).
    assert 15 <= finished.wall_s <= 15 + 45
    assert finished.run_dir is not None
    assert unnamed_files(finished.run_dir) == []  # every file of the run is one RunDir names
    files = RunDir(finished.run_dir)
    assert all(path.stat().st_size > 0 for path in (files.report_html, files.report_md, files.junit))


def test_a_gateway_without_fallback_fails_on_availability_during_the_outage(tmp_path: Path) -> None:
    finished = chaos_run(FALLBACK, BROKEN_FALLBACK, runs_dir=tmp_path / "runs")
    assert finished.code == 1, finished.explain()
    journal = finished.journal
    assert journal.verdict == "fail"
    assert journal.reason is not None
    assert "availability in primary-down" in journal.reason
    assert "availability in primary-down" in finished.stdout
    assert slo(journal, "availability", "baseline") == "pass"
    assert slo(journal, "availability", "primary-down") == "fail"
    assert restored_every_injection(finished.events) == []
    # The journal holds the whole run.
    evaluation = journal.evaluation
    assert evaluation is not None
    assert journal.schema_version == 1
    assert journal.scenario_text == FALLBACK.read_text()  # as written: the secret a ${...} reference
    assert journal.overrides == [BROKEN_FALLBACK]
    assert {"chaos", "python", "locust", "toxiproxy"} <= set(journal.versions)
    assert journal.versions["target"] == __version__  # target.version: the gateway's /healthz says it
    assert journal.t0 is not None
    assert journal.started_at < journal.t0 < (journal.ended_at or 0)
    assert [(e.fault, e.action) for e in journal.events] == [
        ("primary-down", FaultAction.INJECT),
        ("primary-down", FaultAction.RESTORE),
    ]
    assert {s.name for s in evaluation.segments} == {"baseline", "primary-down", "recovery"}
    assert {(r.slo, r.segment) for r in evaluation.slos} >= {("availability", "primary-down"), ("ttft_p90", "baseline")}
    assert [a.slo for a in evaluation.alerts if a.severity.value == "page"], evaluation.alerts
    assert [e.verdict.value for e in evaluation.expectations] == ["fail"]
    (response,) = evaluation.responses
    assert response.fault == "primary-down"
    assert response.detect not in ("never", "not_needed")  # the page alert fired
    assert len(evaluation.buckets.t) >= 15  # one per second of load
    assert {"primary", "secondary", "tertiary"} == set(journal.ledger)
    assert journal.ledger["primary"].statuses.get("503", 0) > 0
    assert journal.ledger["primary"].cost_usd > 0
    assert journal.proxies
    assert journal.load_summary


def test_a_failing_baseline_injects_nothing_and_is_inconclusive(tmp_path: Path) -> None:
    # No request's first token comes within 20 ms: the baseline fails before the first injection.
    finished = chaos_run(FALLBACK, "slos.ttft_p90.max=20ms", runs_dir=tmp_path / "runs", live=True)
    assert finished.code == 4, finished.explain()
    # The live view drew its table (no terminal here: --live forced it), then gave way to the verdict.
    assert "availability (10 s)" in finished.stdout
    assert "\nrun-fallback  run " in finished.stdout
    journal = finished.journal
    assert journal.verdict == "inconclusive"
    assert journal.reason is not None
    assert journal.reason.startswith("baseline:")
    assert "ttft_p90" in journal.reason
    assert journal.evaluation is not None
    assert journal.evaluation.baseline_gate_failed
    assert finished.events == []
    assert journal.events == []
    assert not any(bill.faults_applied for bill in journal.ledger.values()), journal.ledger
    # The load stopped at the refused injection rather than running on to no purpose.
    assert journal.ended_at is not None
    assert journal.t0 is not None
    assert journal.ended_at - journal.t0 < 15


def test_an_abort_rule_that_holds_stops_the_run_and_restores_at_once(tmp_path: Path) -> None:
    finished = chaos_run(
        FALLBACK, BROKEN_FALLBACK, "abort=[{slo: availability, below: 50%, over: 2s}]", runs_dir=tmp_path / "runs"
    )
    assert finished.code == 3, finished.explain()
    journal = finished.journal
    assert journal.verdict == "aborted"
    assert journal.reason is not None
    assert "availability" in journal.reason
    assert journal.evaluation is not None
    aborted = journal.evaluation.aborted
    assert aborted is not None
    assert journal.t0 is not None
    inject, restore = finished.events
    assert (inject.action, restore.action) == (FaultAction.INJECT, FaultAction.RESTORE)
    assert restore.ok
    # Held during the outage (5 s to 10 s), and restored within a guard period or two of it,
    # not at the fault's scheduled end.
    assert 5 < aborted.at < 10, aborted
    assert restore.t_actual - (journal.t0 + aborted.at) < 2.5
    assert restore.t_actual - journal.t0 < 10
