"""Locust workers in containers on a real Docker engine, as the compose stack's `worker`
service runs them: two `chaos worker` containers join a master on the host, and every
request Locust counted is in the master's records."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from chaos.kinds import LoadEventKind
from chaos.load.config import RemoteWorkers, ShapeConfig
from chaos.load.launch import free_port
from tests.load.helpers import EVALS, LoadProcess, config
from tests.load.target import Settings, TargetServer, eval_answers
from tests.run.harness import ROOT
from tests.staging.conftest import BASE_IMAGE, EngineHandle, python_mounts

pytestmark = pytest.mark.e2e


def test_two_workers_in_containers_record_every_request_locust_counted(engine: EngineHandle, tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "chaos", "worker", "--master", f"127.0.0.1:{port}", "--wait", "60"]
    containers = [
        engine.client.containers.run(
            BASE_IMAGE,
            command,
            name=f"chaos-e2e-worker-{index}",
            detach=True,
            network_mode="host",
            working_dir=str(ROOT),
            volumes=python_mounts(),
            environment={"PYTHONDONTWRITEBYTECODE": "1", "HOME": "/tmp"},
        )
        for index in range(2)
    ]
    try:
        with TargetServer(Settings(answers=eval_answers(EVALS))) as target:
            remote = RemoteWorkers(count=2, timeout=30, bind_port=port)
            load = LoadProcess(
                config(tmp_path, target.url, workers=remote, shape=ShapeConfig(users=4, spawn_rate=40, duration=3))
            )
            try:
                assert load.wait() == 0, load.stderr()
                records = load.records()
            finally:
                load.kill()
        exits = [container.wait(timeout=30)["StatusCode"] for container in containers]
        logs = [container.logs().decode(errors="replace")[-2000:] for container in containers]
    finally:
        for container in containers:
            container.remove(force=True)

    assert exits == [0, 0], logs
    assert records.event(LoadEventKind.SUMMARY).detail["requests"] == len(records.ended) > 20
    assert {r.id for r in records.sent} == {r.id for r in records.ended}
    ready = [e for e in records.events if e.event is LoadEventKind.WORKER_READY]
    assert len(ready) == 2
    assert {e.worker for e in ready} == {r.worker for r in records.ended}
    # Each is the first process of its container's own process namespace: not a process of this machine's.
    assert [e.detail["pid"] for e in ready] == [1, 1]
    assert all(abs(e.detail["clock_offset"]) < 0.05 for e in ready)
