"""Where the history is: one file per runs directory unless ``--history`` says, for the
drills that write it and for ``chaos run``, whose budget freeze reads it."""

from __future__ import annotations

from pathlib import Path

import click

HISTORY_FILE = "history.sqlite"
HISTORY_OPTION = click.option(
    "--history",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"The history file (default: {HISTORY_FILE} in the runs directory).",
)


def history_path(runs_dir: Path, history: Path | None) -> Path:
    return history if history is not None else runs_dir / HISTORY_FILE
