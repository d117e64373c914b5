"""The interface every fault class keeps, and the context they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from chaos.containers import Engine
from chaos.ownership import owned_name
from chaos.providers.admin_client import AdminClient
from chaos.scenario.faults import Fault, FaultSpec
from chaos.toxiproxy.client import ToxiproxyClient


@dataclass(frozen=True)
class FaultContext:
    """What a fault needs to act on the environment, shared by every fault of a run."""

    run_id: str
    admin: AdminClient
    toxiproxy: ToxiproxyClient
    proxy_names: Mapping[str, str]  # provider -> its Toxiproxy proxy
    proxy_disabled: Callable[[str, bool], Awaitable[None]]  # keeps the lease's list of disabled proxies
    engine: Engine | None = None  # the Docker engine, for a scenario with container faults
    container_touched: Callable[[str, bool], Awaitable[None]] | None = None  # the lease's list of containers

    def name(self, fault: Fault) -> str:
        return owned_name(self.run_id, fault.name)


class LiveFault(ABC):
    """One scenario fault, as injected into the environment."""

    def __init__(self, fault: Fault, context: FaultContext) -> None:
        self.fault = fault
        self.context = context
        self.name = context.name(fault)

    async def prepare(self) -> None:
        """Ahead of the injection, whatever makes it quick and sure to undo (nothing, for
        most kinds); ``inject`` does it too if it was not done."""
        return

    @abstractmethod
    async def inject(self, spec: FaultSpec, *, ttl_s: float) -> None:
        """Start the fault with these settings; expire by itself after ``ttl_s`` where possible."""

    async def update(self, spec: FaultSpec, *, ttl_s: float) -> None:
        """Change the settings of the running fault (re-injecting is an update)."""
        await self.inject(spec, ttl_s=ttl_s)

    @abstractmethod
    async def restore(self) -> None:
        """Undo the fault; restoring a fault that is not there is not an error."""

    @abstractmethod
    async def in_effect(self) -> bool:
        """Read back from the environment whether the fault is there (a run never claims a
        fault it could not see injected)."""
