"""The rich console every command renders to."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chaos.report.view import Table as ReportTable

OFF_TERMINAL_WIDTH = 160  # wide enough for a verdict table in a CI log, when COLUMNS does not say


def console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that wraps wide tables rather than truncating them:
    as wide as ``COLUMNS`` says, else the terminal, else ``OFF_TERMINAL_WIDTH``."""
    stream = sys.stderr if stderr else sys.stdout
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        width: int | None = int(columns)
    else:
        width = None if stream.isatty() else OFF_TERMINAL_WIDTH
    return Console(file=stream, soft_wrap=False, width=width)


TONE_STYLE = {"pass": "green", "fail": "bold red", "inconclusive": "yellow", "aborted": "bold magenta", "error": "red"}


def render_table(table: ReportTable, out: Console) -> None:
    """A report's table on the console, its toned cells coloured."""
    shown = Table(title=table.title, title_justify="left")
    for column in table.columns:
        shown.add_column(column)
    for row in table.rows:
        shown.add_row(*(f"[{TONE_STYLE[c.tone]}]{escape(c.text)}[/]" if c.tone else escape(c.text) for c in row))
    out.print(shown)
    if table.note:
        out.print(table.note, style="dim")
