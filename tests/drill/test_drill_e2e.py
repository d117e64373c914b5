"""Real drills on the local stack (the demo gateway, provider-outage at --scale 0.4): one
run to its end, judged, indexed and reported; one killed mid-scenario, which adds no row
to the history until ``chaos drill reindex`` rebuilds its run's journal."""

from __future__ import annotations

import re
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


def readme_commands() -> list[list[str]]:
    """The README's drill commands, each as bash runs it (its globs expanded) with this
    interpreter's ``chaos`` first on the PATH."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## DR drills", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the README's DR drills section has no sh block"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [
        ["bash", "-c", f'PATH="{Path(sys.executable).parent}:$PATH" exec {line} "$@"', "bash"] for line in lines if line
    ]


@pytest.fixture
def here(tmp_path: Path) -> Path:
    """A folder with the repository's scenarios and suites, where the README's commands run."""
    for name in ("scenarios", "gameday"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def test_the_readme_drill_runs_judges_indexes_and_reports_as_written(here: Path) -> None:
    validate, run, reindex, report = readme_commands()
    done = subprocess.run([*run, "--no-live"], cwd=here, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "provider-outage │ pass" in done.stdout
    runs = here / "runs"
    (directory,) = (runs / DRILLS_DIR).iterdir()
    record = read_record(directory)
    assert (record.status, record.scale, [e.entry for e in record.entries]) == (
        DrillStatus.FINISHED,
        0.4,
        ["provider-outage"],
    )
    run_dir = directory / str(record.entries[0].run_dir)
    assert read_journal(run_dir).verdict == "pass"
    assert (directory / "report.html").is_file()
    assert "| `provider-outage` | ✅ pass |" in (directory / "report.md").read_text(encoding="utf-8")
    with History.open(runs / "history.sqlite") as history:
        (result,) = history.results([quarter_of(record.started_at)])
    assert (result.entry, result.verdict, result.passed) == ("provider-outage", "pass", True)
    assert result.availability is not None
    assert result.availability >= 0.99

    for command in (validate, reindex, report):
        finished = subprocess.run(command, cwd=here, capture_output=True, text=True, timeout=60, check=False)
        assert finished.returncode == 0, finished.stderr
    quarter = quarter_of(record.started_at)
    markdown = (runs / "reports" / quarter / "report.md").read_text(encoding="utf-8")
    assert f"{quarter}: 1 drills; 1 of 1 scenarios passing" in markdown
    assert "| quarterly-component | component | `rate-limit-storm` | never |" in markdown


def test_a_drill_killed_mid_scenario_leaves_no_row_and_reindex_rebuilds_its_run(here: Path) -> None:
    _, run, reindex, _ = readme_commands()
    runs = here / "runs"
    drill = subprocess.Popen([*run, "--no-live"], cwd=here, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    reindexed = subprocess.run(reindex, cwd=here, capture_output=True, text=True, timeout=60, check=False)
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


def test_two_drills_at_once_write_one_history_whole(here: Path) -> None:
    """Two real drills side by side (a lighter, shorter load each: the machine runs both
    stacks, and what is tested is the history they share), one history: each drill indexed
    with its run and result, nothing lost or mixed."""
    _, run, _, _ = readme_commands()
    lighter = ["--no-live", "--set", "load.users=30", "--scale", "0.25"]  # the last --scale is the one taken
    drills = [
        subprocess.Popen([*run, *lighter], cwd=here, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)
    ]
    outputs = [drill.communicate(timeout=240)[0].decode() for drill in drills]
    for drill, output in zip(drills, outputs, strict=True):
        assert drill.returncode in (0, 1), output[-3000:]  # judged, whatever the verdict under a doubled load
    runs = here / "runs"
    records = [read_record(directory) for directory in sorted((runs / DRILLS_DIR).iterdir())]
    assert [record.status for record in records] == [DrillStatus.FINISHED, DrillStatus.FINISHED]
    with History.open(runs / "history.sqlite") as history:
        assert history.counts()["drills"] == 2
        lines = history.results([quarter_of(records[0].started_at)])
    assert sorted(line.drill_id for line in lines) == sorted(record.drill_id for record in records)
    assert all(line.entry == "provider-outage" and line.availability is not None for line in lines)
