"""The fallback chain: which provider answers a chat, with retries, timeouts and breakers.

``route`` walks the providers in order (demoted ones last, those that asked to be left
alone by Retry-After skipped until then), retrying the same provider only for retryable
failures, with backoff that honours retry-after, and moves on when a breaker is open or
the provider asks for a longer wait than is worth it. It returns as
soon as one provider's first token arrived (within the first-token timeout), or the
degraded answer when every provider failed: the cached one, else a canned one.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Collection
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Literal

from opentelemetry.trace import Span

from chaos.demo.gateway.backoff import retry_delay
from chaos.demo.gateway.breaker import Breaker
from chaos.demo.gateway.cache import AnswerCache, cache_key
from chaos.demo.gateway.canary import CanaryRouting
from chaos.demo.gateway.config import Break, GatewayConfig, ProviderConfig
from chaos.demo.gateway.quality import QualityGuard
from chaos.demo.gateway.telemetry import Tracing, answered, ended, failed
from chaos.demo.gateway.upstream import AttemptFailed, Chat, Stream, Upstream

CANNED_ANSWER = "Sorry, the assistant is busy right now. Please try again in a moment."


@dataclass
class Attempt:
    provider: str
    outcome: str  # ok, or why it failed


@dataclass
class Served:
    """A provider's answer, open: its first delta arrived; the rest is still streaming."""

    stream: Stream
    first: str
    deltas: AsyncIterator[str]  # where the first delta came from; the rest follow
    exits: AsyncExitStack
    breaker: Breaker
    attempts: list[Attempt]
    deadline: float | None
    stall: float | None  # the longest wait for the next token
    started: float  # monotonic time the attempt was sent
    span: Span | None = None  # the call's client span, ended with the call
    finished: bool = field(default=False)

    @property
    def provider(self) -> ProviderConfig:
        return self.stream.provider

    async def finish(self, ok: bool) -> None:
        """Close the upstream stream and tell the breaker how the attempt ended."""
        if not self.finished:
            self.finished = True
            self.breaker.record(ok, started=self.started)
            if not ok:
                failed(self.span, "failed mid-answer")
            ended(self.span, self.stream.usage.input_tokens, self.stream.usage.output_tokens)
            await self.exits.aclose()


@dataclass(frozen=True)
class Degraded:
    kind: Literal["cached", "canned"]
    text: str
    attempts: list[Attempt]


@dataclass(frozen=True)
class Unavailable:
    attempts: list[Attempt]


