"""A drill's directory and its record, ``drill.json``: the drill's own journal.

    runs/drills/<suite>-<drill id>/
        drill.json          the suite as written, how it was run, each entry's run directory
        drill.lock          held (flock) by the drill's process while it runs
        <scenario>-<run id>/  one run directory per entry, as chaos run writes it
        action-items.json   what the drill found to fix (``chaos.actions``)
        report.html, report.md

``drill.json`` is written atomically at the start and after each entry; its judgements
are not stored: they follow from the suite's targets and the runs' journals, so the
history can always be rebuilt from the files alone. A drill whose record still says
``running`` while nobody holds its lock was killed.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chaos.atomic import write_atomically
from chaos.errors import ChaosError

DRILL_RECORD = "drill.json"
DRILL_LOCK = "drill.lock"
DRILLS_DIR = "drills"


class DrillStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM: the current run restored its faults
    KILLED = "killed"  # never written by the drill: what an index calls a running record nobody holds


class EntryRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry: str
    index: int = Field(ge=0, description="Its place in the suite's scenarios: whose targets judge it.")
    run_dir: str | None = Field(None, description="Relative to the drill directory; None: not started.")


class DrillRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    drill_id: str
    suite_name: str
    kind: str
    owner: str
    suite_path: str
    suite_text: str = Field(description="The suite as written: what its targets are judged from.")
    overrides: list[str] = Field(default_factory=list)
    scale: float = 1.0
    started_at: float
    ended_at: float | None = None
    status: DrillStatus = DrillStatus.RUNNING
    entries: list[EntryRun]


def write_record(directory: Path, record: DrillRecord) -> None:
    write_atomically(directory / DRILL_RECORD, record.model_dump_json(indent=2))


def read_record(directory: Path) -> DrillRecord:
    return DrillRecord.model_validate_json((directory / DRILL_RECORD).read_bytes())


@contextmanager
def holding(directory: Path) -> Iterator[None]:
    """The drill's lock, held while the block runs (released by the kernel if killed)."""
    with (directory / DRILL_LOCK).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ChaosError(f"{directory}: another process runs this drill") from None
        yield


def is_held(directory: Path) -> bool:
    """Whether a live process holds the drill's lock."""
    lock = directory / DRILL_LOCK
    if not lock.exists():
        return False
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
