"""The gateway's resilience parts on their own: breaker, backoff, cache, quality guard."""

import asyncio
import random

import pytest

from chaos.demo.gateway.backoff import retry_delay
from chaos.demo.gateway.breaker import Breaker, State
from chaos.demo.gateway.cache import AnswerCache, cache_key
from chaos.demo.gateway.config import ProviderConfig, Tuning, providers_from_env
from chaos.demo.gateway.quality import QualityGuard
from chaos.errors import EnvironmentProblem
from chaos.evals import EvalCase, EvalSet


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, **overrides: float) -> Breaker:
    settings = {"failures": 3, "ratio": 0.5, "window": 10.0, "min_calls": 6, "cooldown": 5.0} | overrides
    return Breaker(**settings, clock=clock)  # type: ignore[arg-type]


def test_breaker_opens_on_consecutive_failures_and_probes_after_cooldown():
    clock = Clock()
    b = breaker(clock)
    for _ in range(2):
        b.record(False)
    assert b.state is State.CLOSED
    b.record(False)
    assert b.state is State.OPEN
    assert not b.allow()
    clock.now = 5.0
    assert b.state is State.HALF_OPEN
    assert b.allow()  # the one probe
    assert not b.allow()  # nobody else while it is out
    b.record(False)
    assert b.state is State.OPEN
    clock.now = 10.0
    assert b.allow()
    b.record(True)
    assert b.state is State.CLOSED
    assert b.allow()


def test_breaker_opens_on_failure_ratio_within_the_window():
    clock = Clock()
    b = breaker(clock, failures=100)
    for ok in (True, False, True, False, True):
        b.record(ok)
    assert b.state is State.CLOSED  # 5 calls < min_calls
    b.record(False)
    assert b.state is State.OPEN  # 3 of 6 failed


def test_breaker_forgets_calls_outside_its_window():
    clock = Clock()
    b = breaker(clock, failures=100)
    for _ in range(5):
        b.record(False)
    clock.now = 20.0
    b.record(False)
    assert b.state is State.CLOSED


def test_backoff_is_jittered_never_near_zero_capped_and_honours_retry_after():
    rng = random.Random(1)
    first = [retry_delay(0, base=0.25, cap=1.0, retry_after=None, rng=rng) for _ in range(200)]
    assert min(first) >= 0.125  # half of base: never read as an immediate retry
    assert max(first) <= 0.25
    assert len({round(d, 3) for d in first}) > 50  # spread out, not a constant interval
    later = [retry_delay(n, base=0.25, cap=1.0, retry_after=None, rng=rng) for n in range(2, 8) for _ in range(50)]
    assert all(0.5 <= d <= 1.0 for d in later)
    assert retry_delay(0, base=0.25, cap=1.0, retry_after=1.5, rng=rng) == 1.5


def test_cache_is_exact_match_and_bounded():
    cache = AnswerCache(2)
    a = cache_key([{"role": "user", "content": "a"}], 10)
    assert cache_key([{"role": "user", "content": "a"}], 10) == a
    assert cache_key([{"role": "user", "content": "a"}], 11) != a
    cache.put(a, "A")
    cache.put("b", "B")
    assert cache.get(a) == "A"  # now most recent
    cache.put("c", "C")
    assert (cache.get("b"), cache.get(a), cache.get("c")) == (None, "A", "C")


def provider(name: str) -> ProviderConfig:
    return ProviderConfig(name, "openai", "http://127.0.0.1:1/v1", "m", "k")


