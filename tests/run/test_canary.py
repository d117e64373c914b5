"""A change plan against a target without weighted routing stops before any traffic, and
says why: the share hook is tried in preflight (exit 2), not discovered mid-run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chaos.journal import read_journal
from chaos.scenario.loading import scenario_from_text

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
