"""A real Prometheus on loopback that scrapes the target with the team's rules loaded.

The run starts ``prometheus`` (Debian's package ships 2.42; ``CHAOS_PROMETHEUS`` names
another binary) with a configuration written here: the target scraped and the rules
evaluated every second. Before it stops, the run reads back the ``ALERTS`` series over
the run (``read_alerts``) and keeps them in ``alerts.jsonl``. Where no binary is found
the alert expectations are reported as not checked, never as passed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import Field

from chaos.records import Record

BINARY_ENV = "CHAOS_PROMETHEUS"
NOT_FOUND = "not checked: no prometheus binary found (Debian: apt install prometheus; or set CHAOS_PROMETHEUS)"


class AlertSeries(Record):
    """One ``ALERTS`` series of the run: an alert in one state, with its labels, and the
    first and last second Prometheus held it in that state."""

    record: Literal["alert"] = "alert"
    alert: str
    state: str = Field(description="pending or firing.")
    labels: dict[str, str] = Field(default_factory=dict)
    first: float = Field(description="Epoch seconds.")
    last: float


def prometheus_binary(environ: Mapping[str, str] = os.environ) -> str | None:
    named = environ.get(BINARY_ENV)
    if named is not None:
        return named if Path(named).is_file() and os.access(named, os.X_OK) else None
    return shutil.which("prometheus")


def config(target: str, metrics_path: str, rules: Path, interval: float) -> dict[str, Any]:
    """``target``: host:port of the target's metrics endpoint."""
    every = f"{max(1, round(interval * 1000))}ms"
    return {
        "global": {"scrape_interval": every, "evaluation_interval": every, "scrape_timeout": every},
        "rule_files": [str(rules.resolve())],
        "scrape_configs": [
            {"job_name": "target", "metrics_path": metrics_path, "static_configs": [{"targets": [target]}]}
        ],
    }


def argv(binary: str, config_file: Path, data: Path, port: int) -> list[str]:
    return [
        binary,
        f"--config.file={config_file}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=1d",
        "--log.level=warn",
    ]


async def read_alerts(url: str, start: float, end: float) -> list[AlertSeries]:
    """Every ``ALERTS`` series between ``start`` and ``end`` (epoch seconds), second by second."""
    params: dict[str, str | float] = {"query": "ALERTS", "start": start, "end": end, "step": "1"}
    async with httpx.AsyncClient(timeout=10.0) as client:
        answer = await client.get(f"{url}/api/v1/query_range", params=params)
        answer.raise_for_status()
    found = []
    for series in answer.json()["data"]["result"]:
        labels = dict(series["metric"])
        times = [float(t) for t, value in series["values"] if value != "0"]
        if not times:
            continue
        alert, state = labels.pop("alertname", "?"), labels.pop("alertstate", "?")
        labels.pop("__name__", None)
        found.append(AlertSeries(alert=alert, state=state, labels=labels, first=min(times), last=max(times)))
    return found
