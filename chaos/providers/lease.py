"""The run lease: one run at a time owns the environment, and says so with heartbeats.

A run takes the lease (``PUT /lease``) and renews it before ``ttl_s`` runs out; the same
call updates the list of proxies the run disabled, so that a janitor can find them if
the run dies. Another run is refused while the lease is held and unexpired.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chaos.providers.admin_models import LeaseView


class LeaseConflict(Exception):
    def __init__(self, held: LeaseView) -> None:
        super().__init__(f"the environment is leased by run {held.run} until {held.expires_at:.0f}")
        self.held = held


class Lease:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._held: LeaseView | None = None

    def current(self) -> LeaseView | None:
        held = self._held
        if held is not None and held.expires_at <= self._clock():
            self._held = held = None
        return held

    def run_id(self) -> str | None:
        held = self.current()
        return held.run if held is not None else None

    def take(self, run: str, ttl_s: float, proxies: list[str]) -> LeaseView:
        """Take or renew; raises ``LeaseConflict`` when another run holds it."""
        held = self.current()
        if held is not None and held.run != run:
            raise LeaseConflict(held)
        now = self._clock()
        self._held = LeaseView(
            run=run,
            ttl_s=ttl_s,
            proxies=list(proxies),
            acquired_at=held.acquired_at if held is not None else now,
            renewed_at=now,
            expires_at=now + ttl_s,
        )
        return self._held

    def release(self, run: str) -> LeaseView | None:
        """Release ``run``'s lease (None if nobody held it); raises ``LeaseConflict`` for another run's."""
        held = self.current()
        if held is not None and held.run != run:
            raise LeaseConflict(held)
        self._held = None
        return held
