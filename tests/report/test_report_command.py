"""``chaos report`` as a user types it: the reports written where asked, in the formats
asked, with the run's exit code; a file that is not a journal, or a journal of another
schema version, is a clear error and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from chaos.journal import write_journal
from chaos.rundir import RunDir
from tests.report import journals
from tests.run.harness import chaos_cli


def a_run(tmp_path: Path) -> Path:
    run_dir = tmp_path / "test-20261207-130000-abcd"
    run_dir.mkdir()
    write_journal(run_dir, journals.failing())
    return run_dir


def test_report_writes_the_three_reports_into_the_run_directory(tmp_path: Path) -> None:
    run_dir = a_run(tmp_path)
    files = RunDir(run_dir)
    result = chaos_cli("report", str(run_dir))
    assert result.returncode == 1, result.stderr  # the journal's exit code: a fail
    assert "verdict: FAIL" in result.stdout
    assert f"reports: {files.report_html}, {files.report_md}, {files.junit}" in result.stdout
    assert sorted(path.name for path in files.charts.iterdir()) == [
        "burn-availability.svg",
        "cost.svg",
        "latency.svg",
        "served.svg",
        "throughput.svg",
    ]


def test_format_and_out_choose_what_is_written_and_where(tmp_path: Path) -> None:
    run_dir = a_run(tmp_path)
    out = tmp_path / "elsewhere"
    result = chaos_cli("report", str(run_dir), "--format", "junit,md", "-o", str(out))
    assert result.returncode == 1, result.stderr
    assert sorted(path.name for path in out.iterdir()) == ["charts", "junit.xml", "report.md"]
    assert sorted(path.name for path in run_dir.iterdir()) == ["journal.json"]


def test_a_journal_file_is_rendered_beside_it(tmp_path: Path) -> None:
    run_dir = a_run(tmp_path)
    result = chaos_cli("report", str(RunDir(run_dir).journal), "--format", "html")
    assert result.returncode == 1, result.stderr
    assert RunDir(run_dir).report_html.exists()


def test_a_journal_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    run_dir = a_run(tmp_path)
    journal = RunDir(run_dir).journal
    data = json.loads(journal.read_text())
    journal.write_text(json.dumps({**data, "schema_version": 2}))
    for target in (run_dir, journal):
        result = chaos_cli("report", str(target))
        assert result.returncode == 2
        assert f"error: {journal} is a journal of schema version 2; this chaos" in result.stderr
        assert "reads version 1" in result.stderr
        assert "Traceback" not in result.stderr
    assert sorted(path.name for path in run_dir.iterdir()) == ["journal.json"]  # not rebuilt over


def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "notes.json"
    other.write_text('{"hello": "world"}')
    result = chaos_cli("report", str(other))
    assert result.returncode == 2
    assert f"error: {other} is not a chaos journal: Field required" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_format_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    run_dir = a_run(tmp_path)
    result = chaos_cli("report", str(run_dir), "--format", "html,pdf")
    assert result.returncode == 2
    assert "error: --format 'html,pdf': unknown format pdf; known: html, md, junit" in result.stderr
    assert sorted(path.name for path in run_dir.iterdir()) == ["journal.json"]
