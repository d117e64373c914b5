"""Many connections at once through one proxy (end to end: a spawned server, real sockets)."""

from __future__ import annotations

import asyncio

import pytest

from chaos.toxiproxy.models import Proxy
from tests.toxiproxy.proxy_helpers import close, connect

CONNECTIONS = 1000


@pytest.mark.e2e
async def test_a_thousand_concurrent_connections_through_one_proxy(echo_proxy: Proxy) -> None:
    """Every connection is open at the same time before any of them sends, and each gets
    its own bytes back: no refusal, no reset, no mix-up.
    """
    opened = await asyncio.gather(*(connect(echo_proxy) for _ in range(CONNECTIONS)))
    try:
        for number, (_, writer) in enumerate(opened):
            writer.write(f"connection {number:04d}\n".encode())
        replies = await asyncio.wait_for(asyncio.gather(*(reader.readline() for reader, _ in opened)), timeout=60)
    finally:
        await asyncio.gather(*(close(writer) for _, writer in opened))
    assert replies == [f"connection {number:04d}\n".encode() for number in range(CONNECTIONS)]
