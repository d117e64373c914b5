"""The quality guard: canary evals against every provider, and demotion of a bad one.

Every ``canary_interval`` each provider gets one eval prompt (marked ``x-chaos-canary``
so that its billing is kept apart from users'). A provider whose pass rate over its last
``canary_window`` answers falls below ``canary_threshold`` (with at least
``canary_min_samples`` of them) is demoted to the end of the fallback chain until its
canaries pass again. A canary that errors says nothing about quality and is not counted.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Awaitable, Callable

import structlog

from chaos.demo.gateway.config import ProviderConfig, Tuning
from chaos.demo.gateway.upstream import AttemptFailed
from chaos.evals import EvalCase, EvalSet

Ask = Callable[[ProviderConfig, EvalCase], Awaitable[str]]

log = structlog.get_logger()


class QualityGuard:
    def __init__(self, providers: tuple[ProviderConfig, ...], evals: EvalSet, tuning: Tuning, ask: Ask) -> None:
        self._providers = providers
        self._tuning = tuning
        self._ask = ask
        self._items = itertools.cycle(evals.cases)
        self._results: dict[str, deque[bool]] = {p.name: deque(maxlen=tuning.canary_window) for p in providers}
        self._demoted: set[str] = set()

    def demoted(self, provider: str) -> bool:
        return provider in self._demoted

    def pass_rate(self, provider: str) -> float | None:
        results = self._results[provider]
        return sum(results) / len(results) if results else None

    def record(self, provider: str, passed: bool) -> None:
        results = self._results[provider]
        results.append(passed)
        if len(results) < self._tuning.canary_min_samples:
            return
        rate = sum(results) / len(results)
        if rate < self._tuning.canary_threshold and provider not in self._demoted:
            self._demoted.add(provider)
            log.warning("provider demoted", provider=provider, canary_pass_rate=round(rate, 3))
        elif rate >= self._tuning.canary_threshold and provider in self._demoted:
            self._demoted.discard(provider)
            log.info("provider restored", provider=provider, canary_pass_rate=round(rate, 3))

    async def run(self) -> None:
        """Send canaries forever (until cancelled)."""
        while True:
            await asyncio.gather(*(self._probe(provider) for provider in self._providers))
            await asyncio.sleep(self._tuning.canary_interval)

    async def _probe(self, provider: ProviderConfig) -> None:
        item = next(self._items)
        try:
            answer = await asyncio.wait_for(self._ask(provider, item), self._tuning.total_timeout)
        except (AttemptFailed, TimeoutError):
            return
        self.record(provider.name, item.judge(answer))
