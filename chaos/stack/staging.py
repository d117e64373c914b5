"""Connecting to a staging environment: nothing is started, everything is checked first.

Every URL is resolved (``${ENV}`` references), held to ``safety.allowed_hosts`` and
answered before anything else happens: Toxiproxy's ``/version``, the providers' admin
``/healthz`` and ``/providers``, the target's health path, and a proxy for each provider.
The first that fails stops the run with a message saying which and why.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import httpx

from chaos.envrefs import resolve
from chaos.errors import EnvironmentProblem
from chaos.providers.admin_client import AdminClient
from chaos.scenario.model import Scenario
from chaos.stack.endpoints import Endpoints, ProviderRoute, base_url
from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.errors import ToxiproxyError

PREFLIGHT_TIMEOUT_S = 5.0


def allowed(url: str, scenario: Scenario) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EnvironmentProblem(f"{url!r} is not an http(s) URL")
    host = parts.hostname
    if host not in scenario.safety.allowed_hosts:
        raise EnvironmentProblem(
            f"{url}: host {host!r} is not in safety.allowed_hosts ({', '.join(scenario.safety.allowed_hosts)})"
        )
    return url.rstrip("/")


async def connect_staging(scenario: Scenario) -> Endpoints:
    stack, target = scenario.stack, scenario.target
    # The language requires all three in staging (chaos/scenario/checks.py).
    assert stack.toxiproxy is not None
    assert stack.providers_admin is not None
    assert target.url is not None
    toxiproxy_url = allowed(resolve(stack.toxiproxy, os.environ), scenario)
    admin_url = allowed(resolve(stack.providers_admin, os.environ), scenario)
    target_url = allowed(resolve(target.url, os.environ), scenario)
    async with ToxiproxyClient(toxiproxy_url, timeout=PREFLIGHT_TIMEOUT_S) as toxiproxy:
        try:
            version = await toxiproxy.version()
            proxies = await toxiproxy.proxies()
        except ToxiproxyError as exc:
            raise EnvironmentProblem(f"preflight: Toxiproxy at {toxiproxy_url} did not answer: {exc.message}") from exc
    async with AdminClient(admin_url, timeout=PREFLIGHT_TIMEOUT_S) as admin:
        try:
            await admin.health()
        except EnvironmentProblem as exc:
            raise EnvironmentProblem(f"preflight: {exc.message}") from exc
    routes = []
    for name, provider in scenario.providers.items():
        proxy_name = provider.proxy or name
        proxy = proxies.get(proxy_name)
        if proxy is None:
            raise EnvironmentProblem(
                f"preflight: Toxiproxy at {toxiproxy_url} has no proxy {proxy_name!r} for provider {name}",
                hint=f"create it (upstream: the provider's host:port), or name it with providers.{name}.proxy",
            )
        routes.append(
            ProviderRoute(
                name, provider.api.value, provider.model, proxy_name, base_url(provider.api.value, proxy.listen)
            )
        )
    health = f"{target_url}{target.health}"
    try:
        async with httpx.AsyncClient(timeout=PREFLIGHT_TIMEOUT_S) as client:
            response = await client.get(health)
    except httpx.HTTPError as exc:
        raise EnvironmentProblem(
            f"preflight: the target's health check {health} did not answer: {type(exc).__name__}"
        ) from exc
    if not response.is_success:
        raise EnvironmentProblem(f"preflight: the target's health check {health} answered {response.status_code}")
    return Endpoints(admin_url, toxiproxy_url, target_url, tuple(routes), version)
