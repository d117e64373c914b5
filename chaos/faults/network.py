"""Network faults between the target and a provider, through the Toxiproxy API: a toxic
on the provider's proxy, or the proxy disabled (``down``: connections refused)."""

from __future__ import annotations

import asyncio
import contextlib

from chaos.faults.base import FaultContext, LiveFault
from chaos.ownership import owned_by
from chaos.scenario.faults import Down, Fault, FaultSpec, ToxicSpec
from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.errors import Conflict, NotFound
from chaos.toxiproxy.mapping import toxic_for

MARKER_TYPE = "noop"  # a toxic that does nothing (Toxiproxy's own), marking a proxy a run disabled


def network_fault(fault: Fault, context: FaultContext) -> LiveFault:
    return ProxyDownFault(fault, context) if isinstance(fault.network, Down) else ToxicFault(fault, context)


def _proxy(fault: Fault, context: FaultContext) -> str:
    provider = fault.target_provider
    assert provider is not None  # network faults always name their provider
    return context.proxy_names[provider]


class ToxicFault(LiveFault):
    """Toxiproxy has no TTL: a toxic left by a killed run is removed by ``chaos reset``."""

    def __init__(self, fault: Fault, context: FaultContext) -> None:
        super().__init__(fault, context)
        self.proxy = _proxy(fault, context)
        self.added = False

    async def inject(self, spec: FaultSpec, *, ttl_s: float) -> None:
        assert isinstance(spec, ToxicSpec)
        settings = toxic_for(spec)
        if self.added:
            await self.context.toxiproxy.update_toxic(
                self.proxy, self.name, attributes=settings.attributes, toxicity=settings.toxicity
            )
            return
        await self.context.toxiproxy.add_toxic(
            self.proxy,
            settings.type,
            name=self.name,
            stream=settings.stream,
            toxicity=settings.toxicity,
            attributes=settings.attributes,
        )
        self.added = True

    async def restore(self) -> None:
        with contextlib.suppress(NotFound):
            await self.context.toxiproxy.delete_toxic(self.proxy, self.name)
        self.added = False

    async def in_effect(self) -> bool:
        return any(toxic.name == self.name for toxic in await self.context.toxiproxy.toxics(self.proxy))


class ProxyDownFault(LiveFault):
    """The proxy disabled: refused in the kernel, so no one counts the attempts.

    Toxiproxy keeps no owner for a disabled proxy, and the run's lease, which lists it,
    lapses once the run is gone; so the proxy also carries a ``noop`` toxic named after
    the fault while it is down, by which ``chaos reset --run`` finds it at any later time.
    """

    def __init__(self, fault: Fault, context: FaultContext) -> None:
        super().__init__(fault, context)
        self.proxy = _proxy(fault, context)
        self.recorded = False

    async def prepare(self) -> None:
        """Recorded (in the lease, and by the mark) before it happens, so that reset can
        always undo it; recording a proxy that is still enabled does no harm."""
        await asyncio.gather(self.context.proxy_disabled(self.proxy, True), self._mark())
        self.recorded = True

    async def inject(self, spec: FaultSpec, *, ttl_s: float) -> None:
        if not self.recorded:
            await self.prepare()
        await self.context.toxiproxy.update_proxy(self.proxy, enabled=False)

    async def restore(self) -> None:
        await self.context.toxiproxy.update_proxy(self.proxy, enabled=True)
        await asyncio.gather(self.context.proxy_disabled(self.proxy, False), self._unmark())
        self.recorded = False

    async def _mark(self) -> None:
        with contextlib.suppress(Conflict):  # marked already
            await self.context.toxiproxy.add_toxic(self.proxy, MARKER_TYPE, name=self.name)

    async def _unmark(self) -> None:
        with contextlib.suppress(NotFound):
            await self.context.toxiproxy.delete_toxic(self.proxy, self.name)

    async def in_effect(self) -> bool:
        return not (await self.context.toxiproxy.proxy(self.proxy)).enabled


async def proxies_disabled_by(toxiproxy: ToxiproxyClient, run_id: str) -> list[str]:
    """The proxies a run disabled and did not enable again (found by their marker)."""
    return sorted(
        proxy.name
        for proxy in (await toxiproxy.proxies()).values()
        if not proxy.enabled and any(t.type == MARKER_TYPE and owned_by(run_id, t.name) for t in proxy.toxics)
    )
