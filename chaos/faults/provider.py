"""Provider behaviours (http_error, rate_limit, slow_first_token, ..., quality), switched
on the mock providers through their admin API, with a TTL refreshed by every update."""

from __future__ import annotations

from chaos.faults.base import LiveFault
from chaos.scenario.faults import FaultSpec, ProviderBehaviour


class ProviderBehaviourFault(LiveFault):
    async def inject(self, spec: FaultSpec, *, ttl_s: float) -> None:
        provider = self.fault.provider
        assert provider is not None  # the language requires it for behaviour faults
        assert isinstance(spec, ProviderBehaviour)
        await self.context.admin.put_behaviour(
            self.name,
            provider=provider,
            kind=self.fault.kind,
            spec=spec,
            run=self.context.run_id,
            ttl_s=ttl_s,
        )

    async def restore(self) -> None:
        await self.context.admin.delete_behaviour(self.name)

    async def in_effect(self) -> bool:
        return any(behaviour.name == self.name for behaviour in await self.context.admin.behaviours())
