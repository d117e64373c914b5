"""What ``chaos run`` refuses before anything runs: exit 2, a clear message, nothing started."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.journal import RunStatus, read_journal
from tests.run.harness import FALLBACK, SCENARIOS, chaos_cli


@pytest.mark.e2e  # it runs `chaos run` (which refuses at once)
def test_a_container_fault_with_no_docker_engine_is_refused_naming_the_socket(tmp_path: Path) -> None:
    socket = tmp_path / "no-engine.sock"
    scenario = tmp_path / "container.yaml"
    scenario.write_text(
        FALLBACK.read_text().replace(
            "    provider: primary\n    http_error: {status: 503}",
            "    container: {name: some-gateway, action: stop}",
        )
    )
    runs = tmp_path / "runs"
    sets = ("--set", f"stack.docker=unix://{socket}")
    result = chaos_cli("run", str(scenario), *sets, "--runs-dir", str(runs), "--no-live")
    assert result.returncode == 2, result.stderr
    assert f"the Docker engine at unix://{socket} did not answer" in result.stderr
    assert "Traceback" not in result.stderr
    (run_dir,) = runs.iterdir()
    journal = read_journal(run_dir)
    assert (journal.status, journal.exit_code, journal.t0) == (RunStatus.NOT_STARTED, 2, None)


def test_scenarios_dir_holds_only_valid_scenarios() -> None:
    result = chaos_cli("validate", *map(str, sorted(SCENARIOS.glob("*.yaml"))))
    assert result.returncode == 0, result.stdout + result.stderr
