"""What a scenario test decides from a run's journal, and what its failure says: the
reports room's hand-made journals (tests/report/journals.py), judged as chaos_run does."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.journal import Journal
from chaos.pytest_plugin.scenario import ScenarioResult
from tests.report import journals


def result_of(journal: Journal, *, inconclusive_passes: bool = False) -> ScenarioResult:
    exit_code = journal.exit_code if journal.exit_code is not None else 3
    return ScenarioResult("outage.yaml", Path("/runs/outage-r1"), exit_code, journal, "", inconclusive_passes)


def test_a_pass_passes_and_reads_the_slo_table_expectations_and_findings() -> None:
    result = result_of(journals.passing())
    result.check()
    assert result.verdict == "pass"
    assert {(r.slo, r.segment) for r in result.slos} >= {("availability", "baseline"), ("availability", "outage")}
    assert [(e.kind, e.verdict.value) for e in result.expectations] == [("served_by", "pass")]
    assert result.findings == []


def test_a_fail_fails_the_test_with_the_verdict_table_and_the_run_directory() -> None:
    result = result_of(journals.failing())
    assert [f.kind.value for f in result.findings] == ["hammering_failed_provider"]
    with pytest.raises(pytest.fail.Exception) as failed:
        result.check()
    said = str(failed.value)
    assert said.startswith("scenario outage.yaml: verdict fail (exit 1)")
    assert "availability" in said
    assert "verdict: FAIL" in said
    assert said.rstrip().endswith("run directory: /runs/outage-r1")


def test_inconclusive_fails_by_default_and_passes_when_configured() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"verdict inconclusive \(exit 4\)"):
        result_of(journals.inconclusive()).check()
    result_of(journals.inconclusive(), inconclusive_passes=True).check()


def test_an_aborted_run_fails_even_when_inconclusive_may_pass() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"verdict aborted \(exit 3\)"):
        result_of(journals.aborted(), inconclusive_passes=True).check()


def test_a_run_that_never_started_fails_with_what_chaos_run_said() -> None:
    result = ScenarioResult("bad.yaml", Path("/runs/1"), 2, None, "bad.yaml:3:1: load: Field required\n")
    assert result.verdict == "not run"
    with pytest.raises(pytest.fail.Exception) as failed:
        result.check()
    assert "scenario bad.yaml: verdict not run (exit 2)" in str(failed.value)
    assert "bad.yaml:3:1: load: Field required" in str(failed.value)
