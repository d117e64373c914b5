"""Network faults in a unit test (``chaos_toxiproxy``): the embedded Toxiproxy, in the test
process, with a proxy in front of each mock provider.

A fault is a scenario ``network:`` fault, carried out by the same class ``chaos run``
uses (``chaos.faults.network``): a toxic on the provider's proxy, or the proxy disabled
(``down``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

import structlog

from chaos.faults.base import FaultContext, LiveFault
from chaos.faults.network import network_fault
from chaos.ownership import owned_name
from chaos.pytest_plugin.faults import FAULT_TTL_S, RUN_ID, fault_of
from chaos.pytest_plugin.loop import LoopThread
from chaos.pytest_plugin.providers import SDK_VARIABLES, ChaosProviders
from chaos.pytest_plugin.session_log import SessionLog
from chaos.scenario.contract import provider_variable
from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.server.serve import EmbeddedServer


@dataclass(frozen=True)
class Proxied:
    """The proxies in front of one providers server: provider -> its URL through its proxy."""

    client: ToxiproxyClient
    urls: dict[str, str]
    names: dict[str, str]  # provider -> its proxy


class ProxyPool:
    """The session's embedded Toxiproxy, and the proxies it holds for each providers server."""

    def __init__(self, loop: LoopThread) -> None:
        self.loop = loop
        self._server: EmbeddedServer | None = None
        self._client: ToxiproxyClient | None = None
        self._proxied: dict[str, Proxied] = {}

    def get(self, providers: ChaosProviders) -> Proxied:
        key = ",".join(providers.urls.values())
        proxied = self._proxied.get(key)
        if proxied is None:
            proxied = self.loop.run(self._proxy(providers.urls, len(self._proxied)))
            self._proxied[key] = proxied
        return proxied

    async def _proxy(self, urls: Mapping[str, str], index: int) -> Proxied:
        if self._server is None:
            self._server = EmbeddedServer()
            self._client = ToxiproxyClient(await self._server.start())
        assert self._client is not None
        through, names = {}, {}
        for name, url in urls.items():
            address = urlsplit(url)
            names[name] = f"{name}-{index}" if index else name
            proxy = await self._client.create_proxy(names[name], address.netloc)
            through[name] = urlunsplit(address._replace(netloc=proxy.listen))
        return Proxied(self._client, through, names)

    def close(self) -> None:
        if self._server is None:
            return
        # The proxies log their stop; at the session's end no test is there to show it.
        with structlog.testing.capture_logs():
            self.loop.run(self._stop())

    async def _stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        if self._server is not None:
            await self._server.close()
        self._server = self._client = None


class NetworkFault:
    """A network fault in effect; ``restore()`` (or its ``with`` block's end) undoes it."""

    def __init__(self, live: LiveFault, loop: LoopThread) -> None:
        self.live = live
        self._loop = loop

    def restore(self) -> None:
        self._loop.run(self.live.restore())

    @property
    def active(self) -> bool:
        return self._loop.run(self.live.in_effect())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.restore()

    def __repr__(self) -> str:
        return f"<network fault {self.live.fault.network!r}>"


class ProxyHandle:
    def __init__(self, toxiproxy: ChaosToxiproxy, provider: str, url: str) -> None:
        self._toxiproxy = toxiproxy
        self.provider = provider
        self.url = url

    def fault(self, **network: Any) -> NetworkFault:
        """``toxic="latency", latency="1s"``: a scenario ``network:`` fault on this provider."""
        return self._toxiproxy.fault(network={"provider": self.provider, **network})


class ChaosToxiproxy:
    """The ``chaos_toxiproxy`` fixture's value."""

    def __init__(
        self, proxied: Proxied, providers: ChaosProviders, loop: LoopThread, log: SessionLog, test: str
    ) -> None:
        self._proxied = proxied
        self._providers = providers
        self._loop = loop
        self._log = log
        self._test = test
        self._counter = itertools.count(1)
        self._context = FaultContext(
            run_id=RUN_ID,
            admin=providers.admin,
            toxiproxy=proxied.client,
            proxy_names=proxied.names,
            proxy_disabled=_nothing_to_lease,
        )

    def __getitem__(self, provider: str) -> ProxyHandle:
        self._providers[provider]
        return ProxyHandle(self, provider, self._proxied.urls[provider])

    def __iter__(self) -> Iterator[ProxyHandle]:
        return (self[name] for name in self._proxied.urls)

    @property
    def urls(self) -> dict[str, str]:
        """Each provider's base URL through its proxy."""
        return dict(self._proxied.urls)

    def environment(self) -> dict[str, str]:
        """``chaos_providers``'s variables, with every URL through the proxies."""
        variables = {}
        for provider in reversed(self._providers.names):
            url_variable, _ = SDK_VARIABLES[self._providers[provider].api]
            variables[url_variable] = self._proxied.urls[provider]
        for provider, url in self._proxied.urls.items():
            variables[provider_variable(provider, "url")] = url
        return variables

    def fault(self, *, network: Mapping[str, Any]) -> NetworkFault:
        """Inject a scenario ``network:`` fault now: ``{provider, toxic, ...}``."""
        fault = fault_of(f"network-{next(self._counter)}", {"network": dict(network)})
        provider = fault.target_provider
        assert provider is not None
        self._providers[provider]
        live = network_fault(fault, self._context)
        assert live.name == owned_name(RUN_ID, fault.name)
        self._loop.run(live.inject(fault.spec, ttl_s=FAULT_TTL_S))
        self._log.fault(self._test, provider, fault, None)
        return NetworkFault(live, self._loop)

    def reset(self) -> None:
        """Every toxic removed, every proxy enabled."""
        self._loop.run(self._proxied.client.reset())


async def _nothing_to_lease(proxy: str, disabled: bool) -> None:
    """A unit test holds no lease: the fixture's reset re-enables every proxy instead."""
