"""``chaos run --workers N``: the load split over `chaos worker` processes, as on other machines."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from chaos.load.launch import free_port
from chaos.records import RequestSent, parse_record
from chaos.rundir import RunDir
from tests.run.harness import FALLBACK, chaos, chaos_run, run_env, start_run

pytestmark = pytest.mark.e2e


def start_worker(port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            chaos("worker", "--master", f"127.0.0.1:{port}", "--wait", "60"),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=run_env(),  # the scenario's header names ${CHAOS_TEST_GATEWAY_KEY}: the worker resolves it
            start_new_session=True,
        )


def test_a_split_run_keeps_each_workers_clock_offset_and_reports_a_killed_one(tmp_path: Path) -> None:
    port = free_port()
    workers = [start_worker(port, tmp_path / f"worker-{i}.log") for i in range(2)]
    options = ["--scale", "0.6", "--workers", "2", "--master-bind", f"127.0.0.1:{port}"]
    try:
        with start_run(FALLBACK, runs_dir=tmp_path / "runs", options=options) as run:
            run.wait_for_t0()
            time.sleep(1.5)
            os.kill(workers[0].pid, signal.SIGKILL)
            finished = run.finish()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait(timeout=10)

    journal = finished.journal
    assert journal.verdict is not None, finished.explain()
    assert len(journal.load_workers) == 2, finished.explain()
    for worker in journal.load_workers:
        assert worker.clock_offset_s is not None
        assert abs(worker.clock_offset_s) < 0.05
        assert worker.round_trip_s is not None
    lost = [worker for worker in journal.load_workers if worker.lost_at is not None]
    assert [worker.pid for worker in lost] == [workers[0].pid]
    victim = lost[0]
    assert victim.lost_reason == "missed its heartbeats"
    assert any(f"load worker {victim.id}" in problem for problem in journal.problems)
    assert f"load worker {victim.id}" in finished.stdout
    assert finished.run_dir is not None
    lines = RunDir(finished.run_dir).records.read_text().splitlines()
    sent = [record for line in lines if isinstance(record := parse_record(line), RequestSent)]
    assert victim.sent == sum(record.worker == victim.id for record in sent) > 0, "its records up to then are kept"
    survivor = next(worker for worker in journal.load_workers if worker.lost_at is None)
    assert survivor.sent == sum(record.worker == survivor.id for record in sent) > victim.sent


def test_too_few_workers_is_an_error_naming_how_many_came(tmp_path: Path) -> None:
    port = free_port()
    workers = [start_worker(port, tmp_path / "worker.log")]
    options = ["--workers", "2", "--workers-timeout", "2", "--master-bind", f"127.0.0.1:{port}"]
    try:
        finished = chaos_run(FALLBACK, runs_dir=tmp_path / "runs", options=options)
    finally:
        workers[0].kill()
        workers[0].wait(timeout=10)

    assert finished.code == 2, finished.explain()
    assert "only 1 of 2 load workers came within 2 s; the load did not start" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert finished.journal.status == "not_started"
