"""Prometheus metrics of one providers process, in its own registry (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "ProviderMetrics"]


class ProviderMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "chaos_provider_requests",
            "Requests answered, by provider, endpoint, status and the behaviour applied.",
            ["provider", "endpoint", "status", "fault"],
            registry=self.registry,
        )
        self.tokens = Counter(
            "chaos_provider_billed_tokens",
            "Tokens billed, by provider and direction (input, output).",
            ["provider", "direction"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "chaos_provider_in_flight", "Requests being answered.", ["provider"], registry=self.registry
        )
        self.behaviours = Gauge(
            "chaos_provider_behaviours_active", "Behaviours active.", ["provider"], registry=self.registry
        )

    def observe(self, provider: str, endpoint: str, status: int, fault: str | None, tokens: tuple[int, int]) -> None:
        self.requests.labels(provider, endpoint, str(status), fault or "").inc()
        if tokens[0]:
            self.tokens.labels(provider, "input").inc(tokens[0])
        if tokens[1]:
            self.tokens.labels(provider, "output").inc(tokens[1])

    def render(self) -> bytes:
        return generate_latest(self.registry)
