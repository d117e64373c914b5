"""Helpers of the Toxiproxy suite: a spawned server, an echo upstream, sockets through a proxy."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from chaos.stack.processes import terminate
from chaos.toxiproxy.launch import ServerChoice, ServerKind, wait_until_ready
from chaos.toxiproxy.models import Proxy


class spawn_embedded:
    """``chaos proxy serve`` as a child process, killed on exit whatever happens."""

    def __init__(self, ready_file: Path, *extra: str) -> None:
        self.argv = [sys.executable, "-m", "chaos", "proxy", "serve", "--port", "0", "--ready-file", str(ready_file)]
        self.argv += extra
        self.choice = ServerChoice(ServerKind.EMBEDDED, argv=tuple(self.argv), ready_file=ready_file)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        self.process = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            return asyncio.run(wait_until_ready(self.choice, exit_code=self.process.poll))
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        terminate(self.process, grace=10)
        if self.process.stderr is not None:
            self.process.stderr.close()


@dataclass
class Names:
    """Unique proxy names for one test; every proxy named here is deleted afterwards."""

    prefix: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:8]}")
    issued: list[str] = field(default_factory=list)

    def __call__(self, label: str = "p") -> str:
        name = f"{self.prefix}-{label}"
        self.issued.append(name)
        return name


class EchoServer:
    """An upstream on loopback that echoes what it reads and counts the connections it got."""

    def __init__(self) -> None:
        self.connections = 0
        self.received = bytearray()
        self._server: asyncio.Server | None = None
        self.address = ""

    async def start(self) -> EchoServer:
        self._server = await asyncio.start_server(self._echo, "127.0.0.1", 0)
        self.address = f"127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def _echo(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while data := await reader.read(65536):
                self.received += data
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            await close(writer)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def host_port(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


async def connect(proxy: Proxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = host_port(proxy.listen)
    return await asyncio.open_connection(host, port)


async def round_trip(proxy: Proxy, payload: bytes = b"hello", *, timeout: float = 5.0) -> bytes:
    """Send ``payload`` through the proxy to the echo server and read back as much."""
    reader, writer = await connect(proxy)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), timeout)
    finally:
        await close(writer)


async def close(writer: asyncio.StreamWriter) -> None:
    """Close and wait, so that no transport outlives the test's loop."""
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
