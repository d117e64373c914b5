"""Network faults between the target and a provider, through the Toxiproxy API: a toxic
on the provider's proxy, or the proxy disabled (``down``: connections refused)."""

from __future__ import annotations

import contextlib

from chaos.faults.base import FaultContext, LiveFault, register
from chaos.scenario.faults import Down, Fault, FaultKind, FaultSpec
from chaos.toxiproxy.errors import NotFound
from chaos.toxiproxy.mapping import ToxicSpec, toxic_for


@register(FaultKind.NETWORK)
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
    """The proxy disabled: refused in the kernel, so no one counts the attempts."""

    def __init__(self, fault: Fault, context: FaultContext) -> None:
        super().__init__(fault, context)
        self.proxy = _proxy(fault, context)

    async def inject(self, spec: FaultSpec, *, ttl_s: float) -> None:
        await self.context.proxy_disabled(self.proxy, True)  # in the lease first: reset can always undo it
        await self.context.toxiproxy.update_proxy(self.proxy, enabled=False)

    async def restore(self) -> None:
        await self.context.toxiproxy.update_proxy(self.proxy, enabled=True)
        await self.context.proxy_disabled(self.proxy, False)

    async def in_effect(self) -> bool:
        return not (await self.context.toxiproxy.proxy(self.proxy)).enabled
