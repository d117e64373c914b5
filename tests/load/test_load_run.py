"""A real load process against the tiny target: every request recorded, once, and counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.kinds import LoadEventKind, Outcome, RequestKind
from chaos.load.config import ShapeConfig
from chaos.scenario.base import Api
from chaos.scenario.traffic import Shape, Stage
from tests.load.helpers import ROOT, LoadProcess, config, run
from tests.load.target import TargetServer

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("api", "processes"), [(Api.OPENAI, 1), (Api.ANTHROPIC, 2), (Api.OPENAI, 2)])
def test_every_request_is_recorded_once_and_matches_locusts_count(
    tmp_path: Path, target: TargetServer, monkeypatch: pytest.MonkeyPatch, api: Api, processes: int
) -> None:
    target.target.settings.require_auth = "Bearer s3cret"
    monkeypatch.setenv("TEST_TARGET_KEY", "s3cret")
    cfg = config(
        tmp_path, target.url, api=api, processes=processes, headers={"Authorization": "Bearer ${TEST_TARGET_KEY}"}
    )

    load, records = run(cfg)

    summary = records.event(LoadEventKind.SUMMARY).detail
    assert summary["requests"] > 20
    assert len(records.ended) == len(records.sent) == summary["requests"] == sum(target.target.received.values())
    assert {r.id for r in records.sent} == {r.id for r in records.ended}
    assert summary["failures"] == 0
    assert all(r.outcome is Outcome.OK and r.status == 200 for r in records.ended), records.kinds()
    assert sum(entry["num_requests"] for entry in load.locust_stats()) == summary["requests"]
    kinds = {r.kind for r in records.ended}
    assert kinds == {RequestKind.CHAT, RequestKind.CHAT_STREAM, RequestKind.EVAL}
    evals = [r for r in records.ended if r.kind is RequestKind.EVAL]
    assert all(r.eval_id and r.eval_pass for r in evals)
    assert all(r.served_by == "primary" for r in records.ended)
    if processes > 1:
        assert len({r.worker for r in records.ended}) == processes
    # t = 0 is START; no request starts after STOP; the secret never reaches a file
    start, stop = records.event(LoadEventKind.START).t, records.event(LoadEventKind.STOP).t
    assert all(start <= r.t_sent <= stop for r in records.sent)
    assert 2.5 <= stop - start < 2.5 + 1.5
    assert "s3cret" not in cfg.records.read_text() + load.command.config_file.read_text()


def test_eval_answers_are_judged_against_the_expected_value(tmp_path: Path, target: TargetServer) -> None:
    cfg = config(tmp_path, target.url, headers={"x-test-fault": "wrong"}, mix={"chat_stream": 0, "chat": 0, "eval": 1})

    _, records = run(cfg)

    assert records.ended
    assert all(r.kind is RequestKind.EVAL and r.eval_pass is False and r.outcome is Outcome.OK for r in records.ended)


def test_degraded_marker_and_served_by_from_json_are_recorded(tmp_path: Path, target: TargetServer) -> None:
    target.target.settings.degraded = "cached"
    target.target.settings.model = "claude-sonnet"
    served_by = {"source": "json", "name": "model", "providers": {"claude-sonnet": "secondary"}}
    cfg = config(tmp_path, target.url, api=Api.ANTHROPIC, served_by=served_by)

    _, records = run(cfg)

    assert records.ended
    assert all(r.degraded == "cached" and r.served_by == "secondary" for r in records.ended)


def test_stages_shape_the_number_of_users_in_flight(tmp_path: Path, target: TargetServer) -> None:
    target.target.settings.ttft = 0.2  # long enough for every user to be seen in flight
    shape = ShapeConfig(
        users=1,
        spawn_rate=50,
        duration=4.0,
        shape=Shape(stages=[Stage(until=2.0, users=1, spawn_rate=50), Stage(until=4.0, users=4, spawn_rate=50)]),
    )
    cfg = config(tmp_path, target.url, shape=shape, locustfile=ROOT / "loadtests" / "chat.py")

    _, records = run(cfg)

    start = records.event(LoadEventKind.START).t

    def most_in_flight(begin: float, end: float) -> int:
        moments = [r.t_sent for r in records.ended if begin <= r.t_sent - start < end]
        return max((sum(r.t_sent <= t < r.t_ended for r in records.ended) for t in moments), default=0)

    assert most_in_flight(0.3, 1.8) == 1
    assert most_in_flight(3.0, 4.0) == 4


def test_a_load_whose_header_variable_is_missing_exits_with_the_reason(tmp_path: Path, target: TargetServer) -> None:
    cfg = config(tmp_path, target.url, headers={"Authorization": "Bearer ${CHAOS_TEST_SURELY_UNSET}"})
    load = LoadProcess(cfg)
    try:
        assert load.wait(timeout=30) != 0
    finally:
        load.kill()
    assert "environment variable CHAOS_TEST_SURELY_UNSET is not set" in load.stderr()
    assert sum(target.target.received.values()) == 0
