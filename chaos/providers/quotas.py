"""Requests and tokens per minute, counted the way a provider's rate limiter counts them.

Each provider keeps one sliding window of the last 60 seconds in one-second buckets (a
provider's standing quota may count over a shorter span: ``rpm`` and ``tpm`` then admit
their share of a minute in any such span, so that a quota binds within seconds). Every
admitted request counts once, with its input tokens plus the output tokens it may produce
(``max_tokens``), as OpenAI's and Anthropic's limiters estimate a request at admission.
The window feeds the ``x-ratelimit-*`` / ``anthropic-ratelimit-*`` headers of every answer;
under a ``rate_limit`` fault with ``rpm`` / ``tpm`` it also refuses requests over the
quota, and the retry-after it gives is the real wait: the time until the oldest buckets
leave the window and free enough room, after which the same request is admitted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_S = 60
STANDING_QUOTA = "quota"  # the ledger's fault for a call the provider's standing quota refused

# Limits shown in headers when no quota fault is active: high enough that no load this
# project generates comes near them (a gateway reading the headers sees no pressure).
DEFAULT_RPM = 1_000_000
DEFAULT_TPM = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Usage:
    """The window's state as the rate-limit headers report it."""

    rpm: int
    tpm: int
    requests: int
    tokens: int
    reset_requests_s: float
    reset_tokens_s: float

    @property
    def remaining_requests(self) -> int:
        return max(0, self.rpm - self.requests)

    @property
    def remaining_tokens(self) -> int:
        return max(0, self.tpm - self.tokens)


class Window:
    """The last ``WINDOW_S`` seconds of admitted requests and tokens, in one-second buckets."""

    def __init__(self, clock: Callable[[], float], span: int = WINDOW_S) -> None:
        self._clock = clock
        self.span = span
        self._scale = span / WINDOW_S  # a per-minute limit's share in one span
        self.clear()

    def clear(self) -> None:
        self._requests = [0] * self.span
        self._tokens = [0] * self.span
        self._seconds = [0] * self.span  # which whole second each bucket holds
        self._current = -1
        self.requests = 0
        self.tokens = 0

    def admit(self, tokens: int, rpm: int | None, tpm: int | None) -> float:
        """Count a request in, or return the seconds to wait (> 0) if a quota refuses it."""
        now = self._clock()
        self._expire(int(now))
        wait = 0.0
        if rpm is not None and self.requests + 1 > rpm * self._scale:
            wait = self._wait(now, self._requests, math.ceil(self.requests + 1 - rpm * self._scale))
        if tpm is not None and self.tokens + tokens > tpm * self._scale:
            wait = max(wait, self._wait(now, self._tokens, math.ceil(self.tokens + tokens - tpm * self._scale)))
        if wait > 0:
            return wait
        slot = int(now) % self.span
        self._requests[slot] += 1
        self._tokens[slot] += tokens
        self.requests += 1
        self.tokens += tokens
        return 0.0

    def usage(self, rpm: int | None, tpm: int | None) -> Usage:
        now = self._clock()
        self._expire(int(now))
        rpm = rpm or DEFAULT_RPM
        tpm = tpm or DEFAULT_TPM
        return Usage(
            rpm=rpm,
            tpm=tpm,
            requests=round(self.requests / self._scale),  # as a minute's count, as the headers say
            tokens=round(self.tokens / self._scale),
            reset_requests_s=self._wait(now, self._requests, 1) if self.requests >= rpm * self._scale else 0.0,
            reset_tokens_s=self._wait(now, self._tokens, 1) if self.tokens >= tpm * self._scale else 0.0,
        )

    def _expire(self, second: int) -> None:
        if second == self._current:
            return
        self._current = second
        for slot in range(self.span):
            if self._seconds[slot] <= second - self.span and (self._requests[slot] or self._tokens[slot]):
                self.requests -= self._requests[slot]
                self.tokens -= self._tokens[slot]
                self._requests[slot] = 0
                self._tokens[slot] = 0
        self._seconds[second % self.span] = second

    def _wait(self, now: float, counts: list[int], needed: int) -> float:
        """Seconds until buckets holding at least ``needed`` leave the window."""
        freed = 0
        for second in sorted(s for s, n in zip(self._seconds, counts, strict=True) if n > 0):
            freed += counts[second % self.span]
            if freed >= needed:
                return max(second + self.span - now, 0.001)
        return math.inf
