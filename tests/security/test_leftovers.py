"""A staging run does not start on top of faults it did not make: a dead run's toxic,
disabled proxy and provider behaviour are listed, refused with exit 2 before anything is
injected, and the ``chaos reset`` the refusal names clears them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chaos.journal import RunStatus
from tests.run.conftest import StagingStack
from tests.run.harness import FALLBACK, chaos_cli, chaos_run
from tests.run.test_reset import leave_faults

pytestmark = pytest.mark.e2e

DEAD = "20261127-114824-dead"


async def test_a_dead_runs_faults_are_listed_and_refused_and_the_named_reset_clears_them(
    staging: StagingStack, tmp_path: Path
) -> None:
    await leave_faults(staging, DEAD, faults=["primary-503", "secondary-slow", "tertiary-down"], lease=False)
    before = staging.leftovers()

    finished = chaos_run(FALLBACK, *staging.overrides(), runs_dir=tmp_path / "runs", env=staging.env())
    assert finished.code == 2, finished.explain()
    said = finished.stderr
    assert "preflight: the environment holds 4 faults this run did not make" in said
    assert f"toxic chaos-{DEAD}-secondary-slow (latency) on proxy secondary" in said
    assert f"toxic chaos-{DEAD}-tertiary-down (noop) on proxy tertiary" in said  # the mark of a disabled proxy
    assert "proxy tertiary is disabled" in said
    assert f"behaviour chaos-{DEAD}-primary-503 (http_error) on provider primary, of run {DEAD}" in said
    journal = finished.journal
    assert (journal.status, journal.exit_code, journal.t0, journal.events) == (RunStatus.FAILED, 2, None, [])
    assert "proxy tertiary is disabled" in "\n".join(journal.problems)
    assert staging.leftovers() == before  # refused: nothing touched, nothing added, no lease taken

    named = re.search(r"`(chaos reset --run \S+ --toxiproxy \S+ --providers-admin \S+)`", said)
    assert named is not None, said
    cleared = chaos_cli(*named.group(1).split()[1:])
    assert cleared.returncode == 0, cleared.stderr
    assert staging.leftovers().empty


async def test_leftovers_may_be_allowed_and_are_then_listed_in_the_journal(
    staging: StagingStack, tmp_path: Path
) -> None:
    await leave_faults(staging, DEAD, faults=["secondary-slow"], lease=False)  # 20 ms on the fallback: harmless
    sets = (*staging.overrides(), "safety.leftovers=allow")
    finished = chaos_run(FALLBACK, *sets, runs_dir=tmp_path / "runs", env=staging.env())
    assert finished.code == 0, finished.explain()
    problems = "\n".join(finished.journal.problems)
    assert "ran on top of faults it did not make (safety.leftovers: allow)" in problems
    assert f"toxic chaos-{DEAD}-secondary-slow (latency) on proxy secondary" in problems
    assert [name for _, name in staging.leftovers().toxics] == [
        f"chaos-{DEAD}-secondary-slow"
    ]  # not the run's to clear
    staging.clear()
