"""A change plan against a target without weighted routing stops before any traffic, and
says why: the share hook is tried in preflight (exit 2), not discovered mid-run. A run
killed after its plan decided keeps the decision: ``chaos report`` judges it again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chaos.errors import ChaosError
from chaos.journal import RunStatus, read_journal
from chaos.run.canary import read_change
from chaos.rundir import RunDir
from chaos.scenario.change import Outcome
from chaos.scenario.loading import scenario_from_text
from chaos.slo.change import ChangeResult
from tests.run.harness import chaos_cli, start_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_a_gateway_without_weighted_routing_is_told_so_in_preflight(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "chaos", "run", "scenarios/canary-healthy.yaml",
            "--target", "tests/cli/foreign-gateway.yaml", "--runs-dir", str(tmp_path), "--no-live",
        ],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "preflight: the target does not take the canary's share (change.set_share)" in output
    assert "HTTP 404" in output
    (run_dir,) = tmp_path.iterdir()
    journal = read_journal(run_dir)
    assert journal.t0 is None  # no load was started
    assert journal.change is None


def test_the_readmes_change_block_is_a_valid_plan_for_the_library_scenario() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Model updates") :]
    block = section[section.index("```yaml\n") + len("```yaml\n") : section.index("\n```\n")]
    healthy = (ROOT / "scenarios" / "canary-healthy.yaml").read_text(encoding="utf-8")
    text = healthy[: healthy.index("change:\n")] + block + "\n" + healthy[healthy.index("\nslos:") :]
    loaded = scenario_from_text(text, ROOT / "scenarios" / "readme-change.yaml")
    change = loaded.scenario.change
    assert change is not None
    assert [step.share for step in change.steps] == [0.25, 0.5, 1.0]
    assert change.gates.samples_needed == 60
    assert change.rollback is not None
    assert change.rollback.command == ["python", "scripts/rollback.py"]


@pytest.mark.e2e
def test_a_run_killed_after_its_rollback_keeps_the_decision_and_the_report_judges_it(tmp_path: Path) -> None:
    scenario = ROOT / "scenarios" / "canary-quality-regression.yaml"
    with start_run(scenario, runs_dir=tmp_path / "runs", options=["--scale", "0.4"]) as run:

        def rolled_back() -> ChangeResult | None:
            kept = read_change(RunDir(run.run_dir)) if run.run_dir is not None else None
            return kept if kept is not None and kept.outcome is Outcome.ROLLED_BACK else None

        kept: ChangeResult = run.wait_for("the rollback in change.jsonl", rolled_back, timeout=90)
        run.process.kill()
        run.process.wait()
    run_dir = run.run_dir
    assert run_dir is not None
    assert read_journal(run_dir).change is None, "the plan is judged into the journal only at the end"

    report = chaos_cli("report", str(run_dir))
    assert report.returncode == 3, report.stdout + report.stderr  # killed: aborted
    journal = read_journal(run_dir)
    assert journal.status is RunStatus.REBUILT
    change = journal.change
    assert change is not None
    assert change.outcome is Outcome.ROLLED_BACK
    assert change.deciding_gates == kept.deciding_gates
    assert change.rollback == kept.rollback
    assert change.time_to_roll_back is not None
    assert change.exposure is not None
    assert change.exposure.requests > 0
    assert change.expectation is not None
    assert journal.evaluation is not None
    assert change.expectation in journal.evaluation.expectations


def test_the_plan_read_back_is_its_last_whole_line(tmp_path: Path) -> None:
    files = RunDir(tmp_path)
    assert read_change(files) is None
    started = ChangeResult(baseline="primary@a", candidate="primary@b", min_sample=60)
    rolled = started.model_copy(update={"outcome": Outcome.ROLLED_BACK, "decided_at": 9.2})
    whole = started.model_dump_json() + "\n" + rolled.model_dump_json() + "\n"
    files.change.write_text(whole + rolled.model_dump_json()[:40])  # a kill mid-line
    assert read_change(files) == rolled
    files.change.write_text(started.model_dump_json()[:40])
    assert read_change(files) is None
    files.change.write_text('{"baseline": 1}\n')
    with pytest.raises(ChaosError, match=r"change.jsonl: line 1 is not the plan's state"):
        read_change(files)
