"""Container faults: a container (or every container of a compose service) stopped,
paused, killed or restarted through the Docker engine, and brought back to running.

Docker has no TTL and keeps no owner: each container is listed in the run's lease before
it is touched, and struck off once it is running again, so that the janitor brings back
exactly the containers of a run that died, and nothing else.
"""

from __future__ import annotations

import asyncio
import os

from chaos.containers import ContainerNotFound, Engine, engine_url
from chaos.envrefs import resolve
from chaos.errors import ChaosError
from chaos.faults.base import FaultContext, LiveFault
from chaos.scenario.faults import Container, ContainerAction, Fault, FaultSpec
from chaos.scenario.model import Scenario


class ContainerFault(LiveFault):
    def __init__(self, fault: Fault, context: FaultContext) -> None:
        super().__init__(fault, context)
        assert fault.container is not None  # the registry sends container faults only
        self.target: Container = fault.container
        self.containers: list[str] = []
        self.started_before: dict[str, str] = {}

    @property
    def engine(self) -> Engine:
        if self.context.engine is None:
            raise ChaosError(f"fault {self.fault.name}: no Docker engine was reached for container faults")
        return self.context.engine

    async def prepare(self) -> None:
        """Find the containers and list them in the lease before anything is done to them."""
        self.containers = await self.engine.find(name=self.target.name, service=self.target.service)
        await asyncio.gather(*(self._touched(name, True) for name in self.containers))

    async def inject(self, spec: FaultSpec, *, ttl_s: float) -> None:
        if not self.containers:
            await self.prepare()
        engine = self.engine
        self.started_before = {name: await engine.started_at(name) for name in self.containers}
        await asyncio.gather(*(engine.act(name, self.target.action) for name in self.containers))

    async def restore(self) -> None:
        engine = self.engine
        await asyncio.gather(*(engine.bring_back(name) for name in self.containers))
        await asyncio.gather(*(self._touched(name, False) for name in self.containers))

    async def in_effect(self) -> bool:
        """Paused, stopped (or restarted by its own restart policy since), or restarted."""
        for name in self.containers:
            status = await self.engine.status(name)
            restarted = await self.engine.started_at(name) != self.started_before.get(name)
            action = self.target.action
            if action is ContainerAction.PAUSE and status != "paused":
                return False
            if action in (ContainerAction.STOP, ContainerAction.KILL) and status == "running" and not restarted:
                return False
            if action is ContainerAction.RESTART and not restarted:
                return False
        return True

    async def _touched(self, name: str, touched: bool) -> None:
        if self.context.container_touched is not None:
            await self.context.container_touched(name, touched)


async def reach_engine(scenario: Scenario) -> Engine | None:
    """The Docker engine a scenario's container faults act on, checked before anything
    starts: reachable, and holding every container they name (None: no container fault)."""
    faults = [fault for fault in scenario.faults if fault.container is not None]
    if not faults:
        return None
    configured = scenario.stack.docker
    engine = await Engine.connect(engine_url(resolve(configured, os.environ) if configured else None))
    try:
        for fault in faults:
            assert fault.container is not None
            try:
                await engine.find(name=fault.container.name, service=fault.container.service)
            except ContainerNotFound as exc:
                raise ContainerNotFound(f"preflight: fault {fault.name}: {exc.message}", hint=exc.hint) from exc
    except BaseException:
        await engine.close()
        raise
    return engine