class Router:
    def __init__(
        self,
        config: GatewayConfig,
        upstream: Upstream,
        quality: QualityGuard | None,
        canary: CanaryRouting,
        tracing: Tracing,
    ) -> None:
        self.config = config
        self.canary = canary
        self.upstream = upstream
        self.quality = quality
        self.tracing = tracing
        tuning = config.tuning
        self.breakers = {
            p.name: Breaker(
                failures=tuning.breaker_failures,
                ratio=tuning.breaker_ratio,
                window=tuning.breaker_window,
                min_calls=tuning.breaker_min_calls,
                cooldown=tuning.breaker_cooldown,
            )
            for p in config.providers
        }
        self.cache = AnswerCache(tuning.cache_size)
        self.abandoned: set[str] = set()  # only with --break recovery
        self.held_until: dict[str, float] = {}  # a provider's Retry-After, honoured for every request
        self._rng = random.Random()

    def order(self) -> list[ProviderConfig]:
        """Providers to try, in order: the chain, demoted ones last."""
        providers = list(self.config.providers)
        if not self.config.works(Break.FALLBACK):
            return providers[:1]
        if not self.config.works(Break.RECOVERY) and len(self.abandoned) < len(providers):
            providers = [p for p in providers if p.name not in self.abandoned]
        now = time.monotonic()
        ready = [p for p in providers if self.held_until.get(p.name, 0.0) <= now]
        providers = ready or providers
        quality = self.quality
        if quality is not None:
            providers.sort(key=lambda p: quality.demoted(p.name))
        return providers

    async def route(self, chat: Chat, *, skip: Collection[str] = ()) -> Served | Degraded | Unavailable:
        """The first provider that answers, else a cached or canned answer; ``skip`` names
        providers that already failed this chat mid-answer (moving on beats calling them again
        at once)."""
        attempts: list[Attempt] = []
        for provider in [p for p in self.canary.chain(self.order()) if p.name not in skip]:
            served = await self._try_provider(provider, chat, attempts)
            if served is not None:
                if not self.config.works(Break.RECOVERY):
                    self.abandoned.update(a.provider for a in attempts if a.outcome != "ok")
                return served
        if not self.config.works(Break.CACHE):
            return Unavailable(attempts)
        cached = self.cache.get(cache_key(chat.messages, chat.max_tokens))
        if cached is not None:
            return Degraded("cached", cached, attempts)
        return Degraded("canned", CANNED_ANSWER, attempts)

    def remember(self, chat: Chat, answer: str) -> None:
        if self.config.works(Break.CACHE):
            self.cache.put(cache_key(chat.messages, chat.max_tokens), answer)

    async def _try_provider(self, provider: ProviderConfig, chat: Chat, attempts: list[Attempt]) -> Served | None:
        tuning, works = self.config.tuning, self.config.works
        breaker = self.breakers[provider.name]
        retries = tuning.storm_retries if not works(Break.RETRY_STORM) else tuning.retries
        for attempt in range(retries + 1):
            if works(Break.BREAKER) and not breaker.allow():
                attempts.append(Attempt(provider.name, "breaker open"))
                return None
            started = time.monotonic()
            try:
                served = await self._attempt(provider, chat, breaker, attempts, retry=attempt > 0)
            except asyncio.CancelledError:
                breaker.record(False, started=started)  # frees a half-open probe slot the attempt held
                raise
            except AttemptFailed as failure:
                if failure.status != 429:  # a rate limit says "not now", not "broken"
                    breaker.record(False, started=started)
                if failure.retry_after is not None and works(Break.RETRY_AFTER):
                    self.held_until[provider.name] = time.monotonic() + failure.retry_after
                attempts.append(Attempt(provider.name, failure.reason))
                if not failure.retryable or attempt == retries:
                    return None
                wait = self._wait(attempt, failure.retry_after)
                if wait is None:
                    return None
                await asyncio.sleep(wait)
                continue
            return served
        return None

    def _wait(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds before the next retry, or None to move on to the next provider."""
        tuning, works = self.config.tuning, self.config.works
        if not works(Break.RETRY_STORM):
            return 0.0
        honoured = retry_after if works(Break.RETRY_AFTER) else None
        if honoured is not None and honoured > tuning.max_retry_wait:
            return None
        return retry_delay(
            attempt, base=tuning.backoff_base, cap=tuning.backoff_max, retry_after=honoured, rng=self._rng
        )

    async def _attempt(
        self, provider: ProviderConfig, chat: Chat, breaker: Breaker, attempts: list[Attempt], *, retry: bool
    ) -> Served:
        timed = self.config.works(Break.TIMEOUTS)
        tuning = self.config.tuning
        started = time.monotonic()
        deadline = started + tuning.total_timeout if timed else None
        span, trace_headers = self.tracing.call(
            provider, chat.max_tokens, recorded=not retry or self.config.works(Break.TRACING)
        )
        exits = AsyncExitStack()
        try:
            # From sending the request to the first token: a provider that hangs before
            # its headers is as slow as one that hangs after them.
            async with asyncio.timeout(tuning.first_token_timeout if timed else None):
                stream = await exits.enter_async_context(self.upstream.open(provider, chat, trace_headers))
                deltas = stream.deltas()
                try:
                    first = await anext(deltas)
                except StopAsyncIteration:
                    first = ""  # a complete answer with no text (e.g. max_tokens reached at once)
        except TimeoutError:
            await exits.aclose()
            reason = f"no first token within {tuning.first_token_timeout:g} s"
            failed(span, reason)
            ended(span, 0, 0)
            raise AttemptFailed(reason) from None
        except BaseException as exc:
            await exits.aclose()
            failed(span, exc.reason if isinstance(exc, AttemptFailed) else type(exc).__name__)
            ended(span, 0, 0)
            raise
        answered(span, stream.model or provider.model)
        attempts.append(Attempt(provider.name, "ok"))
        stall = tuning.stall_timeout if timed else None
        return Served(stream, first, deltas, exits, breaker, attempts, deadline, stall, started, span)
