"""Stopping early with a signal, and losing a worker: nothing recorded is lost, nothing is left unsaid."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from chaos.kinds import LoadEventKind
from chaos.load.config import ShapeConfig
from chaos.load.launch import stop_deadline
from tests.load.helpers import LoadProcess, config, worker_pids
from tests.load.target import TargetServer

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("processes", [1, 2])
def test_sigterm_stops_the_load_gracefully(tmp_path: Path, target: TargetServer, processes: int) -> None:
    target.target.settings.ttft = 0.3  # requests are in flight when the signal comes
    cfg = config(tmp_path, target.url, processes=processes, shape=ShapeConfig(users=4, spawn_rate=40, duration=60))
    load = LoadProcess(cfg)
    try:
        load.wait_for(LoadEventKind.START)
        time.sleep(1.5)
        signalled = time.time()
        load.process.send_signal(signal.SIGTERM)
        assert load.wait(timeout=stop_deadline(cfg)) == 0, load.stderr()
        records = load.records()
    finally:
        load.kill()

    stop = records.event(LoadEventKind.STOP).t
    assert signalled <= stop < signalled + 2.5
    assert {r.id for r in records.sent} == {r.id for r in records.ended}
    assert all(r.error_kind is None for r in records.ended), records.kinds()
    assert all(r.t_sent <= stop for r in records.sent)
    assert records.event(LoadEventKind.SUMMARY).detail["requests"] == len(records.ended)


def test_a_killed_worker_is_reported_and_its_records_kept(tmp_path: Path, target: TargetServer) -> None:
    target.target.settings.ttft = 0.2
    cfg = config(tmp_path, target.url, processes=2, shape=ShapeConfig(users=4, spawn_rate=40, duration=9))
    load = LoadProcess(cfg)
    try:
        load.wait_for(LoadEventKind.START)
        time.sleep(2.0)
        victim = worker_pids(load.process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        assert load.wait() == 0, load.stderr()
        records = load.records()
    finally:
        load.kill()

    lost = records.event(LoadEventKind.WORKER_LOST)
    assert lost.detail["pid"] == victim
    victim_id = lost.worker
    from_victim = [r for r in records.sent if r.worker == victim_id]
    assert from_victim, "the records the worker sent before it died are kept"
    assert all(r.t_sent <= lost.t for r in from_victim)
    in_flight = set(lost.detail["in_flight"])
    assert {r.id for r in from_victim} - {r.id for r in records.ended} == in_flight
    assert {r.id for r in records.sent} - {r.id for r in records.ended} == in_flight
    survivors = {r.worker for r in records.sent if r.t_sent > lost.t}
    assert survivors
    assert victim_id not in survivors
    assert records.has(LoadEventKind.STOP)
    assert records.has(LoadEventKind.SUMMARY)
