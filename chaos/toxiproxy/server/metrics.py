"""Connection counters per proxy, beyond Toxiproxy, in Prometheus text on ``/metrics``.

A connection a toxic cut (timeout, limit_data) or reset (reset_peer) never reached the
provider whole, so retry amplification counts it as a call. A disabled proxy refuses in
the kernel: those attempts are never accepted and never counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_METRICS = (
    ("accepted", "chaos_proxy_connections_accepted_total", "Connections the proxy accepted."),
    ("cut", "chaos_proxy_connections_cut_total", "Accepted connections a toxic closed (timeout, limit_data)."),
    ("reset", "chaos_proxy_connections_reset_total", "Accepted connections a toxic reset (reset_peer)."),
)


@dataclass
class ConnectionCounts:
    accepted: int = 0
    cut: int = 0
    reset: int = 0


def render_metrics(counts: Mapping[str, ConnectionCounts]) -> str:
    """Counters per proxy name; they outlive a proxy's deletion, as counters should."""
    lines: list[str] = []
    for attribute, metric, help_text in _METRICS:
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} counter"]
        for name, count in sorted(counts.items()):
            lines.append(f'{metric}{{proxy="{_label(name)}"}} {getattr(count, attribute)}')
    return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
