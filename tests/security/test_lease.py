"""The lease of a live run: its run id, which anyone may read, takes nothing; a run whose
lease is broken anyway stops at once, restores its faults and ends aborted, saying why."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from chaos.journal import RunStatus
from chaos.providers.admin_models import LEASE_TOKEN_HEADER
from chaos.records import FaultAction
from tests.run.conftest import StagingStack
from tests.run.harness import FALLBACK, JSON, assert_no_secret, chaos_cli, restored_every_injection, start_run

pytestmark = pytest.mark.e2e


def test_a_live_runs_lease_cannot_be_taken_by_its_run_id_and_a_broken_one_aborts_the_run(
    staging: StagingStack, tmp_path: Path
) -> None:
    with start_run(FALLBACK, *staging.overrides(), runs_dir=tmp_path / "runs", env=staging.env()) as run:
        run_id = run.wait_for_t0().run_id
        run.wait_for_event("primary-down", FaultAction.INJECT)
        with httpx.Client(base_url=staging.admin_url, timeout=5.0, headers=JSON) as http:
            shown = http.get("/lease").json()
            assert (shown["run"], "token" in shown) == (run_id, False)
            # Every way in with what an onlooker knows: the run id.
            assert http.delete("/lease", params={"run": run_id}).status_code == 400
            assert http.delete("/lease", headers={LEASE_TOKEN_HEADER: run_id}).status_code == 403
            assert http.put("/lease", json={"run": run_id, "ttl_s": 30}).status_code == 409
            assert http.put("/lease", json={"run": "thief", "ttl_s": 30}).status_code == 409
            assert http.get("/lease").json()["run"] == run_id

        urls = ("--toxiproxy", staging.toxiproxy_url, "--providers-admin", staging.admin_url)
        broken = chaos_cli("reset", "--run", run_id, "--force", *urls)
        assert broken.returncode == 0, broken.stderr
        assert f"lease of run {run_id} broken" in broken.stdout
        at = time.monotonic()
        finished = run.finish()
    assert_no_secret(finished)
    assert finished.code == 3, finished.explain()
    assert run.ended is not None
    assert run.ended - at < 6.0  # a heartbeat (2 s) and a guard period (1 s) later, not at the end of load
    journal = finished.journal
    assert (journal.status, journal.verdict) == (RunStatus.FINISHED, "aborted")
    assert journal.reason is not None
    assert "the lease was lost: it lapsed or was broken (chaos reset --force)" in journal.reason
    assert restored_every_injection(finished.events) == []
    assert staging.leftovers().empty  # and the lost lease was not quietly taken again
