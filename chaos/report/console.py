"""The rich console every command renders to."""

from __future__ import annotations

import os
import sys

from rich.console import Console

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
