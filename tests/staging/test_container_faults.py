"""Container faults on a real Docker engine: a mock provider in a container, paused mid-run
by a staging scenario; the gateway falls back, and the container runs again after."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.kinds import FaultAction
from tests.run.conftest import StagingStack
from tests.run.harness import chaos_run, restored_every_injection
from tests.staging.conftest import EngineHandle, ProviderContainer

pytestmark = pytest.mark.e2e

PAUSE = Path(__file__).parent / "scenarios" / "container-pause.yaml"


def test_a_paused_provider_container_is_fallen_back_from_and_running_after_the_run(
    engine: EngineHandle, primary_container: ProviderContainer, staging: StagingStack, tmp_path: Path
) -> None:
    env = {**staging.env(), "DOCKER_HOST": engine.url}
    finished = chaos_run(PAUSE, runs_dir=tmp_path / "runs", env=env)
    assert finished.code == 0, finished.explain()
    journal = finished.journal
    paused = [e for e in finished.events if e.fault == "primary-paused"]
    assert [(e.action, e.ok) for e in paused] == [(FaultAction.INJECT, True), (FaultAction.RESTORE, True)]
    assert restored_every_injection(finished.events) == []
    assert journal.evaluation is not None
    baseline = next(s for s in journal.evaluation.segments if s.name == "baseline")
    # The container served the primary: the providers outside it billed none of its calls.
    assert (baseline.served_by_target, baseline.served_by_ledger) == ({"primary": 1.0}, {"unknown": 1.0})
    (expectation,) = journal.evaluation.expectations
    assert expectation.verdict == "pass", expectation
    assert primary_container.status() == "running"


def test_a_container_the_engine_lacks_fails_preflight_listing_what_it_has(
    engine: EngineHandle, primary_container: ProviderContainer, staging: StagingStack, tmp_path: Path
) -> None:
    env = {**staging.env(), "DOCKER_HOST": engine.url}
    sets = ("faults[0].container.name=chaos-e2e-nowhere",)
    finished = chaos_run(PAUSE, *sets, runs_dir=tmp_path / "runs", env=env)
    assert finished.code == 2, finished.explain()
    assert (
        f"preflight: fault primary-paused: the Docker engine at {engine.url} has no container 'chaos-e2e-nowhere'; "
        "it has: chaos-e2e-primary (running)"
    ) in finished.stderr
    assert "Traceback" not in finished.stderr
    assert primary_container.status() == "running"
