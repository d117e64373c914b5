"""Locust's own distributed mode: a master that waits for `chaos worker` processes, as on other machines."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chaos.cli import main
from chaos.kinds import LoadEventKind
from chaos.load.config import RemoteWorkers, ShapeConfig
from chaos.load.launch import free_port
from tests.load.helpers import LoadProcess, config
from tests.load.target import TargetServer
from tests.load.test_cli_load import scenario

pytestmark = pytest.mark.e2e


def start_worker(port: int, log: Path) -> subprocess.Popen[bytes]:
    """``chaos worker`` as a user starts it on another machine: it knows only the master's address."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "chaos", "worker", "--master", f"127.0.0.1:{port}", "--wait", "30"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=10)


def test_two_workers_record_every_request_locust_counted(tmp_path: Path, target: TargetServer) -> None:
    remote = RemoteWorkers(count=2, timeout=30, bind_port=free_port())
    cfg = config(tmp_path, target.url, workers=remote, shape=ShapeConfig(users=4, spawn_rate=40, duration=3))
    workers = [start_worker(remote.bind_port, tmp_path / f"worker-{i}.log") for i in range(2)]
    load = LoadProcess(cfg)
    try:
        assert load.wait() == 0, load.stderr()
        codes = [worker.wait(timeout=15) for worker in workers]
        records = load.records()
    finally:
        load.kill()
        stop(workers)

    assert codes == [0, 0], [(tmp_path / f"worker-{i}.log").read_text()[-2000:] for i in range(2)]
    summary = records.event(LoadEventKind.SUMMARY).detail
    assert summary["requests"] == len(records.ended) > 20
    assert {r.id for r in records.sent} == {r.id for r in records.ended}
    ready = [e for e in records.events if e.event is LoadEventKind.WORKER_READY]
    assert len(ready) == 2
    assert {e.worker for e in ready} == {r.worker for r in records.ended}
    for event in ready:
        assert abs(event.detail["clock_offset"]) < 0.05  # one machine: one clock, up to half a round trip
        assert 0 <= event.detail["round_trip"] < 1
        assert event.detail["pid"] in {worker.pid for worker in workers}
    counts = summary["workers"]
    assert {worker: count["ended"] for worker, count in counts.items()} == {
        worker: sum(r.worker == worker for r in records.ended) for worker in counts
    }
    start, stop_t = records.event(LoadEventKind.START).t, records.event(LoadEventKind.STOP).t
    assert all(start <= r.t_sent <= stop_t for r in records.sent)


def test_a_killed_worker_is_reported_and_its_records_kept(tmp_path: Path, target: TargetServer) -> None:
    target.target.settings.ttft = 0.2
    remote = RemoteWorkers(count=2, timeout=30, bind_port=free_port())
    cfg = config(tmp_path, target.url, workers=remote, shape=ShapeConfig(users=4, spawn_rate=40, duration=7))
    workers = [start_worker(remote.bind_port, tmp_path / f"worker-{i}.log") for i in range(2)]
    load = LoadProcess(cfg)
    try:
        load.wait_for(LoadEventKind.START)
        time.sleep(1.5)
        os.kill(workers[0].pid, signal.SIGKILL)
        assert load.wait() == 0, load.stderr()
        records = load.records()
    finally:
        load.kill()
        stop(workers)

    lost = records.event(LoadEventKind.WORKER_LOST)
    assert lost.detail["pid"] == workers[0].pid
    from_victim = [r for r in records.sent if r.worker == lost.worker]
    assert from_victim, "the records the worker sent before it died are kept"
    assert lost.detail["sent"] == len(from_victim)
    in_flight = set(lost.detail["in_flight"])
    assert {r.id for r in records.sent} - {r.id for r in records.ended} == in_flight
    assert lost.worker not in {r.worker for r in records.sent if r.t_sent > lost.t}
    assert {r.worker for r in records.sent if r.t_sent > lost.t}, "the other worker goes on"
    assert records.has(LoadEventKind.SUMMARY)


def test_too_few_workers_stop_the_load_saying_how_many_came(tmp_path: Path, target: TargetServer) -> None:
    port = free_port()
    workers = [start_worker(port, tmp_path / "worker.log")]
    try:
        command = [sys.executable, "-m", "chaos", "load", str(scenario(tmp_path, target.url)), "--target", target.url]
        command += ["--out", str(tmp_path / "run"), "--workers", "2", "--workers-timeout", "2"]
        result = subprocess.run(
            [*command, "--master-bind", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=60, check=False
        )
    finally:
        stop(workers)

    assert result.returncode == 2, result.stderr
    assert "only 1 of 2 load workers came within 2 s; the load did not start" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.target.received


@pytest.mark.parametrize("address", ["nowhere", "host:0", "host:99999", ":5557", "host:port"])
def test_a_worker_needs_host_and_port(address: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--master", address]) == 2
    assert "is not HOST:PORT" in capsys.readouterr().err


def test_a_worker_with_no_master_says_so_and_exits(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chaos", "worker", "--master", f"127.0.0.1:{free_port()}", "--wait", "1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "no chaos load master answered at 127.0.0.1:" in result.stderr
    assert "within 1 s" in result.stderr
    assert "Traceback" not in result.stderr
