"""Running the embedded server: in-process (tests, benchmarks) or as ``chaos proxy serve``.

    async with EmbeddedServer() as server:      # API on 127.0.0.1, a free port
        client = ToxiproxyClient(server.url)

``serve`` is the process: API up, ``--config`` populated, ready-file written, then wait for
SIGTERM or SIGINT and stop every proxy.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import structlog
from aiohttp import web

from chaos.errors import ChaosError, EnvironmentProblem
from chaos.httpserver import GuardedSite
from chaos.toxiproxy.server.api import build_app
from chaos.toxiproxy.server.decode import parse_body
from chaos.toxiproxy.server.errors import ApiError
from chaos.toxiproxy.server.registry import Registry


class EmbeddedServer:
    """The Toxiproxy-compatible API and its proxies, in this process's event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.registry = Registry()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> str:
        runner = web.AppRunner(build_app(self.registry), access_log=None, handle_signals=False)
        await runner.setup()
        site = GuardedSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise EnvironmentProblem(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}") from exc
        self._runner = runner
        self.port = runner.addresses[0][1]
        return self.url

    async def close(self) -> None:
        await self.registry.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


async def serve(host: str, port: int, *, config: Path | None = None, ready_file: Path | None = None) -> None:
    """Serve until SIGTERM or SIGINT; raise ``ChaosError`` for a bad config or a taken port."""
    entries = read_config(config) if config is not None else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with EmbeddedServer(host, port) as server:
        if entries is not None:
            try:
                await server.registry.populate(entries)
            except ApiError as exc:
                raise ChaosError(f"{config}: {exc.message}") from exc
        if ready_file is not None:
            write_ready_file(ready_file, {"api": server.url})
        structlog.get_logger().info("toxiproxy api ready", api=server.url, proxies=len(server.registry.proxies))
        try:
            await stop.wait()
        finally:  # a file left behind would name an API that is gone
            if ready_file is not None:
                ready_file.unlink(missing_ok=True)


def read_config(path: Path) -> Any:
    """Toxiproxy's own config: the JSON list ``POST /populate`` takes."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ChaosError(f"{path}: cannot read the config: {exc.strerror or exc}") from exc
    try:
        entries = parse_body(raw)
    except ApiError as exc:
        raise ChaosError(f"{path}: {exc.message}") from exc
    if not isinstance(entries, list):
        raise ChaosError(f"{path}: expected a JSON list of proxies, as toxiproxy-server -config takes")
    return entries


def write_ready_file(path: Path, content: dict[str, str]) -> None:
    """Write atomically, so that a reader polling for it never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as out:
        json.dump(content, out)
    os.replace(tmp, path)


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``main`` on uvloop when it is installed, else on asyncio's default loop."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop is a dependency where it builds
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main())
