"""The gateway's Prometheus metrics, served at ``/metrics``: what its dashboards and the
team's alerting rules read.

    gateway_requests_total{status}       chat requests answered, by HTTP status
    gateway_fallbacks_total{provider}    answers a provider other than the first gave
    gateway_degraded_total{kind}         cached or canned answers
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class GatewayMetrics:
    """Each series the dashboards and rules read exists at 0 from the start (Prometheus's
    advice for counters): a rate over a series that appears with its first fallback
    needs two scrapes of it before it says anything."""

    def __init__(self, fallback_providers: Sequence[str]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gateway_requests", "Chat requests answered, by status.", ["status"], registry=self.registry
        )
        self.fallbacks = Counter(
            "gateway_fallbacks", "Answers a fallback provider gave.", ["provider"], registry=self.registry
        )
        self.degraded = Counter("gateway_degraded", "Cached or canned answers.", ["kind"], registry=self.registry)
        self.requests.labels(status="200")
        for provider in fallback_providers:
            self.fallbacks.labels(provider=provider)
        for kind in ("cached", "canned"):
            self.degraded.labels(kind=kind)

    def count(self, fields: dict[str, Any]) -> None:
        """One request, from the fields of its log line."""
        self.requests.labels(status=str(fields.get("status", "none"))).inc()
        if fields.get("fallback"):
            self.fallbacks.labels(provider=str(fields.get("served_by"))).inc()
        if fields.get("degraded"):
            self.degraded.labels(kind=str(fields["degraded"])).inc()

    async def serve(self, request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.registry), headers={"content-type": CONTENT_TYPE_LATEST})
