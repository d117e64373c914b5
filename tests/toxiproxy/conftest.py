"""Fixtures for the Toxiproxy compatibility suite.

The suite speaks only HTTP and TCP, so it runs against any server: ``TOXIPROXY_URL`` names
one (a real toxiproxy-server, say); by default it spawns the embedded server once per
session with ``chaos proxy serve --port 0``. Each test names its proxies uniquely and
deletes them, so a shared server is left as it was found.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.models import Proxy
from tests.toxiproxy.proxy_helpers import EchoServer, Names, spawn_embedded


@pytest.fixture(scope="session")
def toxiproxy_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("TOXIPROXY_URL")
    if given:
        yield given.rstrip("/")
        return
    ready = tmp_path_factory.mktemp("toxiproxy") / "ready.json"
    with spawn_embedded(ready) as url:
        yield url


@pytest.fixture
async def toxiproxy(toxiproxy_url: str) -> AsyncIterator[ToxiproxyClient]:
    async with ToxiproxyClient(toxiproxy_url) as client:
        yield client


@pytest.fixture
async def http(toxiproxy_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP to the API, for asserting on exact statuses, headers and bodies."""
    async with httpx.AsyncClient(base_url=toxiproxy_url, timeout=5.0) as client:
        yield client


@pytest.fixture
async def names(toxiproxy_url: str) -> AsyncIterator[Names]:
    issued = Names()
    yield issued
    async with httpx.AsyncClient(base_url=toxiproxy_url, timeout=5.0) as client:
        for name in issued.issued:
            await client.delete(f"/proxies/{name}")


@pytest.fixture
async def echo() -> AsyncIterator[EchoServer]:
    server = await EchoServer().start()
    yield server
    await server.close()


@pytest.fixture
async def echo_proxy(toxiproxy: ToxiproxyClient, names: Names, echo: EchoServer) -> Proxy:
    """A proxy in front of the echo server, listening on a free loopback port."""
    return await toxiproxy.create_proxy(names("echo"), echo.address)
