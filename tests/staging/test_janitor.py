"""``chaos janitor`` against a real engine: the orchestrator is SIGKILLed mid-fault, its
lease lapses, and the janitor unpauses its container and removes its toxic, and touches
nothing no run of its named: another container paused by hand, another run's toxic."""

from __future__ import annotations

import json
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chaos.kinds import FaultAction
from tests.run.conftest import StagingStack, Started, start, wait_ready_file
from tests.run.harness import JSON, start_run
from tests.staging.conftest import BASE_IMAGE, EngineHandle, ProviderContainer

pytestmark = pytest.mark.e2e

PAUSE = Path(__file__).parent / "scenarios" / "container-pause.yaml"
LEASE_TTL_S = 5.0
HEARTBEAT_S = 2.0  # chaos/run/lease.py: the last renewal came at most this long before the kill
PERIOD_S = 0.5


@pytest.fixture
def janitor(engine: EngineHandle, staging: StagingStack, tmp_path: Path) -> Iterator[tuple[Started, str]]:
    argv = [sys.executable, "-m", "chaos", "--log-json", "janitor", "--providers-admin", staging.admin_url]
    argv += ["--toxiproxy", staging.toxiproxy_url, "--docker", "--period", str(PERIOD_S), "--port", "0"]
    argv += ["--ready-file", str(tmp_path / "janitor.json")]
    started = start("janitor", argv, tmp_path, env={**staging.env(), "DOCKER_HOST": engine.url})
    try:
        url = str(wait_ready_file(started, tmp_path / "janitor.json")["url"])
        yield started, url
    finally:
        started.stop()


def test_the_janitor_reverts_a_killed_runs_container_and_toxic_and_nothing_else(
    engine: EngineHandle,
    primary_container: ProviderContainer,
    staging: StagingStack,
    janitor: tuple[Started, str],
    tmp_path: Path,
) -> None:
    process, url = janitor
    bystander = engine.client.containers.run(BASE_IMAGE, ["sleep", "600"], name="chaos-e2e-bystander", detach=True)
    decoy = {"name": "chaos-otherrun-slow", "type": "latency", "attributes": {"latency": 1}}
    try:
        bystander.pause()
        with httpx.Client(timeout=5.0) as http:
            http.post(f"{staging.toxiproxy_url}/proxies/tertiary/toxics", json=decoy, headers=JSON).raise_for_status()
        env = {**staging.env(), "DOCKER_HOST": engine.url}
        sets = (f"stack.lease_ttl={LEASE_TTL_S:g}s", "faults[0].at=3s", "faults[1].at=3s", "safety.leftovers=allow")
        with start_run(PAUSE, *sets, runs_dir=tmp_path / "runs", env=env) as run:
            run.wait_for_event("primary-paused", FaultAction.INJECT)
            run.wait_for_event("secondary-slow", FaultAction.INJECT)
            run.signal(signal.SIGKILL)
            killed_at = time.monotonic()
            run.process.wait(10)
            run_id = run.wait_for_t0().run_id
        assert primary_container.status() == "paused"
        assert ("secondary", f"chaos-{run_id}-secondary-slow") in staging.leftovers().toxics

        deadline = killed_at + LEASE_TTL_S + 20
        while primary_container.status() != "running":
            assert time.monotonic() < deadline, f"the janitor did not unpause it:\n{process.log.read_text()}"
            time.sleep(0.1)
        # Not before the lease lapsed: its last renewal came at most one heartbeat before the kill.
        assert time.monotonic() - killed_at >= LEASE_TTL_S - HEARTBEAT_S

        left = staging.leftovers()
        assert left.toxics == [("tertiary", "chaos-otherrun-slow")]  # the run's toxic gone, the other run's kept
        assert (left.lease, left.behaviours, left.disabled) == (None, [], [])
        bystander.reload()
        assert bystander.status == "paused"  # no run named it
        with httpx.Client(timeout=5.0) as http:
            assert http.get(f"{staging.admin_url}/lease/lapsed").json() == {"lapsed": []}  # forgotten once reverted
            assert http.get(f"{url}/healthz").json()["ok"] is True
            metrics = http.get(f"{url}/metrics").text
        assert re.search(r'^chaos_janitor_reverted_total\{kind="container"\} 1\.0$', metrics, re.M), metrics
        assert re.search(r'^chaos_janitor_reverted_total\{kind="toxic"\} 1\.0$', metrics, re.M), metrics
        assert re.search(r"^chaos_janitor_runs_reverted_total 1\.0$", metrics, re.M), metrics
        lines = [json.loads(line) for line in process.log.read_text().splitlines() if line.startswith("{")]
        (reverted,) = [line for line in lines if line["event"] == "janitor: reverted a lapsed run"]
        assert reverted["run"] == run_id
        assert reverted["containers"] == {"chaos-e2e-primary": "unpaused"}
        assert reverted["toxics"] == [f"secondary/chaos-{run_id}-secondary-slow"]
    finally:
        bystander.remove(force=True)
        with httpx.Client(timeout=5.0) as http:
            http.delete(f"{staging.toxiproxy_url}/proxies/tertiary/toxics/chaos-otherrun-slow", headers=JSON)
