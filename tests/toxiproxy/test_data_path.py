"""What a proxy does to the bytes and connections crossing it, modelled on Toxiproxy's
``proxy_test.go`` and ``toxics/*_test.go``; against any server (``TOXIPROXY_URL``).

Timing checks hold the lower bound tight (the delay really happened) and the upper bound
loose (the machine is shared): at most 2x.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.models import Proxy, Stream
from tests.toxiproxy.proxy_helpers import EchoServer, Names, close, connect, host_port, round_trip


async def read_until_eof(reader: asyncio.StreamReader, timeout: float = 5.0) -> bytes:
    return await asyncio.wait_for(reader.read(), timeout)


async def timed_round_trip(proxy: Proxy, payload: bytes = b"hello") -> float:
    started = time.monotonic()
    assert await round_trip(proxy, payload) == payload
    return time.monotonic() - started


async def refused(proxy: Proxy) -> bool:
    try:
        _, writer = await connect(proxy)
    except ConnectionRefusedError:
        return True
    await close(writer)
    return False


class ClosingServer:
    """An upstream that sends a greeting and closes at once."""

    def __init__(self, greeting: bytes) -> None:
        self.greeting = greeting
        self.address = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> ClosingServer:
        self._server = await asyncio.start_server(self._greet, "127.0.0.1", 0)
        self.address = f"127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def _greet(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(self.greeting)
        await writer.drain()
        await close(writer)

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def greeting_proxy(toxiproxy: ToxiproxyClient, names: Names) -> AsyncIterator[Proxy]:
    async with ClosingServer(b"bye") as server:
        yield await toxiproxy.create_proxy(names("greet"), server.address)


# -- plain forwarding -------------------------------------------------------------------


async def test_bytes_cross_both_ways_intact(echo_proxy: Proxy) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    assert await round_trip(echo_proxy, payload, timeout=20) == payload


async def test_the_upstream_is_dialled_per_accepted_connection(echo_proxy: Proxy, echo: EchoServer) -> None:
    assert echo.connections == 0
    for _ in range(3):
        await round_trip(echo_proxy)
    assert echo.connections == 3


async def test_an_unreachable_upstream_closes_the_client(toxiproxy: ToxiproxyClient, names: Names) -> None:
    proxy = await toxiproxy.create_proxy(names(), "127.0.0.1:1")
    reader, writer = await connect(proxy)
    assert await read_until_eof(reader) == b""
    await close(writer)


# -- enabling, disabling, deleting ----------------------------------------------------


async def test_disabling_refuses_new_connections_and_ends_live_ones(
    toxiproxy: ToxiproxyClient, echo_proxy: Proxy
) -> None:
    reader, writer = await connect(echo_proxy)
    writer.write(b"ping")
    assert await asyncio.wait_for(reader.readexactly(4), 5) == b"ping"
    await toxiproxy.update_proxy(echo_proxy.name, enabled=False)
    assert await read_until_eof(reader) == b""
    await close(writer)
    assert await refused(echo_proxy)
    enabled = await toxiproxy.update_proxy(echo_proxy.name, enabled=True)
    assert enabled.listen == echo_proxy.listen
    assert await round_trip(enabled) == b"hello"


async def test_deleting_ends_live_connections_and_frees_the_port(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    reader, writer = await connect(echo_proxy)
    await toxiproxy.delete_proxy(echo_proxy.name)
    assert await read_until_eof(reader) == b""
    await close(writer)
    assert await refused(echo_proxy)


async def test_reset_reenables_a_disabled_proxy(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.update_proxy(echo_proxy.name, enabled=False)
    await toxiproxy.reset()
    assert await round_trip(echo_proxy) == b"hello"


# -- toxics ---------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [Stream.DOWNSTREAM, Stream.UPSTREAM])
async def test_latency_adds_its_delay(toxiproxy: ToxiproxyClient, echo_proxy: Proxy, stream: Stream) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "latency", stream=stream, attributes={"latency": 300})
    elapsed = await timed_round_trip(echo_proxy)
    assert 0.28 <= elapsed <= 0.6


async def test_latency_jitter_stays_within_its_bounds(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "latency", attributes={"latency": 200, "jitter": 100})
    for _ in range(3):
        assert 0.09 <= await timed_round_trip(echo_proxy) <= 0.6


async def test_bandwidth_limits_the_rate(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "bandwidth", attributes={"rate": 10})
    elapsed = await timed_round_trip(echo_proxy, b"x" * 5000)
    assert 0.45 <= elapsed <= 1.0


async def test_slow_close_delays_the_close(toxiproxy: ToxiproxyClient, greeting_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(greeting_proxy.name, "slow_close", attributes={"delay": 300})
    started = time.monotonic()
    reader, writer = await connect(greeting_proxy)
    assert await read_until_eof(reader) == b"bye"
    assert 0.28 <= time.monotonic() - started <= 0.6
    await close(writer)


async def test_timeout_swallows_data_then_closes(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "timeout", attributes={"timeout": 300})
    started = time.monotonic()
    reader, writer = await connect(echo_proxy)
    writer.write(b"hello")
    assert await read_until_eof(reader) == b""
    assert 0.28 <= time.monotonic() - started <= 0.6
    await close(writer)


async def test_timeout_zero_holds_until_removed_and_removing_closes(
    toxiproxy: ToxiproxyClient, echo_proxy: Proxy
) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "timeout", name="hold", attributes={"timeout": 0})
    reader, writer = await connect(echo_proxy)
    writer.write(b"hello")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.5)
    await toxiproxy.delete_toxic(echo_proxy.name, "hold")
    assert await read_until_eof(reader, timeout=2) == b""
    await close(writer)


@pytest.mark.parametrize("stream", [Stream.UPSTREAM, Stream.DOWNSTREAM])
async def test_reset_peer_resets_new_connections(toxiproxy: ToxiproxyClient, echo_proxy: Proxy, stream: Stream) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "reset_peer", stream=stream, attributes={"timeout": 0})
    reader, writer = await connect(echo_proxy)
    writer.write(b"reset toxic payload\n")
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(100), 5)
    writer.close()


async def test_reset_peer_waits_its_timeout(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "reset_peer", stream=Stream.UPSTREAM, attributes={"timeout": 200})
    started = time.monotonic()
    reader, writer = await connect(echo_proxy)
    writer.write(b"payload")
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(100), 5)
    assert 0.19 <= time.monotonic() - started <= 0.4
    writer.close()


async def test_reset_peer_only_closes_connections_older_than_it(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    reader, writer = await connect(echo_proxy)
    writer.write(b"a")
    assert await asyncio.wait_for(reader.readexactly(1), 5) == b"a"
    await toxiproxy.add_toxic(echo_proxy.name, "reset_peer", stream=Stream.UPSTREAM)
    writer.write(b"b")
    assert await read_until_eof(reader) == b""
    await close(writer)


async def test_limit_data_delivers_the_limit_then_eof(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "limit_data", attributes={"bytes": 3})
    reader, writer = await connect(echo_proxy)
    writer.write(b"hello")
    assert await read_until_eof(reader) == b"hel"
    await close(writer)


async def test_slicer_delivers_everything_in_delayed_pieces(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(
        echo_proxy.name, "slicer", attributes={"average_size": 10, "size_variation": 0, "delay": 20_000}
    )
    payload = bytes(range(100))
    reader, writer = await connect(echo_proxy)
    started = time.monotonic()
    writer.write(payload)
    pieces = []
    while sum(map(len, pieces)) < len(payload):
        pieces.append(await asyncio.wait_for(reader.read(1000), 5))
    assert b"".join(pieces) == payload
    assert len(pieces) > 1
    assert time.monotonic() - started >= 0.1  # at least 8 pieces of 10 B, 20 ms apart
    await close(writer)


async def test_noop_changes_nothing(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "noop")
    assert await round_trip(echo_proxy) == b"hello"


async def test_toxicity_zero_never_applies(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "latency", toxicity=0.0, attributes={"latency": 2000})
    assert await timed_round_trip(echo_proxy) < 1.0


async def test_toxics_apply_to_live_connections(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    reader, writer = await connect(echo_proxy)

    async def exchange() -> float:
        started = time.monotonic()
        writer.write(b"ping")
        assert await asyncio.wait_for(reader.readexactly(4), 5) == b"ping"
        return time.monotonic() - started

    assert await exchange() < 0.2
    await toxiproxy.add_toxic(echo_proxy.name, "latency", name="slow", attributes={"latency": 300})
    assert 0.28 <= await exchange() <= 0.6
    await toxiproxy.update_toxic(echo_proxy.name, "slow", attributes={"latency": 100})
    assert 0.09 <= await exchange() <= 0.3
    await toxiproxy.delete_toxic(echo_proxy.name, "slow")
    assert await exchange() < 0.2
    await close(writer)


async def test_removing_a_toxic_loses_no_data_in_flight(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "latency", name="slow", attributes={"latency": 500})
    reader, writer = await connect(echo_proxy)
    writer.write(b"first")
    await asyncio.sleep(0.1)
    await toxiproxy.delete_toxic(echo_proxy.name, "slow")
    writer.write(b"second")
    assert await asyncio.wait_for(reader.readexactly(11), 5) == b"firstsecond"
    await close(writer)


async def test_many_concurrent_connections(echo_proxy: Proxy) -> None:
    payloads = [f"conn-{i}".encode() * 100 for i in range(100)]
    results = await asyncio.gather(*(round_trip(echo_proxy, payload) for payload in payloads))
    assert results == payloads


async def test_listen_is_reported_resolved(toxiproxy: ToxiproxyClient, names: Names, echo: EchoServer) -> None:
    proxy = await toxiproxy.create_proxy(names(), echo.address, listen="localhost:0")
    host, port = host_port(proxy.listen)
    assert host == "127.0.0.1"
    assert port > 0


async def test_updating_a_toxic_restarts_it_on_live_connections(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "timeout", name="hold", attributes={"timeout": 0})
    reader, writer = await connect(echo_proxy)
    writer.write(b"hello")
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await toxiproxy.update_toxic(echo_proxy.name, "hold", attributes={"timeout": 200})
    assert await read_until_eof(reader) == b""
    assert 0.19 <= time.monotonic() - started <= 0.6
    await close(writer)


async def test_toxicity_is_rolled_per_connection(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    """With toxicity 0.5, of 20 connections some are delayed and some are not (all alike: p = 2e-6)."""
    await toxiproxy.add_toxic(echo_proxy.name, "latency", toxicity=0.5, attributes={"latency": 300})
    elapsed = await asyncio.gather(*(timed_round_trip(echo_proxy) for _ in range(20)))
    delayed = sum(seconds >= 0.28 for seconds in elapsed)
    assert 0 < delayed < 20


async def test_chained_toxics_all_apply(toxiproxy: ToxiproxyClient, echo_proxy: Proxy) -> None:
    await toxiproxy.add_toxic(echo_proxy.name, "latency", attributes={"latency": 200})
    await toxiproxy.add_toxic(echo_proxy.name, "bandwidth", attributes={"rate": 10})
    up = {"latency": 100}
    await toxiproxy.add_toxic(echo_proxy.name, "latency", name="up", stream=Stream.UPSTREAM, attributes=up)
    elapsed = await timed_round_trip(echo_proxy, b"x" * 3000)
    assert 0.58 <= elapsed <= 1.3  # 100 ms up, 200 ms down, 300 ms of bandwidth
