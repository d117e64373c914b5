"""``chaos run`` in ``environment: staging``: the same scenario against providers, Toxiproxy
and a target started separately (``conftest.py``); nothing is spawned but the load."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.journal import RunStatus, read_journal
from chaos.records import FaultAction
from chaos.run.context import LiveStatus
from chaos.run.lifecycle import new_run_id, run_scenario
from chaos.scenario.loading import load_scenario
from tests.run.conftest import StagingStack, free_port
from tests.run.harness import FALLBACK, KILL, SECRET_ENV, SENTINEL, chaos_run, restored_every_injection, start_run

pytestmark = pytest.mark.e2e


def test_the_same_scenario_passes_in_staging_and_a_second_run_is_refused(staging: StagingStack, tmp_path: Path) -> None:
    with start_run(FALLBACK, *staging.overrides(), runs_dir=tmp_path / "first", env=staging.env()) as first:
        holder = first.wait_for_t0()
        lease = staging.leftovers().lease
        assert lease is not None
        assert lease["run"] == holder.run_id

        second = chaos_run(FALLBACK, *staging.overrides(), runs_dir=tmp_path / "second", env=staging.env())
        assert second.code == 2, second.explain()
        assert f"leased by run {holder.run_id}" in second.stderr
        assert f"chaos reset --run {holder.run_id}" in second.stderr
        refused = second.journal
        assert (refused.status, refused.verdict, refused.exit_code) == (RunStatus.NOT_STARTED, "error", 2)

        finished = first.finish()
    assert finished.code == 0, finished.explain()
    journal = finished.journal
    assert journal.environment == "staging"
    assert journal.endpoints["target"] == staging.target_url
    assert journal.endpoints["toxiproxy"] == staging.toxiproxy_url
    # The scenario as written: the staging URLs stay references.
    assert "${CHAOS_TEST_TARGET}" in journal.overrides[2]
    assert journal.ledger["primary"].faults_applied
    assert restored_every_injection(finished.events) == []
    assert staging.leftovers().empty  # the lease released, every fault gone


@pytest.mark.parametrize(
    ("down", "message"),
    [
        ("CHAOS_TEST_TOXIPROXY", "preflight: Toxiproxy at http://127.0.0.1:{port} did not answer"),
        ("CHAOS_TEST_PROVIDERS_ADMIN", "preflight: the providers' admin API at http://127.0.0.1:{port} did not answer"),
        ("CHAOS_TEST_TARGET", "preflight: the target's health check http://127.0.0.1:{port}/healthz did not answer"),
    ],
)
def test_preflight_names_the_url_that_is_down(staging: StagingStack, tmp_path: Path, down: str, message: str) -> None:
    port = free_port()  # nothing listens there
    env = {**staging.env(), down: f"http://127.0.0.1:{port}"}
    finished = chaos_run(FALLBACK, *staging.overrides(), runs_dir=tmp_path / "runs", env=env)
    assert finished.code == 2, finished.explain()
    assert message.format(port=port) in finished.stderr
    assert "Traceback" not in finished.stderr
    journal = finished.journal
    assert (journal.status, journal.exit_code, journal.t0) == (RunStatus.NOT_STARTED, 2, None)
    assert staging.leftovers().empty


def test_preflight_names_a_missing_proxy(staging: StagingStack, tmp_path: Path) -> None:
    sets = (*staging.overrides(), "providers.tertiary.proxy=nowhere")
    finished = chaos_run(FALLBACK, *sets, runs_dir=tmp_path / "runs", env=staging.env())
    assert finished.code == 2, finished.explain()
    assert "has no proxy 'nowhere' for provider tertiary" in finished.stderr


def test_a_run_whose_environment_breaks_restores_what_it_injected_and_is_judged(
    staging: StagingStack, tmp_path: Path
) -> None:
    """The tertiary's proxy disappears while the run is on: its fault cannot be injected.
    The faults already injected are restored, and the run is judged on what it recorded."""
    # The down fault comes last, a second after the others.
    sets = (*staging.overrides(), "faults[2].at=2.5s", "faults[2].for=3s")
    with start_run(KILL, *sets, runs_dir=tmp_path / "runs", env=staging.env()) as run:
        run.wait_for_event("secondary-slow", FaultAction.INJECT)
        try:
            staging.delete_proxy("tertiary")
            finished = run.finish()
        finally:
            staging.recreate_proxy("tertiary")
    assert finished.code == 3, finished.explain()
    journal = finished.journal
    assert journal.status is RunStatus.FAILED
    assert journal.verdict == "aborted"
    assert "tertiary-down" in (journal.reason or "")
    assert any("tertiary-down" in problem for problem in journal.problems)
    failed = [e for e in finished.events if not e.ok]
    assert [(e.fault, e.action) for e in failed] == [("tertiary-down", FaultAction.INJECT)]
    assert restored_every_injection([e for e in finished.events if e.ok]) == []
    assert journal.evaluation is not None
    assert journal.evaluation.counts.requests > 0


async def test_a_bug_mid_run_restores_every_fault_and_the_run_is_judged(
    staging: StagingStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In process, with a live view that breaks once the faults are on: the exception stops
    the run, every fault is restored (the fixture checks the environment), and the journal
    says what happened."""
    for name, value in {**staging.env(), SECRET_ENV: SENTINEL}.items():
        monkeypatch.setenv(name, value)
    loaded = load_scenario(KILL, staging.overrides())

    def watch(status: LiveStatus) -> None:
        if status.active:
            raise RuntimeError("the live view broke")

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    journal = await run_scenario(loaded, run_dir, new_run_id(), watch=watch)
    assert (journal.status, journal.verdict, journal.exit_code) == (RunStatus.FAILED, "aborted", 3)
    assert journal.reason is not None
    assert "internal error: RuntimeError: the live view broke" in journal.reason
    assert journal.problems == ["internal error: RuntimeError: the live view broke"]
    assert read_journal(run_dir) == journal
    injected = {e.fault for e in journal.events if e.action is FaultAction.INJECT}
    restored = {e.fault for e in journal.events if e.action is FaultAction.RESTORE and e.ok}
    assert injected == restored == {"primary-503", "secondary-slow", "tertiary-down"}
