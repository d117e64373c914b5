"""What ``chaos run`` refuses before anything runs: exit 2, a clear message, nothing started."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.run.harness import FALLBACK, SCENARIOS, chaos_cli


@pytest.mark.e2e  # it runs `chaos run` (which refuses at once)
def test_a_scenario_with_a_container_fault_is_refused_before_anything_runs(tmp_path: Path) -> None:
    scenario = tmp_path / "container.yaml"
    scenario.write_text(
        FALLBACK.read_text().replace(
            "    provider: primary\n    http_error: {status: 503}",
            "    container: {name: some-gateway, action: stop}",
        )
    )
    runs = tmp_path / "runs"
    result = chaos_cli("run", str(scenario), "--runs-dir", str(runs), "--no-live")
    assert result.returncode == 2, result.stderr
    assert "faults[0] (primary-down): container faults are not carried out by chaos run" in result.stderr
    assert "Traceback" not in result.stderr
    assert not runs.exists()


def test_scenarios_dir_holds_only_valid_scenarios() -> None:
    result = chaos_cli("validate", *map(str, sorted(SCENARIOS.glob("*.yaml"))))
    assert result.returncode == 0, result.stdout + result.stderr
