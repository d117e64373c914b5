"""The target's Prometheus endpoint, scraped every second while the run lasts.

Each scrape's samples are one batch of ``MetricSample`` lines in ``metrics.jsonl`` (the
run directory), written as they come, so a killed run keeps what it scraped. A scrape
that fails (the target busy or gone) is counted and skipped: the series keeps its other
points. The exposition text is parsed by ``prometheus_client``'s own parser.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Literal

import httpx
import structlog
from prometheus_client.parser import text_string_to_metric_families
from pydantic import Field

from chaos.records import Record

log = structlog.get_logger()
SCRAPE_TIMEOUT_S = 2.0
UP = "up"


class MetricSample(Record):
    record: Literal["metric"] = "metric"
    t: float = Field(description="When the scrape was answered (epoch seconds).")
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    value: float


def parse_exposition(text: str, t: float) -> list[MetricSample]:
    """The samples of one scrape; ``ValueError`` if the text is not the exposition format."""
    samples = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_created"):  # a counter's creation time, not a value
                continue
            samples.append(MetricSample(t=t, name=sample.name, labels=dict(sample.labels), value=sample.value))
    return samples


class Scraper:
    """``await scraper.scrape()`` once, or ``run()`` every ``interval`` until cancelled."""

    def __init__(self, url: str, sink: Callable[[Sequence[MetricSample]], None], *, interval: float = 1.0) -> None:
        self.url = url
        self.interval = interval
        self._sink = sink
        self._client = httpx.AsyncClient(timeout=SCRAPE_TIMEOUT_S)
        self.scrapes = 0
        self.failed = 0

    async def scrape(self) -> None:
        try:
            answer = await self._client.get(self.url)
            answer.raise_for_status()
            samples = parse_exposition(answer.text, now := time.time())
        except (httpx.HTTPError, ValueError) as exc:
            self.failed += 1
            log.warning("metrics scrape failed", url=self.url, error=str(exc)[:200])
            return
        self.scrapes += 1
        # Prometheus's own mark of a successful scrape: a scrape whose series are all still
        # unexported (labelled counters before their first increment) is still a point.
        self._sink([*samples, MetricSample(t=now, name=UP, value=1.0)])

    async def run(self) -> None:
        next_at = time.monotonic()
        while True:
            await self.scrape()
            next_at += self.interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def aclose(self) -> None:
        await self._client.aclose()
