"""TTFT, time to headers and ITL, measured against delays the target is known to inject."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from chaos.kinds import RequestKind
from chaos.load.config import ShapeConfig
from chaos.scenario.base import Api
from tests.load.helpers import config, run
from tests.load.target import TargetServer

pytestmark = pytest.mark.e2e

TTFT = 0.15  # from the response headers to the first text delta
GAP = 0.02  # between text deltas


@pytest.mark.parametrize("api", [Api.OPENAI, Api.ANTHROPIC])
def test_ttft_is_never_below_the_injected_delay_and_within_twice_it(
    tmp_path: Path, target: TargetServer, api: Api
) -> None:
    target.target.settings.ttft = TTFT
    target.target.settings.token_gap = GAP
    cfg = config(
        tmp_path,
        target.url,
        api=api,
        mix={"chat_stream": 1, "chat": 0, "eval": 0},
        shape=ShapeConfig(users=3, spawn_rate=30, duration=2.5),
    )

    _, records = run(cfg)

    streams = [r for r in records.ended if r.error_kind is None]
    assert len(streams) >= 5
    assert all(r.kind is RequestKind.CHAT_STREAM for r in streams)
    for r in streams:
        assert r.t_headers is not None
        assert r.t_first_token is not None
        ttft = r.t_first_token - r.t_sent
        assert TTFT <= ttft < 2 * TTFT
        # the headers come at once (with an empty role delta), the first token TTFT later
        assert r.t_headers - r.t_sent < TTFT
        assert r.t_first_token - r.t_headers > TTFT / 2
        assert r.itl_mean is not None
        assert r.itl_max is not None
        assert r.itl_max >= r.itl_mean
        assert r.output_tokens == 5  # "a few words of answer", as the usage reports it
    # one late first token shortens that request's gaps; across requests they are the injected gap
    assert 0.75 * GAP <= statistics.median(r.itl_mean or 0 for r in streams) < 3 * GAP
