"""The typed client: errors, timeouts, the scoped reset, and the embedded server's counters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from chaos.errors import ChaosError
from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.errors import BadRequest, Conflict, NotFound, ServerError, ToxiproxyUnreachable
from chaos.toxiproxy.models import Proxy, ProxySpec, Stream
from chaos.toxiproxy.server.serve import EmbeddedServer
from tests.toxiproxy.proxy_helpers import EchoServer, Names, close, connect, round_trip


async def test_errors_are_typed_and_carry_toxiproxys_message(
    toxiproxy: ToxiproxyClient, echo_proxy: Proxy, names: Names
) -> None:
    with pytest.raises(Conflict, match="proxy already exists") as conflict:
        await toxiproxy.create_proxy(echo_proxy.name, echo_proxy.upstream)
    assert conflict.value.status == 409
    assert isinstance(conflict.value, ChaosError)
    with pytest.raises(NotFound, match="proxy not found"):
        await toxiproxy.proxy(names("missing"))
    with pytest.raises(NotFound, match="toxic not found"):
        await toxiproxy.toxic(echo_proxy.name, "nope")
    with pytest.raises(BadRequest, match="invalid toxic type"):
        await toxiproxy.add_toxic(echo_proxy.name, "walrus")
    with pytest.raises(ServerError, match="address already in use"):
        await toxiproxy.create_proxy(names("clash"), echo_proxy.upstream, listen=echo_proxy.listen)


async def test_every_endpoint_round_trips_typed(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    assert (await toxiproxy.version()).startswith("2.")
    assert (await toxiproxy.proxies())[echo_proxy.name] == echo_proxy
    toxic = await toxiproxy.add_toxic(echo_proxy.name, "latency", stream=Stream.UPSTREAM, attributes={"latency": 5})
    assert (toxic.name, toxic.stream, toxic.attributes) == (
        "latency_upstream",
        Stream.UPSTREAM,
        {"latency": 5, "jitter": 0},
    )
    updated = await toxiproxy.update_toxic(echo_proxy.name, toxic.name, toxicity=0.5)
    assert updated.toxicity == 0.5
    assert updated.attributes == toxic.attributes
    assert await toxiproxy.toxics(echo_proxy.name) == [updated]
    moved = await toxiproxy.update_proxy(echo_proxy.name, upstream="127.0.0.1:9")
    assert moved.upstream == "127.0.0.1:9"
    assert moved.toxics == [updated]
    spaced = await toxiproxy.add_toxic(echo_proxy.name, "noop", name="chaos r1 spaced")
    assert await toxiproxy.toxic(echo_proxy.name, "chaos r1 spaced") == spaced
    await toxiproxy.delete_toxic(echo_proxy.name, toxic.name)
    await toxiproxy.delete_proxy(echo_proxy.name)
    assert echo_proxy.name not in await toxiproxy.proxies()


async def test_populate_keeps_existing_proxies_and_their_toxics(
    toxiproxy: ToxiproxyClient, echo_proxy: Proxy, names: Names, echo: EchoServer
) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "latency")
    specs = [
        ProxySpec(name=echo_proxy.name, upstream=echo_proxy.upstream, listen=echo_proxy.listen),
        ProxySpec(name=names("new"), upstream=echo.address),
    ]
    kept, created = await toxiproxy.populate(specs)
    assert kept.listen == echo_proxy.listen
    assert [toxic.type for toxic in kept.toxics] == ["latency"]
    assert created.enabled
    assert await toxiproxy.populate([]) == []


async def test_reset_run_removes_only_that_runs_toxics(
    toxiproxy: ToxiproxyClient, echo_proxy: Proxy, names: Names, echo: EchoServer
) -> None:
    other = await toxiproxy.create_proxy(names("other"), echo.address, enabled=False)
    for name in ("chaos-r1-slow", "chaos-r1-cut", "chaos-r10-slow", "someone-else", "their-r1-toxic"):
        await toxiproxy.add_toxic(echo_proxy.name, "latency", name=name)
    undone = await toxiproxy.reset_run("r1", enable=[other.name, names("gone")])
    assert sorted(undone.removed) == [(echo_proxy.name, "chaos-r1-cut"), (echo_proxy.name, "chaos-r1-slow")]
    assert undone.enabled == [other.name]
    left = [toxic.name for toxic in await toxiproxy.toxics(echo_proxy.name)]
    assert left == ["chaos-r10-slow", "someone-else", "their-r1-toxic"]  # a run owns chaos-<run>-* only
    assert (await toxiproxy.proxy(other.name)).enabled
    again = await toxiproxy.reset_run("r1")
    assert again.removed == []


async def test_a_refused_connection_is_unreachable() -> None:
    async with ToxiproxyClient("http://127.0.0.1:1", timeout=1.0) as client:
        with pytest.raises(ToxiproxyUnreachable, match="GET /version failed"):
            await client.version()


async def test_every_call_times_out() -> None:
    """A server that accepts and never answers: the call fails after the timeout, not never."""

    accepted: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with ToxiproxyClient(f"http://127.0.0.1:{port}", timeout=0.3) as client:
            started = time.monotonic()
            with pytest.raises(ToxiproxyUnreachable, match="timed out"):
                await client.proxies()
            assert time.monotonic() - started < 2.0
    finally:
        server.close()
        for writer in accepted:
            await close(writer)
        await server.wait_closed()


@pytest.fixture
async def embedded() -> AsyncIterator[EmbeddedServer]:
    """An embedded server in this test's own loop (asyncio's default loop, not uvloop)."""
    async with EmbeddedServer() as server:
        yield server


async def test_counters_count_accepted_cut_and_reset_connections(embedded: EmbeddedServer, echo: EchoServer) -> None:
    async with ToxiproxyClient(embedded.url) as client:
        proxy = await client.create_proxy("primary", echo.address)
        await round_trip(proxy)
        await client.add_toxic("primary", "limit_data", name="cut", attributes={"bytes": 1})
        reader, writer = await connect(proxy)
        writer.write(b"hello")
        assert await asyncio.wait_for(reader.read(), 5) == b"h"
        await close(writer)
        await client.delete_toxic("primary", "cut")
        await client.add_toxic("primary", "reset_peer", stream=Stream.UPSTREAM)
        reader, writer = await connect(proxy)
        writer.write(b"hello")
        with pytest.raises(ConnectionResetError):
            await asyncio.wait_for(reader.read(), 5)
        writer.close()
        await client.update_proxy("primary", enabled=False)  # refused in the kernel: not counted
        [counters] = await client.counters()
    assert (counters.proxy, counters.accepted, counters.cut, counters.reset) == ("primary", 3, 1, 1)
    assert abs(counters.t - time.time()) < 60


async def test_counters_are_empty_from_a_server_without_them() -> None:
    """A real Toxiproxy has no such metrics (or no /metrics at all)."""
    app = web.Application()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with ToxiproxyClient(f"http://127.0.0.1:{runner.addresses[0][1]}") as client:
            assert await client.counters() == []
    finally:
        await runner.cleanup()


async def test_one_process_drives_several_servers(echo: EchoServer) -> None:
    async with (
        EmbeddedServer() as first,
        EmbeddedServer() as second,
        ToxiproxyClient(first.url) as a,
        ToxiproxyClient(second.url) as b,
    ):
        await a.create_proxy("only-in-first", echo.address)
        assert list(await a.proxies()) == ["only-in-first"]
        assert await b.proxies() == {}
