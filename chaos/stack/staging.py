"""Connecting to a staging environment: nothing is started, everything is checked first.

Every URL is resolved (``${ENV}`` references), held to ``safety.allowed_hosts`` and
answered before anything else happens: Toxiproxy's ``/version``, the providers' admin
``/healthz`` and ``/providers``, the target's health path, and a proxy for each provider.
The first that fails stops the run with a message saying which and why.

Then what the environment already holds: a lease (another run is on), and every fault
this run did not make: toxics on any proxy, disabled proxies, provider behaviours. A run
on top of a dead run's faults would measure them as its own, so they are refused (exit 2)
with each one listed and the ``chaos reset`` that clears them, unless the scenario says
``safety.leftovers: allow`` (then the journal lists them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from chaos.envrefs import resolve
from chaos.errors import EnvironmentProblem
from chaos.providers.admin_client import AdminClient, LeaseHeld
from chaos.providers.admin_models import StoredBehaviour, admin_token
from chaos.scenario.model import Leftovers, Scenario
from chaos.stack.endpoints import Endpoints, ProviderRoute, base_url
from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.errors import ToxiproxyError
from chaos.toxiproxy.models import Proxy

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
    token = admin_token(os.environ)
    async with AdminClient(admin_url, timeout=PREFLIGHT_TIMEOUT_S, token=token) as admin:
        try:
            await admin.health()
            lease = await admin.lease()
            behaviours = await admin.behaviours()
        except EnvironmentProblem as exc:
            raise EnvironmentProblem(f"preflight: {exc.message}") from exc
    if lease is not None:
        raise LeaseHeld(lease.run, admin_url, status=409, body=None)
    found = leftovers(proxies, behaviours)
    if found and scenario.safety.leftovers is Leftovers.REFUSE:
        raise EnvironmentProblem(
            f"preflight: the environment holds {len(found)} fault{'s' if len(found) != 1 else ''} this run did not "
            "make (a dead run's, or someone else's):\n" + "\n".join(f"  {line}" for line in found),
            hint=_reset_hint(behaviours, toxiproxy_url, admin_url),
        )
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
    return Endpoints(
        admin_url, toxiproxy_url, target_url, tuple(routes), version, admin_token=token, leftovers=tuple(found)
    )


def leftovers(proxies: Mapping[str, Proxy], behaviours: list[StoredBehaviour]) -> list[str]:
    """Every fault in an environment, one line each: toxics, disabled proxies, behaviours."""
    found = [
        f"toxic {toxic.name} ({toxic.type}) on proxy {proxy.name}"
        for proxy in proxies.values()
        for toxic in proxy.toxics
    ]
    found += [f"proxy {proxy.name} is disabled" for proxy in proxies.values() if not proxy.enabled]
    found += [
        f"behaviour {b.name} ({b.kind.value}) on provider {b.provider}" + (f", of run {b.run}" if b.run else "")
        for b in behaviours
    ]
    return found


def _reset_hint(behaviours: list[StoredBehaviour], toxiproxy_url: str, admin_url: str) -> str:
    urls = f"--toxiproxy {toxiproxy_url} --providers-admin {admin_url}"
    runs = sorted({b.run for b in behaviours if b.run})
    each = "".join(f"`chaos reset --run {run} {urls}` clears run {run}'s; " for run in runs)
    return f"{each}`chaos reset --all {urls}` clears them all; or say safety.leftovers: allow to run on top of them"
