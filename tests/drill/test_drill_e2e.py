"""Real drills on the local stack (the demo gateway, provider-outage at --scale 0.4): one
run to its end, judged, indexed and reported; one killed mid-scenario, which adds no row
to the history until ``chaos drill reindex`` rebuilds its run's journal."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chaos.drill.record import DRILLS_DIR, DrillStatus, read_record
from chaos.history.quarters import quarter_of
from chaos.history.store import History
from chaos.journal import RunStatus, read_journal
from chaos.rundir import RunDir

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def suite(tmp_path: Path) -> Path:
    path = tmp_path / "drill.yaml"
    path.write_text(
        f"""version: 1
name: outage-drill
kind: component
owner: platform-sre
scenarios:
  - scenario: {ROOT / "scenarios" / "provider-outage.yaml"}
    targets: {{detect: 15s, mitigate: 20s, recover: 30s, availability: 99%, extra_cost: 0.50}}
""",
        encoding="utf-8",
    )
    return path


def chaos(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "chaos", *map(str, args)]


def test_a_short_drill_runs_judges_indexes_and_reports(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    done = subprocess.run(
        chaos("drill", "run", suite(tmp_path), "--scale", "0.4", "--runs-dir", runs, "--no-live"),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "provider-outage │ pass" in done.stdout
    (directory,) = (runs / DRILLS_DIR).iterdir()
    record = read_record(directory)
    assert record.status is DrillStatus.FINISHED
    assert record.scale == 0.4
    (entry,) = record.entries
    assert entry.run_dir is not None
    assert read_journal(directory / entry.run_dir).verdict == "pass"
    with History.open(runs / "history.sqlite") as history:
        assert history.counts()["drills"] == 1
        (result,) = history.results([quarter_of(record.started_at)])
    assert result.passed and result.entry == "provider-outage"
    assert result.availability is not None and result.availability >= 0.99


def test_a_drill_killed_mid_scenario_leaves_no_row_and_reindex_rebuilds_its_run(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    drill = subprocess.Popen(
        chaos("drill", "run", suite(tmp_path), "--scale", "0.4", "--runs-dir", runs, "--no-live"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        events = _wait_for_injection(runs, timeout=90)
        drill.send_signal(signal.SIGKILL)
        drill.wait(timeout=10)
    finally:
        if drill.poll() is None:
            drill.kill()
            drill.wait()
    run_dir = events.parent
    directory = run_dir.parent
    assert read_record(directory).status is DrillStatus.RUNNING
    assert read_journal(run_dir).status is RunStatus.RUNNING
    with History.open(runs / "history.sqlite") as history:
        assert history.counts() == {"runs": 0, "drills": 0, "results": 0, "actions": 0, "closures": 0}
    reindexed = subprocess.run(
        chaos("drill", "reindex", "--runs-dir", runs), capture_output=True, text=True, timeout=60, check=False
    )
    assert reindexed.returncode == 0, reindexed.stderr
    assert f"rebuilt the journal of {run_dir} (its drill was killed)" in reindexed.stdout
    rebuilt = read_journal(run_dir)
    assert rebuilt.status is RunStatus.REBUILT
    assert rebuilt.verdict == "aborted"
    with History.open(runs / "history.sqlite") as history:
        (line,) = history.results([quarter_of(time.time())])
    assert (line.drill_status, line.verdict, line.passed) == ("killed", "aborted", False)


def _wait_for_injection(runs: Path, timeout: float) -> Path:
    """The events file of the drill's run, once it holds the fault's injection."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for events in (runs / DRILLS_DIR).glob(f"*/*/{RunDir(Path()).events.name}"):
            if b'"inject"' in events.read_bytes():
                return events
        time.sleep(0.2)
    raise AssertionError(f"no fault injected within {timeout} s")
