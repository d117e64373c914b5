"""The live view of a run: a table redrawn each second on a terminal, log lines otherwise."""

from __future__ import annotations

import time
from types import TracebackType

import structlog
from rich.console import Console
from rich.live import Live
from rich.table import Table

from chaos.run.context import LiveStatus
from chaos.scenario.units import format_duration

LOG_EVERY_S = 5.0


class LiveView:
    """Call it with each ``LiveStatus``; use it as a context manager around the run."""

    def __init__(self, console: Console, *, interactive: bool) -> None:
        self._console = console
        self._live = Live(console=console, refresh_per_second=2, transient=False) if interactive else None
        self._logged = 0.0
        self._log = structlog.get_logger()

    def __enter__(self) -> LiveView:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._live is not None:
            self._live.stop()
            if not self._console.is_terminal:  # rich ends the last frame's line on a terminal only
                self._console.line()

    def __call__(self, status: LiveStatus) -> None:
        if self._live is not None:
            self._live.update(_table(status))
        elif time.monotonic() - self._logged >= LOG_EVERY_S:
            self._logged = time.monotonic()
            summary = status.summary
            self._log.info(
                "progress",
                elapsed=round(status.elapsed, 1),
                segment=status.segment,
                rps=round(summary.rps, 1) if summary else None,
                availability=_round(summary.availability, 4) if summary else None,
                ttft_p95_ok_s=_round(summary.ttft_p95_ok, 3) if summary else None,
                served_by={name: round(share, 3) for name, share in summary.served_by.items()} if summary else None,
                alerts=summary.alerts if summary else None,
                billed_usd_simulated=round(summary.cost_usd, 4) if summary else None,
            )


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _table(status: LiveStatus) -> Table:
    summary = status.summary
    table = Table(
        title=f"{format_duration(round(status.elapsed))} / {format_duration(status.total)}", title_justify="left"
    )
    table.add_column("segment")
    table.add_column("req/s", justify="right")
    table.add_column("availability (10 s)", justify="right")
    table.add_column("TTFT p95 ok (10 s)", justify="right")
    table.add_column("served by")
    table.add_column("alerts firing")
    table.add_column("billed (simulated)", justify="right")
    if summary is None:
        table.add_row(status.segment, "-", "-", "-", "-", "-", "-")
        return table
    availability = f"{summary.availability * 100:.1f}%" if summary.availability is not None else "-"
    ttft = f"{summary.ttft_p95_ok:.2f}s" if summary.ttft_p95_ok is not None else "-"
    served = ", ".join(f"{name} {share * 100:.0f}%" for name, share in summary.served_by.items() if share > 0)
    table.add_row(
        status.segment,
        f"{summary.rps:.1f}",
        availability,
        ttft,
        served or "-",
        ", ".join(summary.alerts) or "-",
        f"${summary.cost_usd:.4f}",
    )
    return table
