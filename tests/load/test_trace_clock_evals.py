"""The timeline of one request, worker clocks, and eval judging: exact numbers, no processes."""

from __future__ import annotations

import pytest

from chaos.kinds import ErrorKind, LoadEventKind, Outcome, RequestKind
from chaos.load.clock import ClockOffset, rebase
from chaos.load.trace import Trace
from chaos.records import LoadEvent


def trace(**kwargs: object) -> Trace:
    return Trace(
        id="r1",
        kind=RequestKind.CHAT_STREAM,
        endpoint="/v1/chat/completions",
        stream=True,
        t_sent=1000.0,
        sent_at=50.0,
        **kwargs,
    )


def test_ttft_is_the_first_non_empty_delta_and_itl_the_gaps_after_it() -> None:
    t = trace()
    t.headers(200, 50.01)
    t.delta("", 50.02)  # the role chunk: not a token
    t.delta("a", 50.30)
    t.delta("b", 50.35)
    t.delta("c", 50.50)
    ended = t.ended(50.6)
    assert ended.t_headers == pytest.approx(1000.01)
    assert ended.t_first_token == pytest.approx(1000.30)
    assert ended.t_ended == pytest.approx(1000.6)
    assert ended.itl_mean == pytest.approx(0.10)
    assert ended.itl_max == pytest.approx(0.15)
    assert (ended.output_tokens, ended.outcome, ended.error_kind) == (3, Outcome.OK, None)
    assert t.answer == "abc"


def test_the_first_failure_is_the_reason_and_reported_usage_wins_over_counted_deltas() -> None:
    t = trace()
    t.delta("a", 50.1)
    t.output_tokens = 12
    t.fail(ErrorKind.RESET, "connection closed mid-answer")
    t.fail(ErrorKind.TRUNCATED, "no terminal event")
    ended = t.ended(50.2)
    assert (ended.outcome, ended.error_kind, ended.error) == (
        Outcome.FAILED,
        ErrorKind.RESET,
        "connection closed mid-answer",
    )
    assert ended.output_tokens == 12
    assert ended.itl_mean is None


def test_the_shortest_round_trip_sets_the_worker_clock_offset() -> None:
    clock = ClockOffset()
    clock.sample(t_sent=100.0, t_master=110.5, t_received=100.4)  # rtt 0.4 -> offset 10.3
    assert clock.offset == pytest.approx(10.3)
    clock.sample(t_sent=101.0, t_master=111.06, t_received=101.02)  # rtt 0.02 -> offset 10.05
    assert clock.offset == pytest.approx(10.05)
    clock.sample(t_sent=102.0, t_master=200.0, t_received=103.0)  # a slower round trip is ignored
    assert clock.offset == pytest.approx(10.05)


def test_rebasing_moves_every_time_of_a_record_and_nothing_else() -> None:
    t = trace(worker="w1")
    t.headers(200, 50.1)
    ended = rebase(t.ended(50.5), 10.0)
    assert (ended.t_sent, ended.t_headers, ended.t_first_token) == (pytest.approx(1010.0), pytest.approx(1010.1), None)
    assert ended.t_ended == pytest.approx(1010.5)
    assert ended.worker == "w1"
    assert rebase(LoadEvent(event=LoadEventKind.STOP, t=5.0), -1.0).t == 4.0
    assert rebase(t.sent(), 0.5).t_sent == 1000.5
