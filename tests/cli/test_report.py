"""``chaos report`` and the run directory as a user meets them: a directory that holds no
run, a run whose journal was lost, a run whose target never came up, and the journal's
own layout (verdict first, readable by all, ISO times beside epoch seconds)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from chaos.cli.run import _written
from chaos.journal import RunStatus, read_journal
from tests.run.harness import FALLBACK, chaos_cli, chaos_run


def test_report_on_an_empty_directory_says_it_holds_no_run(tmp_path: Path) -> None:
    result = chaos_cli("report", str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert f"error: {tmp_path} is not a run directory: no journal.json, and no run.json and scenario.yaml" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written into someone else's folder


def test_report_on_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = chaos_cli("report", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_a_report_that_fails_to_render_is_said_and_leaves_the_run_its_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken() -> list[Path]:
        raise ValueError("no chart without buckets")

    _written(broken)  # returns: the caller goes on to exit with the run's own code
    err = capsys.readouterr().err
    assert "error: the reports could not be rendered (ValueError: no chart without buckets)" in err
    assert "chaos report RUN_DIR" in err


@pytest.mark.e2e
def test_a_run_whose_journal_was_lost_is_rebuilt_from_what_it_kept(tmp_path: Path) -> None:
    finished = chaos_run(FALLBACK, runs_dir=tmp_path / "runs")
    assert finished.code == 0, finished.explain()
    run_dir = finished.run_dir
    assert run_dir is not None
    journal_file = run_dir / "journal.json"
    # The journal as written: the verdict first, 0644 like its neighbours, ISO times beside epoch floats.
    text = journal_file.read_text()
    assert list(json.loads(text))[:3] == ["verdict", "reason", "exit_code"]
    assert stat.S_IMODE(journal_file.stat().st_mode) == 0o644
    assert stat.S_IMODE((run_dir / "records.jsonl").stat().st_mode) == 0o644
    data = json.loads(text)
    assert data["started_at_iso"].endswith("Z")
    assert data["t0_iso"] is not None
    assert data["ended_at_iso"] is not None
    original = read_journal(run_dir)
    assert (run_dir / "scenario.yaml").read_text() == FALLBACK.read_text()

    journal_file.unlink()
    result = chaos_cli("report", str(run_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no journal.json: rebuilt from the raw files" in result.stderr
    assert "verdict: PASS" in result.stdout
    rebuilt = read_journal(run_dir)
    assert rebuilt.status is RunStatus.REBUILT
    assert (rebuilt.verdict, rebuilt.exit_code, rebuilt.run_id) == ("pass", 0, original.run_id)
    assert rebuilt.evaluation is not None
    assert original.evaluation is not None
    assert [(r.slo, r.segment, r.verdict, r.total) for r in rebuilt.evaluation.slos] == [
        (r.slo, r.segment, r.verdict, r.total) for r in original.evaluation.slos
    ]

    journal_file.write_text('{"verdict": "pa')  # cut short by a full disk
    result = chaos_cli("report", str(run_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "journal.json is not a journal (ValidationError): rebuilt" in result.stderr

    (run_dir / "records.jsonl").unlink()
    journal_file.unlink()
    result = chaos_cli("report", str(run_dir))
    assert result.returncode == 2
    assert "the run recorded no load; there is nothing to judge" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.e2e  # it runs `chaos run`, which gives up after 2 s
def test_a_target_that_never_answers_names_ready_timeout_and_its_log(tmp_path: Path) -> None:
    sleeper = "python -c 'import time; print(\"booting\", flush=True); time.sleep(60)'"
    runs = tmp_path / "runs"
    result = chaos_cli(
        "run", str(FALLBACK), "--target-start", sleeper, "--set", "target.ready_timeout=2s", "--runs-dir", str(runs)
    )
    assert result.returncode == 2, result.stdout + result.stderr
    (run_dir,) = runs.iterdir()
    assert "did not answer 2xx within 2 s (target.ready_timeout)" in result.stderr
    assert f"its log: {run_dir / 'logs' / 'target.log'}" in result.stderr
    assert "booting" in result.stderr  # its last lines
    assert "Traceback" not in result.stderr
    journal = read_journal(run_dir)
    assert (journal.status, journal.verdict, journal.exit_code, journal.t0) == (RunStatus.NOT_STARTED, "error", 2, None)
    shown = chaos_cli("report", str(run_dir))
    assert shown.returncode == 2
    assert "not started" in shown.stdout
    assert "target.ready_timeout" in shown.stdout
