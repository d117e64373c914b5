"""The drill report and the quarterly report on disk: ``report.html`` (self-contained, the
charts inline) and ``report.md`` with its charts beside it in ``charts/NAME.svg``, named
as a run directory's reports are (``RunDir``) and written by the run report's own
functions (``chaos.report.files``, ``chaos.report.render``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chaos.atomic import write_atomically
from chaos.drill.actions import action_rows, exercise_items
from chaos.drill.index import JudgedEntry
from chaos.drill.pages import drill_page, quarter_page
from chaos.drill.quarterly import quarter_report
from chaos.drill.record import DrillRecord
from chaos.drill.suite import load_suite
from chaos.history.store import History
from chaos.report.files import write_markdown
from chaos.report.render import render_html
from chaos.report.view import Page
from chaos.rundir import RunDir


def write_page(page: Page, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = RunDir(out_dir)
    return [write_atomically(files.report_html, render_html(page)), *write_markdown(page, files)]


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
