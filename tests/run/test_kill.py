"""Killing ``chaos run``: what it leaves behind, seen through the environment's own APIs.

The staging stack (``conftest.py``) is started apart from the runs, so that nothing a run
leaves there is hidden by its death. SIGINT and SIGTERM must leave nothing; SIGKILL leaves
provider behaviours that expire by their TTL, toxics and a disabled proxy that ``chaos
reset`` clears, and a journal that ``chaos report`` rebuilds.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from chaos.journal import RunStatus, read_journal
from chaos.kinds import FaultAction
from chaos.records import FaultEvent
from chaos.run.timeline import TTL_GRACE_S
from chaos.scenario.loading import load_scenario
from tests.run.conftest import StagingStack
from tests.run.harness import (
    FALLBACK,
    JSON,
    KILL,
    assert_no_secret,
    chaos_cli,
    chaos_run,
    processes_of,
    restored_every_injection,
    start_run,
)

pytestmark = pytest.mark.e2e

KILLS = 10  # seeded: 4 land with faults active, the other 6 before t = 0 or after the faults
SEED = 20261127
# From the journal's first write: start-up, t = 0 (about 1.5 s later), the faults (1.5 s to
# 5.5 s from t = 0), the end of load (7 s) and the wind-down.
KILL_WINDOW_S = 11.0
FAULTS = ("primary-503", "secondary-slow", "tertiary-down")


def wait_until(what: str, check: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not {what} within {timeout:g} s"
        time.sleep(0.1)


def restored_early(t0: float, events: list[FaultEvent]) -> bool:
    """Whether the signal restored a fault before its scheduled end (the stop restores at once)."""
    scenario = load_scenario(KILL).scenario
    ends = {name: t0 + scenario.fault(name).at + (scenario.fault(name).duration or 0.0) for name in FAULTS}
    return any(e.action is FaultAction.RESTORE and e.t_intended < ends[e.fault] - 0.05 for e in events)


@pytest.mark.slow
def test_sigint_and_sigterm_at_random_moments_leave_nothing_behind(staging: StagingStack, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    moments = [(rng.choice([signal.SIGINT, signal.SIGTERM]), rng.uniform(0, KILL_WINDOW_S)) for _ in range(KILLS)]
    landed: dict[str, int] = {"before t = 0": 0, "with faults active": 0, "otherwise": 0}
    for index, (signum, delay) in enumerate(moments):
        where = f"kill {index}: {signum.name} {delay:.2f} s after the journal"
        with start_run(KILL, *staging.overrides(), runs_dir=tmp_path / f"run{index}", env=staging.env()) as run:
            run.wait_for("the journal", run.journal_now)
            time.sleep(delay)
            run.signal(signum)
            finished = run.finish(timeout=60)
        assert_no_secret(finished)
        assert "Traceback" not in finished.stderr, f"{where}\n{finished.explain()}"
        journal = finished.journal  # valid against the journal's schema, or this raises
        assert journal.status is not RunStatus.RUNNING, where
        assert journal.exit_code == finished.code, f"{where}\n{finished.explain()}"
        assert journal.verdict is not None, where
        if journal.status is RunStatus.INTERRUPTED:
            assert (journal.verdict, finished.code) == ("aborted", 3), where
            assert journal.reason is not None
            assert f"interrupted by {signum.name}" in journal.reason, where
        else:  # the signal came as the run was winding down, or after: it ran to its end
            assert journal.status is RunStatus.FINISHED, where
            assert finished.code in (0, 1, 4), where
        events = finished.events
        assert restored_every_injection(events) == [], f"{where}: {events}"
        left = staging.leftovers()
        assert left.empty, f"{where} left {left}"
        run_id = journal.run_id
        wait_until("the load gone", lambda: not processes_of(run_id), timeout=10)  # noqa: B023
        if journal.t0 is None:
            key = "before t = 0"
        else:
            key = "with faults active" if restored_early(journal.t0, events) else "otherwise"
        landed[key] += 1
    # The seeded moments cover the run's phases (this machine's timing shifts them a little).
    assert landed["with faults active"] >= 3, landed
    assert landed["before t = 0"] + landed["otherwise"] >= 3, landed


def test_sigkill_leaves_provider_faults_that_expire_and_a_journal_report_rebuilds(
    staging: StagingStack, tmp_path: Path
) -> None:
    with start_run(KILL, *staging.overrides(), runs_dir=tmp_path / "runs", env=staging.env()) as run:
        journal = run.wait_for_t0()
        injected = [run.wait_for_event(fault, FaultAction.INJECT) for fault in FAULTS]
        assert processes_of(journal.run_id), "the load runs with the run's mark"
        run.process.kill()
        run.process.wait()
    run_id = journal.run_id
    wait_until("the load dead with its parent", lambda: not processes_of(run_id), timeout=10)

    # What a SIGKILL leaves: the behaviour (with its TTL), the toxic, the disabled proxy, the lease.
    left = staging.leftovers()
    assert [b["name"] for b in left.behaviours] == [f"chaos-{run_id}-primary-503"]
    expires_at = left.behaviours[0]["expires_at"]
    fault = load_scenario(KILL).scenario.fault("primary-503")
    assert journal.t0 is not None
    assert fault.duration is not None
    window_end = journal.t0 + fault.at + fault.duration
    assert window_end + TTL_GRACE_S - 1 <= expires_at <= window_end + TTL_GRACE_S + 2, (expires_at, injected[0])
    toxics = {("secondary", f"chaos-{run_id}-secondary-slow"), ("tertiary", f"chaos-{run_id}-tertiary-down")}
    assert set(left.toxics) == toxics  # the second marks the disabled proxy as the run's doing
    assert left.disabled == ["tertiary"]
    assert left.lease is not None
    assert (left.lease["run"], left.lease["proxies"]) == (run_id, ["tertiary"])

    # A second run is refused while the dead run's lease is held, and is told what to do.
    refused = chaos_run(FALLBACK, *staging.overrides(), runs_dir=tmp_path / "second", env=staging.env())
    assert refused.code == 2, refused.explain()
    assert f"leased by run {run_id}" in refused.stderr
    assert f"chaos reset --run {run_id}" in refused.stderr

    # The killed run's journal, rebuilt from its raw files.
    run_dir = run.run_dir
    assert run_dir is not None
    assert read_journal(run_dir).status is RunStatus.RUNNING
    report = chaos_cli("report", str(run_dir))
    assert report.returncode == 3, report.stdout + report.stderr
    assert "verdict: ABORTED" in report.stdout
    rebuilt = read_journal(run_dir)
    assert (rebuilt.status, rebuilt.verdict, rebuilt.exit_code) == (RunStatus.REBUILT, "aborted", 3)
    assert rebuilt.reason is not None
    assert "killed" in rebuilt.reason
    # the three are due at one instant: they land together, in no set order
    assert sorted(e.fault for e in rebuilt.events if e.action is FaultAction.INJECT) == sorted(FAULTS)
    assert rebuilt.evaluation is not None
    assert rebuilt.evaluation.counts.requests > 0
    assert rebuilt.ledger["primary"].requests > 0

    # The provider behaviour expires by its TTL, with nobody restoring it.
    timeout = expires_at - time.time() + 5
    wait_until("the behaviour expired", lambda: not staging.leftovers().behaviours, timeout=timeout)
    assert time.time() >= expires_at - 0.5

    # Toxiproxy has no TTL: the toxic and the disabled proxy stay until chaos reset, even
    # once the run's lease (which lists the proxy) has lapsed.
    with httpx.Client(timeout=5.0, headers=JSON) as http:
        http.delete(f"{staging.admin_url}/lease", params={"force": "true"}).raise_for_status()
    left = staging.leftovers()
    assert (set(left.toxics), left.disabled, left.lease) == (toxics, ["tertiary"], None)
    reset = chaos_cli(
        "reset", "--run", run_id, "--toxiproxy", staging.toxiproxy_url, "--providers-admin", staging.admin_url
    )
    assert reset.returncode == 0, reset.stderr
    assert "proxies re-enabled: tertiary" in reset.stdout
    assert staging.leftovers().empty


def test_after_sigkill_no_child_of_a_local_run_survives(tmp_path: Path) -> None:
    # Two load processes: Locust forks its workers from the master, and fork() clears the
    # parent-death signal the orchestrator gave the master.
    with start_run(FALLBACK, "load.processes=2", runs_dir=tmp_path / "runs") as run:
        journal = run.wait_for_t0()
        children = processes_of(journal.run_id)
        commands = " | ".join(children.values())
        assert len(children) >= 6, commands  # providers, toxiproxy, gateway, the load's master and 2 workers
        assert sum("locust" in command for command in children.values()) == 3, commands
        run.process.kill()
        run.process.wait()
    wait_until("every child gone", lambda: not processes_of(journal.run_id), timeout=10)
