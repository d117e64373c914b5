"""The plan of a scenario as console tables, or as a JSON-ready dict."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.console import Console
from rich.table import Table

from chaos.scenario.change_plan import ChangePlan
from chaos.scenario.plan import FaultPlan, Plan
from chaos.scenario.units import format_duration as fmt


def plan_as_dict(plan: Plan) -> dict[str, Any]:
    return dataclasses.asdict(plan)


def render_plan(plan: Plan, out: Console) -> None:
    out.print(
        f"[bold]{plan.scenario}[/bold]: {plan.shape}, {fmt(plan.duration)} of load, ~{plan.requests_per_s:.1f} req/s"
    )
    out.print(
        f"judged from {fmt(plan.judged_from)} (ramp-up + warm-up), settle {fmt(plan.settle)} after restores, "
        f"stop grace {fmt(plan.stop_grace)}; a segment shorter than {fmt(plan.min_segment)} (min_segment) "
        "is not judged, and faults meant together that land within it of each other are cut together"
    )
    if plan.scale != 1:
        out.print(
            f"at scale {plan.scale:g}: every time in the run is {plan.scale:g}x as written; latencies, timeouts, "
            "think time, spawn rates, quotas and expectations' within are not"
        )
    out.print(_timeline(plan))
    out.print(_segments(plan))
    if plan.faults:
        out.print(_faults(plan))
    if plan.needs:
        out.print(_needs(plan))
    if plan.change is not None:
        out.print(_change(plan.change))
    if plan.expectations:
        out.print("[bold]Expectations[/bold]")
        for expectation in plan.expectations:
            out.print(f"  - {expectation}")
    out.print(_alerts(plan))
    if plan.aborts:
        out.print("[bold]Abort rules[/bold]")
        for note in plan.aborts:
            out.print(f"  - {note}")
    for warning in plan.warnings:
        out.print(f"[yellow]warning:[/yellow] {warning}")
    where = f" at scale {plan.scale:g}" if plan.scale != 1 else ""
    if all(need.decidable for need in plan.needs) and not plan.warnings:
        out.print(f"[green]decidable{where}:[/green] every SLO in every segment, and every expectation")
    elif plan.warnings:
        out.print(f"[yellow]not everything is decidable{where}[/yellow]: see the warnings above")


def _timeline(plan: Plan) -> Table:
    table = Table(title="Timeline", title_justify="left")
    for column in ("from", "to", "span", "judged", "~requests"):
        table.add_column(column, justify="right" if column in ("from", "to", "~requests") else "left")
    for span in plan.spans:
        judged = "yes" if span.judged else "[dim]no[/dim]"
        table.add_row(fmt(span.start), fmt(span.end), span.name, judged, f"{span.requests:.0f}")
    return table


def _segments(plan: Plan) -> Table:
    table = Table(title="Segments (pooled by active faults)", title_justify="left")
    for column in ("segment", "spans", "~requests", "SLOs judged"):
        table.add_column(column)
    for segment in plan.segments:
        spans = ", ".join(f"{fmt(start)}-{fmt(end)}" for start, end in segment.spans)
        table.add_row(segment.name, spans, f"{segment.requests:.0f}", ", ".join(segment.slos) or "-")
    return table


def _faults(plan: Plan) -> Table:
    table = Table(title="Faults", title_justify="left")
    for column in ("fault", "kind", "target", "window", "schedule"):
        table.add_column(column)
    for fault in plan.faults:
        window = f"{fmt(fault.start)}-{fmt(fault.end)}"
        table.add_row(fault.name, fault.kind, fault.target, window, _schedule(fault))
    return table


def _schedule(fault: FaultPlan) -> str:
    changes = [step for step in fault.steps if step.action != "restore"]
    first = _settings(changes[0].settings)
    if len(changes) == 1:
        return first
    last = _settings(changes[-1].settings)
    offs = sum(1 for step in changes if not step.active)
    if offs:
        return f"{first}; flaps {len(changes) - offs} on / {offs} off"
    return f"{first} -> {last} in {len(changes) - 1} updates"


def _settings(settings: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in settings.items() if key not in ("provider", "toxic"))


def _needs(plan: Plan) -> Table:
    table = Table(title="Can each SLO be decided? (95% Wilson, every request good)", title_justify="left")
    for column in ("SLO", "segment", "objective", "needs", "~judged", ""):
        table.add_column(column)
    for need in plan.needs:
        verdict = "ok" if need.decidable else "[yellow]cannot pass[/yellow]"
        needed = "never" if need.needed is None else str(need.needed)
        table.add_row(need.slo, need.segment, f"{need.objective * 100:g}%", needed, f"{need.expected:.0f}", verdict)
    return table


def _alerts(plan: Plan) -> Table:
    table = Table(title="Burn-rate alert rules (synthetic)", title_justify="left")
    for column in ("rule", "watches", "notes"):
        table.add_column(column)
    for alert in plan.alerts:
        notes = "; ".join(alert.problems) if alert.problems else "ok"
        table.add_row(alert.rule, ", ".join(alert.slos), notes)
    return table


def _change(change: ChangePlan) -> Table:
    title = (
        f"Change: {change.baseline} -> {change.candidate}; each gate needs {change.min_sample} "
        f"{change.counted} per version (min_sample)"
    )
    table = Table(title=title, title_justify="left")
    for column in ("share", "from", "to", "then", f"~baseline {change.counted}", f"~candidate {change.counted}"):
        table.add_column(column)
    for step in change.steps:
        then = "gate" if step.gated else "promoted"
        table.add_row(
            f"{step.share:.0%}",
            fmt(step.start),
            fmt(step.end),
            then,
            f"{step.baseline:.0f}",
            f"{step.candidate:.0f}",
        )
    return table
