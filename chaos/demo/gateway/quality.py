"""The quality guard: canary evals against every provider, and demotion of a bad one.

Every ``canary_interval`` each provider gets one eval prompt (marked ``x-chaos-canary``
so that its billing is kept apart from users'), on a fixed beat: a slow answer does not
delay the next canary, so detection takes a few intervals, not a few answers. A provider
whose pass rate over its last ``canary_window`` answers falls below ``canary_threshold``
(with at least ``canary_min_samples`` of them) is demoted to the end of the fallback
chain until its last ``canary_restore`` canaries all pass: a model at 40% passes the
threshold by luck every few dozen canaries (and six in a row once in 250), and would
flap back in front of users each time. A canary that errors says nothing about quality
and is not counted.
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
        kept = max(tuning.canary_window, tuning.canary_restore)
        self._results: dict[str, deque[bool]] = {p.name: deque(maxlen=kept) for p in providers}
        self._demoted: set[str] = set()

    def demoted(self, provider: str) -> bool:
        return provider in self._demoted

    def pass_rate(self, provider: str) -> float | None:
        """Over the last ``canary_window`` canaries."""
        window = self._last(provider, self._tuning.canary_window)
        return sum(window) / len(window) if window else None

    def record(self, provider: str, passed: bool) -> None:
        self._results[provider].append(passed)
        window = self._last(provider, self._tuning.canary_window)
        if len(window) < self._tuning.canary_min_samples:
            return
        rate = sum(window) / len(window)
        if rate < self._tuning.canary_threshold and provider not in self._demoted:
            self._demoted.add(provider)
            log.warning("provider demoted", provider=provider, canary_pass_rate=round(rate, 3))
        elif provider in self._demoted:
            clean = self._last(provider, self._tuning.canary_restore)
            if len(clean) == self._tuning.canary_restore and all(clean):
                self._demoted.discard(provider)
                log.info("provider restored", provider=provider, clean_canaries=len(clean))

    def _last(self, provider: str, count: int) -> list[bool]:
        results = self._results[provider]
        return list(results)[-count:]

    async def run(self) -> None:
        """Send canaries forever (until cancelled), each answer judged as it comes."""
        probes: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        beat = loop.time()
        try:
            while True:
                for provider in self._providers:
                    probe = asyncio.create_task(self._probe(provider))
                    probes.add(probe)
                    probe.add_done_callback(probes.discard)
                beat += self._tuning.canary_interval
                await asyncio.sleep(max(0.0, beat - loop.time()))
        finally:
            for probe in probes:
                probe.cancel()

    async def _probe(self, provider: ProviderConfig) -> None:
        item = next(self._items)
        try:
            answer = await asyncio.wait_for(self._ask(provider, item), self._tuning.total_timeout)
        except (AttemptFailed, TimeoutError):
            return
        self.record(provider.name, item.judge(answer))
