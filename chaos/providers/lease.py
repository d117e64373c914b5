"""The run lease: one run at a time owns the environment, and says so with heartbeats.

A run takes the lease (``PUT /lease``) and gets a secret token that only it is told;
it renews the lease with that token before ``ttl_s`` runs out, and the same call updates
the list of proxies the run disabled, so that a janitor can find them if the run dies.
Another run is refused while the lease is held and unexpired, and only the token renews
or releases it: the run id, which anyone may read, does not. ``breaks`` (``chaos reset
--force``) is the one way to end a live lease without its token.

A lease that lapses (its run died, or lost touch) is kept among the **lapsed** until the
janitor, which reverts what the run left (the proxies and containers the lease lists, the
toxics and behaviours named after the run), forgets it. A released or broken lease is
not: its run, or whoever broke it, cleaned up.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable

from chaos.providers.admin_models import LeaseGrant, LeaseView

LAPSED_KEPT = 64  # lapsed leases nobody has cleared: the oldest go first


class LeaseConflict(Exception):
    """Someone else holds the lease (or the token given is not the holder's)."""

    def __init__(self, held: LeaseView) -> None:
        super().__init__(f"the environment is leased by run {held.run} until {held.expires_at:.0f}")
        self.held = held


class LeaseGone(Exception):
    """A renewal came for a lease that is no longer held: it lapsed, or was broken."""


class Lease:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._held: LeaseView | None = None
        self._token = ""
        self._lapsed: dict[str, LeaseView] = {}  # run -> its lease as it lapsed

    def current(self) -> LeaseView | None:
        held = self._held
        if held is not None and held.expires_at <= self._clock():
            self._lapsed.pop(held.run, None)
            self._lapsed[held.run] = held
            while len(self._lapsed) > LAPSED_KEPT:
                del self._lapsed[next(iter(self._lapsed))]
            self._held = held = None
        return held

    def lapsed(self) -> list[LeaseView]:
        """The leases that lapsed and were not forgotten since, oldest first."""
        self.current()
        return list(self._lapsed.values())

    def forget_lapsed(self, run: str) -> LeaseView | None:
        """Forget ``run``'s lapsed lease (its leftovers were reverted); None if there is none."""
        return self._lapsed.pop(run, None)

    def run_id(self) -> str | None:
        held = self.current()
        return held.run if held is not None else None

    def take(
        self, run: str, ttl_s: float, proxies: list[str], token: str | None = None, containers: list[str] | None = None
    ) -> LeaseGrant:
        """Take a free lease (no ``token``: a new one), or renew a held one with its ``token``;
        raises ``LeaseConflict`` when another holds it and ``LeaseGone`` when a renewal finds
        none held (its holder must not carry on as if it had held it all along). A renewal
        keeps the token and the acquisition time."""
        held = self.current()
        now = self._clock()
        if held is None and token is not None:
            raise LeaseGone("no lease is held: it lapsed, or was broken with chaos reset --force")
        if held is not None:
            if not self._holds(token) or held.run != run:
                raise LeaseConflict(held)
            acquired_at = held.acquired_at
        else:
            self._token, acquired_at = secrets.token_urlsafe(24), now
        self._held = LeaseView(
            run=run,
            ttl_s=ttl_s,
            proxies=list(proxies),
            containers=list(containers or []),
            acquired_at=acquired_at,
            renewed_at=now,
            expires_at=now + ttl_s,
        )
        return LeaseGrant(**self._held.model_dump(), token=self._token)

    def release(self, token: str) -> LeaseView | None:
        """Release the lease ``token`` holds (None if none is held); raises ``LeaseConflict``
        when it is held with another token."""
        held = self.current()
        if held is not None and not self._holds(token):
            raise LeaseConflict(held)
        self._held = None
        return held

    def breaks(self) -> LeaseView | None:
        """End the lease whoever holds it (None if none is held)."""
        held, self._held = self.current(), None
        return held

    def _holds(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self._token.encode())
