"""A run's hold on its environment: taken before the load starts, renewed by a heartbeat,
released at the end.

The lease also lists the proxies the run disabled and the containers it acts on (``renew``
on each change), so that the janitor finds them if the run dies. The token it was granted renews and releases it;
nobody else can. A run **loses** its lease when a renewal finds another run holding it or
none held (it was broken with ``chaos reset --force``, or lapsed), or when no renewal got
through for as long as the lease lives. Then two runs' faults could be active at once: the
run stops at once (the guard sees ``lost`` within its period), restores what it injected
and ends ``aborted`` with the reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog

from chaos.errors import ChaosError, EnvironmentProblem
from chaos.providers.admin_client import AdminClient, AdminRefused, LeaseGone, LeaseHeld
from chaos.providers.admin_models import LeaseGrant

log = structlog.get_logger()

LEASE_TTL_S = 30.0
HEARTBEAT_S = 2.0  # a renewal is one small request; a broken lease is seen within this


class LeaseLost(EnvironmentProblem):
    """The run no longer holds its environment."""


class RunLease:
    def __init__(
        self,
        admin: AdminClient,
        run_id: str,
        *,
        ttl_s: float = LEASE_TTL_S,
        heartbeat_s: float = HEARTBEAT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.admin = admin
        self.run_id = run_id
        self.ttl_s = ttl_s
        self.heartbeat_s = heartbeat_s
        self.lost: str | None = None  # why, once lost
        self._clock = clock
        self._grant: LeaseGrant | None = None
        self._renewed_at = 0.0
        self._proxies: list[str] = []
        self._containers: list[str] = []
        # Faults at one instant update the lease together: the last word must be the latest.
        self._renewing = asyncio.Lock()

    async def take(self) -> None:
        """Take the lease; raises ``LeaseHeld`` when another run has it."""
        async with self._renewing:
            self._grant = await self.admin.take_lease(
                self.run_id, ttl_s=self.ttl_s, proxies=self._proxies, containers=self._containers
            )
            self._renewed_at = self._clock()

    async def renew(self, proxies: list[str] | None = None, containers: list[str] | None = None) -> None:
        """Renew (with the proxies the run has disabled now, the containers it acts on now);
        raises ``LeaseLost``."""
        async with self._renewing:
            if proxies is not None:
                self._proxies = proxies
            if containers is not None:
                self._containers = containers
            if self.lost is not None:
                raise LeaseLost(self.lost)
            assert self._grant is not None, "renewed before it was taken"
            try:
                grant = await self.admin.take_lease(
                    self.run_id,
                    ttl_s=self.ttl_s,
                    proxies=self._proxies,
                    containers=self._containers,
                    token=self._grant.token,
                )
            except LeaseHeld as exc:
                raise self._lose(f"the lease was lost: run {exc.holder} holds the environment now") from exc
            except LeaseGone as exc:
                raise self._lose("the lease was lost: it lapsed or was broken (chaos reset --force)") from exc
            except ChaosError as exc:
                if self._clock() - self._renewed_at < self.ttl_s:
                    raise
                raise self._lose(f"the lease was lost: not renewed for {self.ttl_s:g} s ({exc.message})") from exc
            self._grant, self._renewed_at = grant, self._clock()

    async def heartbeat(self) -> None:
        """Renew every ``heartbeat_s`` until cancelled or lost."""
        while self.lost is None:
            await asyncio.sleep(self.heartbeat_s)
            try:
                await self.renew()
            except LeaseLost:
                return
            except ChaosError as exc:
                log.warning("lease heartbeat failed", error=exc.message)

    async def release(self) -> None:
        """Let go, if the run still holds it (a lost lease is another's now)."""
        grant = self._grant
        if grant is None or self.lost is not None:
            return
        try:
            await self.admin.release_lease(grant.token)
        except AdminRefused as exc:
            log.warning("the lease could not be released", error=exc.message)

    def _lose(self, reason: str) -> LeaseLost:
        self.lost = reason
        log.error("stopping: the run lost its lease", reason=reason)
        return LeaseLost(reason)
