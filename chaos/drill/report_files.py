"""The drill report and the quarterly report on disk: ``report.html`` (self-contained, the
charts inline) and ``report.md`` with its charts beside it in ``charts/NAME.svg``,
rendered by the run report's templates (``chaos.report.render``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chaos.drill.actions import action_rows, exercise_items
from chaos.drill.index import JudgedEntry
from chaos.drill.pages import drill_page, quarter_page
from chaos.drill.quarterly import quarter_report
from chaos.drill.record import DrillRecord
from chaos.drill.suite import load_suite
from chaos.history.store import History
from chaos.journal import write_atomically
from chaos.report.render import render_html, render_markdown
from chaos.report.view import Page

CHART_DIR = "charts"


def write_page(page: Page, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [
        write_atomically(out_dir / "report.html", render_html(page)),
        write_atomically(out_dir / "report.md", render_markdown(page, CHART_DIR)),
    ]
    if page.charts:
        (out_dir / CHART_DIR).mkdir(exist_ok=True)
    written += [write_atomically(out_dir / CHART_DIR / f"{chart.name}.svg", chart.svg) for chart in page.charts]
    return written


def write_drill_report(
    directory: Path, record: DrillRecord, judged: Sequence[JudgedEntry], actions: Sequence[str]
) -> list[Path]:
    return write_page(drill_page(directory, record, judged, actions), directory)


def write_quarter_report(
    history: Path, quarter: str, suites: Sequence[Path], out_dir: Path, *, runs_dir: Path | None = None
) -> list[Path]:
    """The quarter's report in ``out_dir``; with ``runs_dir``, the action items every
    exercise under it wrote (game days' too) are indexed first."""
    loaded = [load_suite(path) for path in suites]
    with History.open(history) as store:
        if runs_dir is not None:
            store.add_actions(row for _, items in exercise_items(runs_dir) if items for row in action_rows(items))
        made = quarter_report(store, quarter, loaded)
    return write_page(quarter_page(made), out_dir)