def test_quality_guard_demotes_below_threshold_and_restores():
    evals = EvalSet([EvalCase(id="a", prompt="p", expected="e", match="exact")])

    async def never_called(p, item):  # pragma: no cover - record() is driven directly here
        raise AssertionError

    guard = QualityGuard(
        (provider("primary"),),
        evals,
        Tuning(canary_window=5, canary_min_samples=5, canary_threshold=0.7, canary_restore=7),
        never_called,
    )
    for passed in (True, True, False, False):
        guard.record("primary", passed)
    assert not guard.demoted("primary")  # 4 samples < 5
    guard.record("primary", False)
    assert guard.demoted("primary")  # 2 of 5 passed
    for _ in range(4):
        guard.record("primary", True)
    assert guard.demoted("primary")  # 4 of 5 passed: above the threshold, not yet a clean run
    assert guard.pass_rate("primary") == pytest.approx(0.8)
    for _ in range(2):
        guard.record("primary", True)
    assert guard.demoted("primary")  # 6 in a row
    guard.record("primary", True)
    assert not guard.demoted("primary")  # 7 in a row
    guard.record("primary", False)
    assert not guard.demoted("primary")  # 4 of the last 5


def test_quality_guard_canaries_keep_their_beat_when_answers_are_slow():
    evals = EvalSet([EvalCase(id="a", prompt="p", expected="e", match="exact")])
    started: list[float] = []

    async def slow(p, item):
        started.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0.5)  # five intervals
        return "e"

    async def scenario() -> QualityGuard:
        guard = QualityGuard((provider("primary"),), evals, Tuning(canary_interval=0.1), slow)
        runner = asyncio.create_task(guard.run())
        await asyncio.sleep(0.75)
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        return guard

    guard = asyncio.run(scenario())
    assert len(started) >= 4  # about 8 beats; waiting for each answer would have started 2
    assert guard.pass_rate("primary") == 1.0  # answers that came in were judged


def test_providers_from_the_environment_contract():
    environ = {
        "CHAOS_PROVIDERS": "primary,eu-backup",
        "CHAOS_PROVIDER_PRIMARY_URL": "http://127.0.0.1:1",
        "CHAOS_PROVIDER_PRIMARY_API": "anthropic",
        "CHAOS_PROVIDER_PRIMARY_MODEL": "claude",
        "CHAOS_PROVIDER_PRIMARY_PRICE_INPUT": "15",
        "CHAOS_PROVIDER_EU_BACKUP_URL": "http://127.0.0.1:2/v1",
        "CHAOS_PROVIDER_EU_BACKUP_API": "openai",
        "CHAOS_PROVIDER_EU_BACKUP_MODEL": "gpt",
    }
    primary, backup = providers_from_env(environ)
    assert (primary.name, primary.api, primary.price_input, primary.api_key) == ("primary", "anthropic", 15.0, "dummy")
    assert (backup.name, backup.url) == ("eu-backup", "http://127.0.0.1:2/v1")
    with pytest.raises(EnvironmentProblem, match="CHAOS_PROVIDER_EU_BACKUP_MODEL"):
        providers_from_env({k: v for k, v in environ.items() if k != "CHAOS_PROVIDER_EU_BACKUP_MODEL"})
    with pytest.raises(EnvironmentProblem, match="CHAOS_PROVIDERS is not set"):
        providers_from_env({})


def test_breaker_ignores_successes_sent_before_the_failures():
    clock = Clock()
    b = breaker(clock)
    clock.now = 10.0
    b.record(False, started=10.0)
    b.record(False, started=10.1)
    b.record(True, started=9.0)  # a long stream sent before the outage, ending now
    b.record(False, started=10.2)
    assert b.state is State.OPEN
    b2 = breaker(clock)
    b2.record(False, started=10.0)
    b2.record(False, started=10.1)
    b2.record(True, started=10.15)  # sent after a failure: the provider answers again
    b2.record(False, started=10.2)
    b2.record(False, started=10.3)
    assert b2.state is State.CLOSED


def test_only_the_probe_closes_an_open_breaker():
    clock = Clock()
    b = breaker(clock)
    for _ in range(3):
        b.record(False, started=0.0)
    assert b.state is State.OPEN
    clock.now = 1.0
    b.record(True, started=-5.0)  # a stream from before the outage ends well: not a probe
    assert b.state is State.OPEN
    clock.now = 5.0
    assert b.allow()  # the probe, sent at 5.0
    b.record(True, started=4.0)  # another old call: still not the probe
    assert b.state is State.HALF_OPEN
    b.record(True, started=5.0)
    assert b.state is State.CLOSED
