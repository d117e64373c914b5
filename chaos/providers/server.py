"""One providers process: every provider on its own port, and the admin API on another.

``ProvidersServer.start()`` binds every port (0 picks a free one) and returns what the
ready-file says; ``serve()`` also writes the ready-file atomically once every port
listens and runs until told to stop. Faults on a provider's port (a hang, a stall)
never block the admin API: it has its own listener and its handlers never wait on a
provider.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from chaos.errors import EnvironmentProblem
from chaos.httpserver import GuardedSite
from chaos.providers.admin import AdminApi
from chaos.providers.behaviours import Behaviours
from chaos.providers.config import ServeConfig
from chaos.providers.lease import Lease
from chaos.providers.ledger import Ledger
from chaos.providers.metrics import ProviderMetrics
from chaos.providers.provider import MockProvider, Shared
from chaos.scenario.base import Api

LISTEN_BACKLOG = 4096
# Hung and stalled requests never end by themselves; on shutdown they are cancelled
# after this grace.
SHUTDOWN_GRACE_S = 1.0


@dataclass(frozen=True)
class Ready:
    admin: str
    providers: dict[str, dict[str, str]]

    def as_dict(self) -> dict[str, Any]:
        return {"admin": self.admin, "providers": self.providers}


class ProvidersServer:
    def __init__(
        self,
        config: ServeConfig,
        *,
        host: str = "127.0.0.1",
        admin_port: int = 0,
        seed: int = 0,
        admin_token: str | None = None,
    ) -> None:
        self.config = config
        self.host = host
        self.admin_port = admin_port
        self.admin_token = admin_token
        self.shared = Shared(
            behaviours=Behaviours(
                {spec.name for spec in config.providers},
                seed,
                versions={spec.name: tuple(spec.provider.versions) for spec in config.providers},
            ),
            ledger=Ledger(),
            lease=Lease(),
            metrics=ProviderMetrics(),
            seed=seed,
        )
        self.shared.metrics.behaviours = self.shared.behaviours.counts
        self.providers = [MockProvider(spec, self.shared) for spec in config.providers]
        self._runners: list[web.AppRunner] = []

    async def start(self) -> Ready:
        urls: dict[str, str] = {}
        described: dict[str, dict[str, str]] = {}
        try:
            for provider in self.providers:
                port = await self._listen(provider.app(), provider.spec.port, handler_cancellation=True)
                base = f"http://{self.host}:{port}"
                urls[provider.name] = base + "/v1" if provider.api is Api.OPENAI else base
                described[provider.name] = {
                    "url": urls[provider.name],
                    "api": provider.api.value,
                    "model": provider.spec.provider.model,
                }
            admin = AdminApi(self.shared, self.providers, urls, token=self.admin_token)
            admin_port = await self._listen(admin.app(), self.admin_port, handler_cancellation=False)
        except OSError as exc:
            await self.stop()
            raise EnvironmentProblem(f"cannot listen on {self.host}: {exc.strerror or exc}") from None
        return Ready(admin=f"http://{self.host}:{admin_port}", providers=described)

    async def stop(self) -> None:
        runners, self._runners = self._runners, []
        for runner in reversed(runners):
            await runner.cleanup()

    async def _listen(self, app: web.Application, port: int, *, handler_cancellation: bool) -> int:
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE_S, handler_cancellation=handler_cancellation
        )
        await runner.setup()
        self._runners.append(runner)
        site = GuardedSite(runner, self.host, port, backlog=LISTEN_BACKLOG, reuse_address=True)
        await site.start()
        address = runner.addresses[-1]
        return int(address[1])


def write_ready_file(path: Path, ready: Ready) -> None:
    """Write atomically: a reader sees no file or the whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(ready.as_dict(), out, indent=2)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


async def serve(
    server: ProvidersServer,
    stop: asyncio.Event,
    ready_file: Path | None = None,
    on_ready: Callable[[Ready], None] | None = None,
) -> Ready:
    """Start, announce, run until ``stop`` is set, then stop; returns what was announced."""
    ready = await server.start()
    # What is alive now (modules, models, the app) lives as long as the process: moved out
    # of the collector's sight, it is not re-scanned on every full collection under load.
    gc.collect()
    gc.freeze()
    try:
        if ready_file is not None:
            write_ready_file(ready_file, ready)
        if on_ready is not None:
            on_ready(ready)
        await stop.wait()
    finally:
        await server.stop()
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)
    return ready
