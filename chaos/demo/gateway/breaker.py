"""A circuit breaker per provider: stop calling a provider that keeps failing.

Closed: calls go through; it opens after ``failures`` consecutive failures, or when at
least ``min_calls`` calls in the last ``window`` seconds failed at ``ratio`` or more.
Calls are recorded when they end, but a success only breaks a run of failures if it was
sent after the latest failing call was: a stream that started before an outage and ends
well during it says nothing about the provider now.
Open: no calls for ``cooldown`` seconds. Half-open: one probe call at a time; its
success closes the breaker, its failure opens it again.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Breaker:
    def __init__(
        self,
        *,
        failures: int,
        ratio: float,
        window: float,
        min_calls: int,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._failures_to_open = failures
        self._ratio = ratio
        self._window = window
        self._min_calls = min_calls
        self._cooldown = cooldown
        self._clock = clock
        self._consecutive = 0
        self._calls: deque[tuple[float, bool]] = deque()
        self._opened_at: float | None = None
        self._probing = False
        self._probe_sent = float("inf")
        self._last_failure_sent = float("-inf")

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return State.CLOSED
        if self._clock() - self._opened_at < self._cooldown:
            return State.OPEN
        return State.HALF_OPEN

    def allow(self) -> bool:
        """Whether a call may go now (in half-open, only the one probe)."""
        state = self.state
        if state is State.CLOSED:
            return True
        if state is State.HALF_OPEN and not self._probing:
            self._probing = True
            self._probe_sent = self._clock()
            return True
        return False

    def record(self, ok: bool, *, started: float | None = None) -> None:
        """One call ended; ``started`` is when it was sent (default: now)."""
        now = self._clock()
        sent = now if started is None else started
        if self._opened_at is not None:
            # Only the half-open probe's answer counts; calls sent before it (a stream
            # started before the outage, ending now) say nothing about the provider now.
            if self._probing and sent >= self._probe_sent:
                self._probing = False
                if ok:
                    self._close()
                else:
                    self._opened_at = now
            return
        self._calls.append((now, ok))
        while self._calls and self._calls[0][0] < now - self._window:
            self._calls.popleft()
        if not ok:
            self._consecutive += 1
            self._last_failure_sent = max(self._last_failure_sent, sent)
        elif sent >= self._last_failure_sent:
            self._consecutive = 0
        failed = sum(1 for _, good in self._calls if not good)
        by_ratio = len(self._calls) >= self._min_calls and failed / len(self._calls) >= self._ratio
        if self._consecutive >= self._failures_to_open or by_ratio:
            self._opened_at = now

    def _close(self) -> None:
        self._opened_at = None
        self._consecutive = 0
        self._calls.clear()
        self._last_failure_sent = float("-inf")
