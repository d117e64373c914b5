"""What a scenario's load should produce, estimated before anything runs.

A closed-loop user sends a request, waits for its answer, thinks (``load.wait``), and
sends the next; so a user makes about 1 / (response time + mean wait) requests a second.
Response time is the healthy primary's: TTFT plus ``max_tokens`` at its token pace.
"""

from __future__ import annotations

from chaos.kinds import RequestKind
from chaos.scenario.model import Load, Provider, Scenario

_STEP = 0.25  # integration step (s) of the users-over-time curve


def response_time(provider: Provider, max_tokens: int) -> float:
    latency = provider.latency
    streaming = max_tokens / latency.tokens_per_s if latency.tokens_per_s > 0 else 0.0
    return latency.ttft + streaming


def expected_p99(scenario: Scenario) -> float:
    """A generous p99: the slowest provider, at the top of its jitter."""
    slowest = max(
        response_time(provider, scenario.load.max_tokens) + provider.latency.jitter
        for provider in scenario.providers.values()
    )
    return slowest


def stop_grace(scenario: Scenario) -> float:
    """The stop grace: as written, or 1.5x the expected p99 (at least 1 s, at most the client timeout)."""
    load = scenario.load
    if load.stop_grace is not None:
        return load.stop_grace
    return min(load.client_timeout, max(1.0, 1.5 * expected_p99(scenario)))


def primary(scenario: Scenario) -> Provider:
    return next(iter(scenario.providers.values()))


def cycle_time(scenario: Scenario) -> float:
    """Seconds one user takes per request: the healthy response plus the mean wait."""
    load = scenario.load
    return response_time(primary(scenario), load.max_tokens) + (load.wait.min + load.wait.max) / 2


def users_at(load: Load, offset: float) -> float:
    """Users running at ``offset``, ramping at the spawn rate towards each target."""
    if load.shape is None:
        return min(float(load.users), load.spawn_rate * offset)
    if load.shape.bursts is not None:
        bursts = load.shape.bursts
        base = min(float(load.users), load.spawn_rate * offset)
        return float(bursts.users) if bursts.active(offset) else base
    stages = load.shape.stages or []
    users, previous_end = 0.0, 0.0
    for stage in stages:
        ramp_end = previous_end + abs(stage.users - users) / stage.spawn_rate
        if offset < stage.until:
            if offset >= ramp_end:
                return float(stage.users)
            direction = 1 if stage.users >= users else -1
            return users + direction * stage.spawn_rate * (offset - previous_end)
        users, previous_end = float(stage.users), stage.until
    return 0.0


def requests_between(scenario: Scenario, start: float, end: float) -> float:
    """Expected requests started in ``[start, end)``."""
    cycle = cycle_time(scenario)
    if cycle <= 0:
        return 0.0
    total, offset = 0.0, start
    while offset < end:
        step = min(_STEP, end - offset)
        total += users_at(scenario.load, offset + step / 2) * step / cycle
        offset += step
    return total


def requests_of_kind(scenario: Scenario, requests: float, kind: RequestKind) -> float:
    return requests * scenario.load.mix.share(kind)
