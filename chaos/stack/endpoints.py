"""Where a run's components are, however they came up (spawned locally, or in staging)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chaos.scenario import contract
from chaos.scenario.model import Scenario


@dataclass(frozen=True)
class ProviderRoute:
    """A provider as the target reaches it: through its Toxiproxy proxy."""

    name: str
    api: str
    model: str
    proxy: str
    url: str  # the base URL through the proxy, as the provider's official SDK takes it


@dataclass(frozen=True)
class Endpoints:
    admin_url: str
    toxiproxy_url: str
    target_url: str
    routes: tuple[ProviderRoute, ...] = field(default=())
    toxiproxy_version: str | None = None
    admin_token: str | None = field(default=None, repr=False)  # the admin API's CHAOS_ADMIN_TOKEN
    leftovers: tuple[str, ...] = ()  # faults found that the run did not make (staging, when allowed)

    @property
    def proxy_names(self) -> dict[str, str]:
        return {route.name: route.proxy for route in self.routes}


def base_url(api: str, host_port: str) -> str:
    """The base URL an official SDK takes: ``/v1`` for OpenAI-compatible, none for Anthropic."""
    return f"http://{host_port}/v1" if api == "openai" else f"http://{host_port}"


def target_environment(
    scenario: Scenario, routes: tuple[ProviderRoute, ...], *, port: int, run_id: str, extra: Mapping[str, str]
) -> dict[str, str]:
    """The environment contract (DESIGN.md, "The target's environment") for a started target."""
    env = {
        contract.PROVIDERS: ",".join(route.name for route in routes),
        contract.TARGET_PORT: str(port),
        contract.RUN_ID: run_id,
    }
    for route in routes:
        fields = {"url": route.url, "api": route.api, "model": route.model, "api_key": "chaos-dummy-key"}
        price = scenario.providers[route.name].price
        if price is not None:
            fields |= {"price_input": f"{price.input:g}", "price_output": f"{price.output:g}"}
        env |= {contract.provider_variable(route.name, field): value for field, value in fields.items()}
    return {**env, **extra}
