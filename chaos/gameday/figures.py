"""The live figures a comms message is rendered with: the game day's state so far, and
the latest run's requests so far (``live.so_far``) and last seconds (its live view)."""

from __future__ import annotations

import time

from chaos.gameday.comms import CommsFigures
from chaos.gameday.live import RunWatch, so_far
from chaos.gameday.people import holder
from chaos.gameday.plan import Plan
from chaos.gameday.state import CheckpointDone, GameDayDir, Mark
from chaos.scenario.units import format_duration, format_percent


def live_figures(plan: Plan, day: GameDayDir, watch: RunWatch | None) -> CommsFigures:
    """The figures now; a run that has measured nothing yet gives "unknown", never a blank."""
    start = day.read_start()
    events = day.events()
    severities = [e.severity for e in events if isinstance(e, CheckpointDone | Mark) and e.severity]
    status = watch.status if watch is not None else None
    summary = status.summary if status is not None else None
    counts = so_far(watch) if watch is not None else None
    served = summary.served_by if summary is not None else {}
    providers = {k: v for k, v in served.items() if watch is not None and k in watch.loaded.scenario.providers}
    return CommsFigures(
        title=plan.title,
        gameday=start.gameday,
        now=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        elapsed=format_duration(round(time.time() - start.started_at)),
        severity=severities[-1] if severities else "not declared",
        incident_commander=holder(plan, "incident_commander"),
        run=watch.name if watch is not None else "none",
        active_faults=", ".join(status.active) if status is not None and status.active else "none",
        segment=status.segment if status is not None else "none",
        requests=counts.requests if counts is not None else 0,
        failed=counts.failed if counts is not None else 0,
        availability=_percent(counts.availability if counts is not None else None),
        availability_now=_percent(summary.availability if summary is not None else None),
        degraded_share=_percent(counts.degraded_share if counts is not None else None),
        serving=max(providers, key=lambda k: providers[k]) if providers else "unknown",
        served_by=", ".join(f"{k} {v:.0%}" for k, v in sorted(served.items(), key=lambda kv: -kv[1])) or "unknown",
        alerts=", ".join(summary.alerts) if summary is not None and summary.alerts else "none",
        cost_usd=f"${summary.cost_usd:.2f}" if summary is not None else "unknown",
    )


def _percent(value: float | None) -> str:
    return format_percent(round(value, 4)) if value is not None else "unknown"
