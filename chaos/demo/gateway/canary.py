"""Weighted routing for a canary: a share of requests asks a candidate model first.

``PUT /admin/canary?share=10&provider=primary&model=claude-sonnet@2026-11`` sends 10% of
requests (a draw per request) to ``provider`` first, asking for ``model``; should it
fail, they go on down the rest of the chain. The others go down the chain as before,
``baseline=MODEL`` (optional) pinning the model that provider is asked for then.
``share=0`` rolls back; ``GET /admin/canary`` shows the route.
A scenario's ``change.set_share`` hook calls it with ``{share}`` filled in.

Two breaks, each a way a real rollout goes wrong: ``canary-routing`` acknowledges a
share and never applies it; ``canary-rollback`` acknowledges a lower share and keeps the
old one (a rollback that does not take).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from chaos.demo.gateway.config import Break, GatewayConfig, ProviderConfig


@dataclass(frozen=True)
class CanaryRoute:
    provider: str
    model: str
    share: float  # 0 to 1
    baseline: str | None = None  # the model the provider is asked for otherwise


class BadRoute(ValueError):
    """A canary route the gateway cannot take: answered 400 with the reason."""


class CanaryRouting:
    def __init__(self, config: GatewayConfig, rng: random.Random | None = None) -> None:
        self.config = config
        self.route: CanaryRoute | None = None
        self._rng = rng or random.Random()

    def update(self, query: Mapping[str, str]) -> CanaryRoute | None:
        """Take a route from the admin call's parameters; raises ``BadRoute``."""
        try:
            share = float(query.get("share", ""))
        except ValueError:
            raise BadRoute("share: a percentage, 0 to 100") from None
        if not 0 <= share <= 100:
            raise BadRoute("share: a percentage, 0 to 100")
        provider, model = query.get("provider"), query.get("model")
        names = [p.name for p in self.config.providers]
        if provider not in names:
            raise BadRoute(f"provider: one of {', '.join(names)}")
        if not model:
            raise BadRoute("model: the candidate model to ask the provider for")
        route = CanaryRoute(provider, model, share / 100, query.get("baseline") or None)
        current = self.route.share if self.route is not None else 0.0
        if not self.config.works(Break.CANARY_ROUTING):
            return route  # acknowledged, never applied
        if not self.config.works(Break.CANARY_ROLLBACK) and route.share < current:
            return route  # acknowledged, the old share kept
        self.route = route
        return route

    def chain(self, providers: list[ProviderConfig]) -> list[ProviderConfig]:
        """The providers one request tries, in order: the candidate first for its share."""
        route = self.route
        if route is None:
            return providers
        chosen = route.share > 0 and self._rng.random() < route.share
        chain = []
        for provider in providers:
            if provider.name != route.provider:
                chain.append(provider)
            elif chosen:
                chain.insert(0, dataclasses.replace(provider, model=route.model))
            else:
                chain.append(dataclasses.replace(provider, model=route.baseline or provider.model))
        return chain

    def view(self) -> dict[str, object]:
        route = self.route
        if route is None:
            return {"share": 0}
        share = route.share * 100
        return {"share": share, "provider": route.provider, "model": route.model, "baseline": route.baseline}


CANARY = web.AppKey("canary", CanaryRouting)


async def put_canary(request: web.Request) -> web.Response:
    routing = request.app[CANARY]
    try:
        routing.update(request.query)
    except BadRoute as exc:
        return web.json_response({"error": {"message": str(exc), "type": "invalid_request_error"}}, status=400)
    return web.json_response(routing.view())


async def get_canary(request: web.Request) -> web.Response:
    return web.json_response(request.app[CANARY].view())
