"""Prometheus metrics of one providers process, in its own registry (no global state).

Counts are plain dictionaries updated on each request and turned into metric families
only when scraped: prometheus-client's labelled children cost more per request than the
rest of a zero-latency answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE_LATEST", "ProviderMetrics"]

RequestKey = tuple[str, str, int, str]  # provider, endpoint, status, fault


class ProviderMetrics(Collector):
    def __init__(self) -> None:
        self.requests: Counter[RequestKey] = Counter()
        self.tokens: Counter[tuple[str, str]] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.behaviours: Callable[[], dict[str, int]] = dict
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def observe(self, provider: str, endpoint: str, status: int, fault: str | None, tokens: tuple[int, int]) -> None:
        self.requests[(provider, endpoint, status, fault or "")] += 1
        if tokens[0]:
            self.tokens[(provider, "input")] += tokens[0]
        if tokens[1]:
            self.tokens[(provider, "output")] += tokens[1]

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "chaos_provider_requests",
            "Requests answered, by provider, endpoint, status and the behaviours applied.",
            labels=["provider", "endpoint", "status", "fault"],
        )
        for (provider, endpoint, status, fault), count in sorted(self.requests.items()):
            requests.add_metric([provider, endpoint, str(status), fault], count)
        yield requests
        tokens = CounterMetricFamily(
            "chaos_provider_billed_tokens",
            "Tokens billed, by provider and direction.",
            labels=["provider", "direction"],
        )
        for (provider, direction), count in sorted(self.tokens.items()):
            tokens.add_metric([provider, direction], count)
        yield tokens
        in_flight = GaugeMetricFamily("chaos_provider_in_flight", "Requests being answered.", labels=["provider"])
        for provider, count in sorted(self.in_flight.items()):
            in_flight.add_metric([provider], count)
        yield in_flight
        active = GaugeMetricFamily("chaos_provider_behaviours_active", "Behaviours active.", labels=["provider"])
        for provider, count in sorted(self.behaviours().items()):
            active.add_metric([provider], count)
        yield active

    def render(self) -> bytes:
        return generate_latest(self.registry)
