"""A game day's directory, and its state: an append-only log every process can add to.

    plan.yaml           the plan as written, byte for byte
    gameday.json        how it was started: id, plan path, overrides, scale, --auto
    state.jsonl         what happened, one JSON object a line (``GameDayEvent``)
    lock                held (flock) by the console running the game day, with its pid
    gameday.log         the console's log (JSON lines)
    runs/               the run directory of each run step (as ``chaos run`` writes one)
    comms/              each comms step's rendered text
    timeline.md, postmortem.md, action-items.json
    report.html, report.md, charts/   the game-day report (names from ``chaos.rundir.RunDir``)

``state.jsonl`` is written by the console (steps, runs, checkpoints) and by
``chaos gameday mark`` from any other terminal: each event is one ``write`` of one line,
under an exclusive ``flock`` and followed by ``fsync``, so lines from two processes never
interleave and a line the writer reported is on disk. Nothing is ever rewritten: a
resumed game day reads what is there and adds only what is missing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from chaos.actions import ACTION_ITEMS_FILE
from chaos.errors import ChaosError

FILE_MODE = 0o644


class MarkKind(StrEnum):
    DETECTED = "detected"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    SEVERITY = "severity"
    NOTE = "note"


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: float = Field(description="Epoch seconds, as the writing process saw them.")


class Started(_Event):
    event: Literal["started"] = "started"
    gameday: str
    plan: str
    pid: int
    auto: bool


class Resumed(_Event):
    event: Literal["resumed"] = "resumed"
    pid: int
    note: str


class StepStarted(_Event):
    event: Literal["step_started"] = "step_started"
    step: int
    kind: str


class StepDone(_Event):
    event: Literal["step_done"] = "step_done"
    step: int


class RunStarted(_Event):
    event: Literal["run_started"] = "run_started"
    step: int
    name: str
    scenario: str
    run_dir: str


class RunEnded(_Event):
    event: Literal["run_ended"] = "run_ended"
    step: int
    name: str
    verdict: str
    reason: str
    exit_code: int
    how: str = Field(description="finished, or rebuilt (the console died during the run).")


class CheckpointDone(_Event):
    event: Literal["checkpoint"] = "checkpoint"
    step: int
    id: str
    by: str
    how: str = Field(description="console, auto (--auto), or mark (chaos gameday mark).")
    severity: str | None = None
    notes: str = ""


class Mark(_Event):
    event: Literal["mark"] = "mark"
    kind: MarkKind
    by: str
    text: str = ""
    severity: str | None = None
    pid: int


class CommsPosted(_Event):
    event: Literal["comms"] = "comms"
    step: int
    id: str
    channel: str
    file: str


class Ended(_Event):
    event: Literal["ended"] = "ended"
    status: str = Field(description="finished or interrupted")


GameDayEvent = Annotated[
    Started | Resumed | StepStarted | StepDone | RunStarted | RunEnded | CheckpointDone | Mark | CommsPosted | Ended,
    Field(discriminator="event"),
]
_EVENT = TypeAdapter(GameDayEvent)


class GameDayStart(BaseModel):
    """``gameday.json``: how a game day was started; a resume reads the plan the same way."""

    model_config = ConfigDict(extra="forbid")

    gameday: str
    plan_name: str
    plan_path: str
    overrides: list[str] = Field(default_factory=list)
    scale: float = 1.0
    auto: bool = False
    started_at: float


@dataclass(frozen=True)
class GameDayDir:
    path: Path

    @property
    def plan_copy(self) -> Path:
        return self.path / "plan.yaml"

    @property
    def start(self) -> Path:
        return self.path / "gameday.json"

    @property
    def state(self) -> Path:
        return self.path / "state.jsonl"

    @property
    def lock(self) -> Path:
        return self.path / "lock"

    @property
    def log(self) -> Path:
        return self.path / "gameday.log"

    @property
    def runs(self) -> Path:
        return self.path / "runs"

    @property
    def comms(self) -> Path:
        return self.path / "comms"

    @property
    def timeline(self) -> Path:
        return self.path / "timeline.md"

    @property
    def postmortem(self) -> Path:
        return self.path / "postmortem.md"

    @property
    def action_items(self) -> Path:
        return self.path / ACTION_ITEMS_FILE

    def read_start(self) -> GameDayStart:
        return GameDayStart.model_validate_json(self.start.read_text(encoding="utf-8"))

    def events(self) -> list[GameDayEvent]:
        """Every complete line of the state; a last line cut short by a kill is left out."""
        try:
            data = self.state.read_bytes()
        except FileNotFoundError:
            return []
        lines = data.split(b"\n")[:-1]  # the part after the last newline was never finished
        return [_EVENT.validate_json(line) for line in lines if line.strip()]

    def append(self, event: _Event) -> None:
        """One line, whole, on disk before this returns; safe beside other processes' appends."""
        line = event.model_dump_json().encode("utf-8") + b"\n"
        fd = os.open(self.state, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the flock

    def holder(self) -> int | None:
        """The pid of the console running this game day, or None if none holds it."""
        try:
            fd = os.open(self.lock, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = self.lock.read_text(encoding="ascii").strip()
            return int(text) if text.isdigit() else -1
        finally:
            os.close(fd)
        return None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the game day for this process; raises ``GameDayBusy`` if another holds it.
        The kernel releases the lock when the process dies, however it dies."""
        fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise GameDayBusy(self) from None
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode("ascii"))
            yield
        finally:
            os.close(fd)

    def ended(self) -> bool:
        return any(isinstance(event, Ended) and event.status == "finished" for event in self.events())


class GameDayBusy(ChaosError):
    def __init__(self, gameday: GameDayDir) -> None:
        pid = gameday.holder()
        super().__init__(
            f"the game day {gameday.path} is being run by another console (pid {pid})",
            hint="follow it with `chaos gameday run PLAN --attach`, or record what people do with "
            "`chaos gameday mark ...`",
        )


def find_unfinished(gamedays: Path, plan_name: str | None = None) -> list[GameDayDir]:
    """Game days under ``gamedays`` that have not finished, newest first."""
    if not gamedays.is_dir():
        return []
    found = []
    for path in sorted(gamedays.iterdir(), reverse=True):
        day = GameDayDir(path)
        if not day.start.is_file():
            continue
        if plan_name is not None and day.read_start().plan_name != plan_name:
            continue
        if not day.ended():
            found.append(day)
    return found


def record_mark(gameday: GameDayDir, kind: MarkKind, by: str, text: str = "", severity: str | None = None) -> Mark:
    if gameday.ended():
        raise ChaosError(f"the game day {gameday.path} has ended: a mark can no longer be added")
    mark = Mark(at=time.time(), kind=kind, by=by, text=text, severity=severity, pid=os.getpid())
    gameday.append(mark)
    return mark
