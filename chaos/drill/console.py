"""A drill's outcome on the console: one row per scenario, its verdict and its targets."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from chaos.drill.run import DrillOutcome


def render_drill(outcome: DrillOutcome, out: Console) -> None:
    table = Table(title=f"drill {outcome.record.drill_id}: {outcome.record.suite_name} ({outcome.record.status.value})")
    table.add_column("scenario")
    table.add_column("run verdict")
    table.add_column("targets")
    table.add_column("result")
    for item in outcome.judged:
        judgement = item.judgement
        missed = judgement.missed()
        targets = "; ".join(check.sentence() for check in missed) if missed else "all met"
        table.add_row(item.entry, judgement.verdict, targets, "pass" if judgement.passed else "FAIL")
    out.print(table)
    out.print(f"drill {'passed' if outcome.passed else 'failed'}: {outcome.directory}")
