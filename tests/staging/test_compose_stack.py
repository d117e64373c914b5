"""The compose stack brought up for real on the local engine (compose/local-engine.yml laid
over compose/docker-compose.yml, as its header says), and one library scenario played by
its runner service: Locust workers in containers join the runner's master, the faults go
through the stack's Toxiproxy, and the run is judged."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from chaos.journal import read_journal
from chaos.load.summary import summarize
from chaos.rundir import RunDir
from tests.run.harness import ROOT
from tests.staging.conftest import EngineHandle, python_prefix

pytestmark = pytest.mark.e2e

COMPOSE = ROOT / "compose"
HEALTH = ["http://127.0.0.1:18000/healthz", "http://127.0.0.1:19000/healthz", "http://127.0.0.1:8474/version"]
UP_TIMEOUT_S = 60.0


def wait_healthy(compose: list[str], env: dict[str, str]) -> None:
    deadline = time.monotonic() + UP_TIMEOUT_S
    for url in HEALTH:
        while True:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                logs = subprocess.run(
                    [*compose, "logs", "--tail=20"], env=env, capture_output=True, text=True, check=False
                )
                raise AssertionError(f"{url} did not answer within {UP_TIMEOUT_S:g} s:\n{logs.stdout[-4000:]}")
            time.sleep(0.2)


def test_the_compose_stack_plays_a_library_scenario_with_its_workers(engine: EngineHandle, tmp_path: Path) -> None:
    tool = shutil.which("docker-compose")
    assert tool is not None, "Debian's docker-compose is in .ci/apt-packages"
    runs = tmp_path / "runs"
    runs.mkdir()
    env = {
        **os.environ,
        "DOCKER_HOST": engine.url,
        "CHAOS_CHECKOUT": str(ROOT),
        "PYTHON_PREFIX": python_prefix(),
        "DOCKER_SOCKET": engine.url.removeprefix("unix://"),
        "RUNS_DIR": str(runs),
        "LOAD_WORKERS": "2",
        "COMPOSE_PROJECT_NAME": "chaos-e2e-compose",
    }
    compose = [tool, "-f", str(COMPOSE / "docker-compose.yml"), "-f", str(COMPOSE / "local-engine.yml")]
    up = subprocess.run(
        [*compose, "up", "-d", "--no-build", "--scale", "worker=2"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        assert up.returncode == 0, up.stderr
        wait_healthy(compose, env)
        played = subprocess.run(
            [*compose, "run", "--rm", "runner", "scenarios/provider-outage.yaml", "--scale", "0.4"],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        subprocess.run([*compose, "down", "--timeout", "5"], env=env, capture_output=True, check=False)

    (run_dir,) = [path for path in runs.iterdir() if path.is_dir()]
    journal = read_journal(run_dir)
    explain = played.stdout[-3000:] + played.stderr[-3000:]
    # The library scenario as the README's short run plays it, decided and passed on the stack.
    assert (journal.verdict, played.returncode) == ("pass", 0), explain
    assert journal.environment == "staging"
    assert [(event.fault, event.action.value, event.ok) for event in journal.events] == [
        ("primary-503", "inject", True),
        ("primary-503", "restore", True),
    ], journal.events
    assert len(journal.load_workers) == 2
    assert [worker.pid for worker in journal.load_workers] == [1, 1], "each worker ran as its container's process"
    summary = summarize(RunDir(run_dir).records)
    assert summary.locust_requests == summary.ended > 100
    assert summary.in_flight == 0
