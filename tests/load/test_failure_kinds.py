"""Every way a request can fail is recorded as its own kind, and as a failure in Locust's count."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.kinds import ErrorKind, LoadEventKind, Outcome, RequestKind
from chaos.load.config import ShapeConfig
from chaos.load.launch import free_port
from chaos.scenario.base import Api
from tests.load.helpers import config, run
from tests.load.locustfiles.fault_plan import STREAMED, WHOLE
from tests.load.target import TargetServer

pytestmark = pytest.mark.e2e

LOCUSTFILE = Path(__file__).parent / "locustfiles" / "every_fault.py"


@pytest.mark.parametrize("api", [Api.OPENAI, Api.ANTHROPIC])
def test_each_failure_is_recorded_as_its_kind(tmp_path: Path, target: TargetServer, api: Api) -> None:
    cfg = config(
        tmp_path,
        target.url,
        api=api,
        locustfile=LOCUSTFILE,
        client_timeout=0.6,
        shape=ShapeConfig(users=1, spawn_rate=10, duration=5.0),
    )

    _, records = run(cfg)

    expected = [(RequestKind.CHAT_STREAM, kind) for _, kind in STREAMED] + [
        (RequestKind.CHAT, kind) for _, kind in WHOLE
    ]
    got = [(r.kind, r.error_kind.value if r.error_kind else None) for r in records.ended]
    assert got == expected
    by_prompt = dict(zip([p for p, _ in STREAMED], records.ended, strict=False))
    assert by_prompt["fault:status:503"].status == 503
    assert by_prompt["fault:stream_error"].status == 200  # an error event inside a 200 stream
    assert by_prompt["fault:hang_stream"].t_first_token is not None  # the first token came, then nothing
    assert by_prompt["fault:disconnect"].t_first_token is not None
    assert by_prompt["fault:hang"].t_headers is None
    hang = by_prompt["fault:hang"]
    assert 0.6 <= hang.t_ended - hang.t_sent < 0.6 * 3
    failed = sum(r.outcome is Outcome.FAILED for r in records.ended)
    summary = records.event(LoadEventKind.SUMMARY).detail
    assert summary["requests"] == len(records.ended)
    assert summary["failures"] == failed


def test_a_refused_connection_is_recorded_as_refused(tmp_path: Path) -> None:
    cfg = config(tmp_path, f"http://127.0.0.1:{free_port()}", shape=ShapeConfig(users=2, spawn_rate=20, duration=1.5))

    _, records = run(cfg)

    assert records.ended
    assert all(r.error_kind is ErrorKind.REFUSED and r.status is None for r in records.ended)
    assert records.event(LoadEventKind.SUMMARY).detail["failures"] == len(records.ended)


def test_requests_still_in_flight_after_the_stop_grace_end_as_timeouts_marked_stopped(
    tmp_path: Path, target: TargetServer
) -> None:
    target.target.settings.ttft = 30.0
    cfg = config(
        tmp_path,
        target.url,
        stop_grace=0.5,
        client_timeout=60.0,
        shape=ShapeConfig(users=3, spawn_rate=30, duration=1.0),
    )

    _, records = run(cfg)

    stop = records.event(LoadEventKind.STOP).t
    assert len(records.ended) == len(records.sent) == 3
    for ended in records.ended:
        assert ended.error_kind is ErrorKind.TIMEOUT
        assert ended.error is not None
        assert "stop grace" in ended.error
        assert ended.stopped  # the stop's doing: the verdict of an aborted run does not blame the target
        assert 0.5 <= ended.t_ended - stop < 0.5 + 1.5
    assert records.event(LoadEventKind.SUMMARY).detail["requests"] == 3
