"""What only the embedded server does: beyond Toxiproxy, or where Toxiproxy would break."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from itertools import pairwise

import httpx
import pytest

from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.server.serve import EmbeddedServer
from chaos.toxiproxy.server.toxics import slice_bounds
from tests.toxiproxy.proxy_helpers import EchoServer, host_port, round_trip


@pytest.fixture
async def client() -> AsyncIterator[ToxiproxyClient]:
    """An embedded server in this test's own loop (asyncio's default loop, not uvloop)."""
    async with EmbeddedServer() as server, ToxiproxyClient(server.url) as client:
        yield client


@pytest.mark.parametrize(("size", "average", "variation"), [(100, 10, 0), (1000, 7, 5), (50, 0, 0), (5, 1, 30)])
def test_slices_cover_the_data_in_order(size: int, average: int, variation: int) -> None:
    random.seed(size)
    bounds = slice_bounds(size, average, variation)
    assert bounds[0][0] == 0
    assert bounds[-1][1] == size
    assert all(end == next_start for (_, end), (next_start, _) in pairwise(bounds))
    assert all(0 < end - start <= max(average, 1) + variation or end - start == 1 for start, end in bounds)


async def test_a_slicer_of_average_size_zero_still_delivers(client: ToxiproxyClient, echo: EchoServer) -> None:
    """Toxiproxy recurses forever here; the embedded server sends bytes one at a time."""
    proxy = await client.create_proxy("sliced", echo.address)
    await client.add_toxic("sliced", "slicer", attributes={"average_size": 0})
    assert await round_trip(proxy, b"hello") == b"hello"


async def test_an_empty_listen_binds_loopback(client: ToxiproxyClient, echo: EchoServer) -> None:
    """Toxiproxy would listen on every interface; the embedded server stays on 127.0.0.1."""
    proxy = await client.create_proxy("anywhere", echo.address, listen="")
    host, port = host_port(proxy.listen)
    assert host == "127.0.0.1"
    assert port > 0


async def test_metrics_are_prometheus_text(client: ToxiproxyClient, echo: EchoServer) -> None:
    proxy = await client.create_proxy('a "quoted" name', echo.address)
    await asyncio.gather(round_trip(proxy), round_trip(proxy))
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{client.base_url}/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = response.text.splitlines()
    assert "# TYPE chaos_proxy_connections_accepted_total counter" in lines
    assert 'chaos_proxy_connections_accepted_total{proxy="a \\"quoted\\" name"} 2' in lines
    [counters] = await client.counters()
    assert (counters.proxy, counters.accepted) == ('a "quoted" name', 2)
