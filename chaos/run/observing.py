"""What a run starts to watch the target's own telemetry, and stops after the target.

    observe.traces   an OTLP/HTTP receiver, before the target (it is told where through
                     OTEL_EXPORTER_OTLP_ENDPOINT): spans into spans.jsonl
    observe.metrics  the target's Prometheus endpoint scraped every interval, from the
                     moment it is healthy until after the load stopped: metrics.jsonl
    observe.alerts   a real Prometheus on loopback scraping the target with the team's
                     rules; its ALERTS are read back into alerts.jsonl before it stops

Each is entered on the run's exit stack, so it stops in reverse order: the scraper takes a
last scrape, Prometheus gives its ALERTS, the receiver outlives the target's last flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from contextlib import AsyncExitStack
from urllib.parse import urlsplit

import httpx
import structlog
import yaml

from chaos.observe.prometheus import NOT_FOUND, argv, config, prometheus_binary, read_alerts
from chaos.observe.receiver import OtlpReceiver
from chaos.observe.scrape import Scraper
from chaos.run.jsonl import JsonlWriter
from chaos.rundir import RunDir
from chaos.scenario.loading import ScenarioFile
from chaos.stack.local import READY_TIMEOUT_S, free_port
from chaos.stack.processes import spawn, stop, wait_healthy

log = structlog.get_logger()


async def receive_traces(exits: AsyncExitStack, loaded: ScenarioFile, run_dir: RunDir) -> str | None:
    """The OTLP endpoint the target is to export to, when the scenario checks traces."""
    traces = loaded.scenario.observe.traces
    if traces is None:
        return None
    spans = exits.enter_context(JsonlWriter(run_dir.spans))
    receiver = await exits.enter_async_context(
        OtlpReceiver(lambda rows: spans.write_all(list(rows)), port=traces.port or 0)
    )
    log.info("otlp receiver listening", endpoint=receiver.endpoint)
    return receiver.endpoint


async def watch_metrics(
    exits: AsyncExitStack, loaded: ScenarioFile, run_dir: RunDir, run_id: str, target_url: str
) -> None:
    """The scraper and the Prometheus the scenario's metrics and alerts checks need."""
    observe = loaded.scenario.observe
    url = f"{target_url.rstrip('/')}{observe.metrics_path}"
    if observe.metrics is not None:
        samples = exits.enter_context(JsonlWriter(run_dir.metrics))
        scraper = Scraper(url, lambda batch: samples.write_all(list(batch)), interval=observe.metrics.interval)
        exits.push_async_callback(scraper.aclose)
        task = asyncio.create_task(scraper.run())

        async def last_scrape() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await scraper.scrape()  # after the load stopped: the counters' final values
            log.info("metrics scraped", scrapes=scraper.scrapes, failed=scraper.failed)

        exits.push_async_callback(last_scrape)
    if observe.alerts is not None:
        await _prometheus(exits, loaded, run_dir, run_id, url)


async def _prometheus(exits: AsyncExitStack, loaded: ScenarioFile, run_dir: RunDir, run_id: str, url: str) -> None:
    observe = loaded.scenario.observe
    assert observe.alerts is not None
    binary = prometheus_binary()
    if binary is None:
        log.warning(NOT_FOUND)
        return
    target = urlsplit(url)
    interval = observe.metrics.interval if observe.metrics is not None else 1.0
    run_dir.prometheus_data.mkdir(parents=True, exist_ok=True)
    rules = loaded.resolve(observe.alerts.rules)
    written = config(target.netloc, target.path or "/metrics", rules, interval)
    run_dir.prometheus_config.write_text(yaml.safe_dump(written, sort_keys=False), encoding="utf-8")
    port = free_port()
    command = argv(binary, run_dir.prometheus_config, run_dir.prometheus_data, port)
    child = await spawn("prometheus", command, log_path=run_dir.log("prometheus"), run_id=run_id)
    exits.push_async_callback(stop, child)
    api = f"http://127.0.0.1:{port}"
    await wait_healthy(f"{api}/-/ready", timeout=READY_TIMEOUT_S, child=child)
    started = time.time()
    log.info("prometheus evaluating the team's rules", url=api, rules=str(rules))

    async def save_alerts() -> None:
        try:
            found = await read_alerts(api, started, time.time())
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            log.warning("could not read ALERTS from prometheus", error=str(exc)[:200])
            return
        with JsonlWriter(run_dir.alerts) as alerts:
            alerts.write_all(list(found))

    exits.push_async_callback(save_alerts)
