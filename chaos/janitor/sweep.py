"""Reverting what a dead run left in a staging environment, and nothing else.

The real Toxiproxy and Docker have no TTL: a run killed mid-fault leaves its toxics, its
disabled proxies and its paused or stopped containers as they are. Its lease lapses (no
heartbeat), and the providers' admin API keeps the lapsed lease (``GET /lease/lapsed``).
Each sweep reverts every lapsed lease's run:

- its provider behaviours (named ``chaos-<run>-...``; they also expire by TTL),
- its toxics (named after it) and the proxies it disabled (listed in the lease, or
  carrying its mark), unless another run's mark is on that proxy now,
- the containers its lease lists, unless the run holding the environment now lists them,

then forgets the lease. A sweep that could not revert everything keeps the lease for the
next one. Nothing else is touched: not another run's faults, not what no run named.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import structlog

from chaos.containers import Engine
from chaos.errors import ChaosError
from chaos.faults import proxies_disabled_by
from chaos.faults.network import MARKER_TYPE
from chaos.ownership import owned_by
from chaos.providers.admin_client import AdminClient
from chaos.providers.admin_models import LeaseView
from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.models import Proxy

log = structlog.get_logger()


@dataclass
class Reverted:
    """What one run's revert did."""

    run: str
    behaviours: list[str] = field(default_factory=list)
    toxics: list[str] = field(default_factory=list)  # "proxy/toxic"
    proxies_enabled: list[str] = field(default_factory=list)
    containers: dict[str, str] = field(default_factory=dict)  # name -> unpaused | started
    left: list[str] = field(default_factory=list)  # what could not be reverted, and why


@dataclass
class Tally:
    """What the janitor did since it started (its /metrics)."""

    sweeps: int = 0
    sweep_errors: int = 0
    runs_reverted: int = 0
    behaviours: int = 0
    toxics: int = 0
    proxies_enabled: int = 0
    containers: int = 0
    last_sweep_at: float = 0.0

    def add(self, reverted: Reverted) -> None:
        self.runs_reverted += 1
        self.behaviours += len(reverted.behaviours)
        self.toxics += len(reverted.toxics)
        self.proxies_enabled += len(reverted.proxies_enabled)
        self.containers += len(reverted.containers)


class Janitor:
    def __init__(self, admin: AdminClient, toxiproxy: ToxiproxyClient | None, engine: Engine | None) -> None:
        self.admin = admin
        self.toxiproxy = toxiproxy
        self.engine = engine
        self.tally = Tally()

    async def watch(self, period_s: float, stop: asyncio.Event) -> None:
        """Sweep every ``period_s`` until ``stop`` is set; a failed sweep is logged and retried."""
        while not stop.is_set():
            await self.sweep()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), period_s)

    async def sweep(self) -> list[Reverted]:
        """Revert every lapsed run once; returns what was done."""
        self.tally.sweeps += 1
        self.tally.last_sweep_at = time.time()
        try:
            lapsed = await self.admin.lapsed_leases()
            holder = await self.admin.lease()
        except ChaosError as exc:
            self.tally.sweep_errors += 1
            log.warning("janitor: the providers' admin API did not answer", error=exc.message)
            return []
        done = []
        for lease in lapsed:
            reverted = await self.revert(lease, holder)
            if reverted.left:
                self.tally.sweep_errors += 1
                log.warning("janitor: run not wholly reverted, retrying next sweep", run=lease.run, left=reverted.left)
                continue
            with contextlib.suppress(ChaosError):
                await self.admin.forget_lapsed(lease.run)
            self.tally.add(reverted)
            log.info(
                "janitor: reverted a lapsed run",
                run=reverted.run,
                behaviours=reverted.behaviours,
                toxics=reverted.toxics,
                proxies_enabled=reverted.proxies_enabled,
                containers=reverted.containers,
            )
            done.append(reverted)
        return done

    async def revert(self, lease: LeaseView, holder: LeaseView | None) -> Reverted:
        reverted = Reverted(lease.run)
        try:
            reverted.behaviours = await self.admin.delete_run_behaviours(lease.run)
        except ChaosError as exc:
            reverted.left.append(f"behaviours: {exc.message}")
        if self.toxiproxy is not None:
            await self._revert_toxiproxy(self.toxiproxy, lease, reverted)
        elif lease.proxies:
            reverted.left.append(f"proxies {', '.join(lease.proxies)}: no --toxiproxy given")
        await self._revert_containers(lease, holder, reverted)
        return reverted

    async def _revert_toxiproxy(self, toxiproxy: ToxiproxyClient, lease: LeaseView, reverted: Reverted) -> None:
        try:
            proxies = await toxiproxy.proxies()
            marked = await proxies_disabled_by(toxiproxy, lease.run)
            enable = sorted(
                name
                for name in {*lease.proxies, *marked}
                if name in proxies and not proxies[name].enabled and not _marked_by_another(proxies[name], lease.run)
            )
            scoped = await toxiproxy.reset_run(lease.run, enable=enable)
        except ChaosError as exc:
            reverted.left.append(f"toxiproxy: {exc.message}")
            return
        reverted.toxics = [f"{proxy}/{toxic}" for proxy, toxic in scoped.removed]
        reverted.proxies_enabled = list(scoped.enabled)

    async def _revert_containers(self, lease: LeaseView, holder: LeaseView | None, reverted: Reverted) -> None:
        if not lease.containers:
            return
        if self.engine is None:
            reverted.left.append(f"containers {', '.join(lease.containers)}: the janitor runs without --docker")
            return
        held_now = set(holder.containers) if holder is not None else set()
        for name in lease.containers:
            if name in held_now:  # the run that holds the environment now acts on it
                continue
            try:
                done = await self.engine.bring_back(name)
            except ChaosError as exc:
                reverted.left.append(f"container {name}: {exc.message}")
                continue
            if done is not None:
                reverted.containers[name] = done


def _marked_by_another(proxy: Proxy, run: str) -> bool:
    """The proxy carries the down mark of a run other than ``run``."""
    return any(toxic.type == MARKER_TYPE and not owned_by(run, toxic.name) for toxic in proxy.toxics)
