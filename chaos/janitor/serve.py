"""``chaos janitor``: the sweeps, and the janitor's own ``/healthz`` and ``/metrics``.

    GET /healthz   {"ok": true, "sweeps": N, "last_sweep_at": T}; 503 once no sweep has
                   ended for three periods (the janitor is stuck)
    GET /metrics   Prometheus text: sweeps, failed sweeps, runs reverted, and what was
                   reverted by kind

It serves on 127.0.0.1 unless told otherwise, and runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from chaos.containers import Engine
from chaos.errors import EnvironmentProblem
from chaos.httpserver import GuardedSite
from chaos.janitor.sweep import Janitor, Tally
from chaos.providers.admin_client import AdminClient
from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.server.serve import write_ready_file

log = structlog.get_logger()

STUCK_PERIODS = 3


@dataclass(frozen=True)
class JanitorConfig:
    providers_admin: str
    toxiproxy: str | None
    docker: str | None  # the engine's URL, or None: container faults are not reverted
    admin_token: str | None
    period_s: float
    host: str
    port: int
    ready_file: Path | None


class TallyMetrics(Collector):
    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    def collect(self) -> Iterator[Metric]:
        tally = self.tally
        yield _counter("chaos_janitor_sweeps", "Sweeps of the lapsed leases.", tally.sweeps)
        yield _counter("chaos_janitor_sweep_errors", "Sweeps that could not revert everything.", tally.sweep_errors)
        yield _counter("chaos_janitor_runs_reverted", "Lapsed runs whose leftovers were reverted.", tally.runs_reverted)
        reverted = CounterMetricFamily(
            "chaos_janitor_reverted", "Leftovers of lapsed runs reverted, by kind.", labels=["kind"]
        )
        for kind, count in (
            ("behaviour", tally.behaviours),
            ("toxic", tally.toxics),
            ("proxy_enabled", tally.proxies_enabled),
            ("container", tally.containers),
        ):
            reverted.add_metric([kind], count)
        yield reverted
        yield GaugeMetricFamily(
            "chaos_janitor_last_sweep_timestamp_seconds", "When the last sweep began.", value=tally.last_sweep_at
        )


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def build_app(janitor: Janitor, period_s: float) -> web.Application:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TallyMetrics(janitor.tally))

    async def healthz(request: web.Request) -> web.Response:
        tally = janitor.tally
        stuck = time.time() - tally.last_sweep_at > STUCK_PERIODS * period_s + 5
        body = {"ok": not stuck, "sweeps": tally.sweeps, "last_sweep_at": tally.last_sweep_at}
        return web.json_response(body, status=503 if stuck else 200)

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def serve(config: JanitorConfig) -> None:
    """Sweep and serve until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with AsyncExitStack() as exits:
        admin = await exits.enter_async_context(AdminClient(config.providers_admin, token=config.admin_token))
        toxiproxy = None
        if config.toxiproxy is not None:
            toxiproxy = await exits.enter_async_context(ToxiproxyClient(config.toxiproxy))
        engine = None
        if config.docker is not None:
            engine = await Engine.connect(config.docker)
            exits.push_async_callback(engine.close)
        janitor = Janitor(admin, toxiproxy, engine)
        runner = web.AppRunner(build_app(janitor, config.period_s), access_log=None, handle_signals=False)
        await runner.setup()
        exits.push_async_callback(runner.cleanup)
        try:
            await GuardedSite(runner, config.host, config.port).start()
        except OSError as exc:
            raise EnvironmentProblem(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}") from exc
        url = f"http://{config.host}:{runner.addresses[0][1]}"
        if config.ready_file is not None:
            write_ready_file(config.ready_file, {"url": url})
            exits.callback(config.ready_file.unlink, missing_ok=True)
        log.info(
            "janitor watching",
            url=url,
            providers_admin=config.providers_admin,
            toxiproxy=config.toxiproxy,
            docker=config.docker,
            period_s=config.period_s,
        )
        await janitor.watch(config.period_s, stop)
