"""One timeline of a game day: the machine's events and the people's, in the order they happened.

The machine's side is read from each run's journal, the record of what the run decided:
its fault events (intended and actual times), the alerts its verdict found firing and
clearing, and per fault when availability came back while the fault was still active
(the fallback engaged: "mitigate") and when every SLO was back after the restore
("recover"). The people's side is the game day's state: checkpoints, marks, comms. Both
carry epoch times, so they sort on one clock; a run's own offsets (from its t = 0) are
kept beside them.

Every checkpoint's deadline is judged here (``Deadline``): met, late, missed (never
acknowledged), or without an anchor (what it counted from never happened). Detection by
people (the first ``detected`` mark after a fault's injection) is set beside detection
by the synthetic alerts (the run's time to detect).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from chaos.gameday.live import alert_severity
from chaos.gameday.plan import AnchorEvent, Checkpoint, Plan
from chaos.gameday.state import (
    CheckpointDone,
    CommsPosted,
    Ended,
    GameDayDir,
    GameDayEvent,
    GameDayStart,
    Mark,
    MarkKind,
    Resumed,
    RunEnded,
    RunStarted,
    Started,
    StepStarted,
)
from chaos.journal import Journal, read_journal
from chaos.kinds import FaultAction
from chaos.scenario.units import format_duration


@dataclass(frozen=True)
class Entry:
    at: float  # epoch seconds
    who: str  # a person, or "run NAME" for the machine
    what: str
    machine: bool
    run_offset: float | None = None  # seconds from the run's t = 0, for the machine's events


@dataclass(frozen=True)
class RunOutcome:
    name: str
    step: int
    run_dir: Path
    started_at: float
    journal: Journal | None
    verdict: str
    reason: str
    how: str


@dataclass(frozen=True)
class Deadline:
    checkpoint: Checkpoint
    anchor_at: float | None
    done: CheckpointDone | None

    @property
    def due(self) -> float | None:
        return None if self.anchor_at is None else self.anchor_at + self.checkpoint.within

    @property
    def status(self) -> str:
        """met, late, missed, or no anchor (what the deadline counts from never happened)."""
        if self.anchor_at is None:
            return "no anchor"
        if self.done is None:
            return "missed"
        assert self.due is not None
        return "met" if self.done.at <= self.due else "late"

    @property
    def took(self) -> float | None:
        """Seconds from the anchor to the acknowledgement (negative: done before the anchor)."""
        if self.done is None or self.anchor_at is None:
            return None
        return self.done.at - self.anchor_at


@dataclass(frozen=True)
class Detection:
    run: str
    fault: str
    injected_at: float
    by_alert: float | str | None  # seconds after the injection, "never", "not_needed"
    by_people: float | None
    person: str | None


@dataclass(frozen=True)
class GameDayRecord:
    start: GameDayStart
    plan: Plan
    events: list[GameDayEvent]
    runs: list[RunOutcome]
    entries: list[Entry]
    deadlines: list[Deadline]
    detections: list[Detection]
    status: str  # finished, interrupted, or running
    ended_at: float | None

    @property
    def started_at(self) -> float:
        return self.start.started_at


def read_record(day: GameDayDir, plan: Plan) -> GameDayRecord:
    events = day.events()
    runs = _runs(events)
    ended = [e for e in events if isinstance(e, Ended)]
    status = ended[-1].status if ended else "running"
    return GameDayRecord(
        start=day.read_start(),
        plan=plan,
        events=events,
        runs=runs,
        entries=sorted(_human_entries(events, plan) + _machine_entries(runs), key=lambda e: e.at),
        deadlines=deadlines(plan, events, runs),
        detections=_detections(runs, events, plan),
        status=status,
        ended_at=ended[-1].at if ended else None,
    )


def _runs(events: list[GameDayEvent]) -> list[RunOutcome]:
    ends = {e.step: e for e in events if isinstance(e, RunEnded)}
    outcomes = []
    for started in (e for e in events if isinstance(e, RunStarted)):
        end = ends.get(started.step)
        run_dir = Path(started.run_dir)
        try:
            journal: Journal | None = read_journal(run_dir)
        except (OSError, ValueError, ValidationError):
            journal = None
        outcomes.append(
            RunOutcome(
                name=started.name,
                step=started.step,
                run_dir=run_dir,
                started_at=started.at,
                journal=journal,
                verdict=end.verdict if end is not None else "running",
                reason=end.reason if end is not None else "",
                how=end.how if end is not None else "",
            )
        )
    return outcomes


def _machine_entries(runs: list[RunOutcome]) -> list[Entry]:
    entries = []
    for run in runs:
        journal, who = run.journal, f"run {run.name}"
        if journal is None or journal.t0 is None:
            continue
        t0 = journal.t0
        for event in journal.events:
            if not event.ok or event.action is FaultAction.UPDATE:
                continue
            action = "injected" if event.action is FaultAction.INJECT else "restored"
            late = (event.t_actual - event.t_intended) * 1000
            what = f"fault {event.fault} {action} (planned at t+{event.t_intended - t0:.1f}s, landed {late:+.0f} ms)"
            entries.append(Entry(event.t_actual, who, what, True, event.t_actual - t0))
        evaluation = journal.evaluation
        if evaluation is None:
            continue
        for alert in evaluation.alerts:
            entries.append(
                Entry(t0 + alert.fired_at, who, f"alert fired: {alert.rule} on {alert.slo}", True, alert.fired_at)
            )
            if alert.cleared_at is not None:
                entries.append(
                    Entry(
                        t0 + alert.cleared_at,
                        who,
                        f"alert cleared: {alert.rule} on {alert.slo}",
                        True,
                        alert.cleared_at,
                    )
                )
        for response in evaluation.responses:
            if isinstance(response.mitigate, float | int):
                at = response.injected_at + response.mitigate
                what = f"availability back within objective during {response.fault} (fallback engaged)"
                entries.append(Entry(t0 + at, who, what, True, at))
            if isinstance(response.recover, float | int) and response.restored_at is not None:
                at = response.restored_at + response.recover
                entries.append(Entry(t0 + at, who, f"recovered from {response.fault}: every SLO back", True, at))
    return entries


def _human_entries(events: list[GameDayEvent], plan: Plan) -> list[Entry]:
    entries = []
    for event in events:
        if isinstance(event, Started):
            entries.append(Entry(event.at, "game day", f"started ({'--auto' if event.auto else 'people'})", False))
        elif isinstance(event, Resumed):
            entries.append(Entry(event.at, "game day", f"resumed after the console stopped: {event.note}", False))
        elif isinstance(event, RunStarted):
            entries.append(
                Entry(event.at, "game day", f"run {event.name} started ({Path(event.scenario).name})", False)
            )
        elif isinstance(event, RunEnded):
            rebuilt = " (rebuilt after the console died)" if event.how == "rebuilt" else ""
            entries.append(Entry(event.at, "game day", f"run {event.name} ended: {event.verdict}{rebuilt}", False))
        elif isinstance(event, CheckpointDone):
            severity = f", declared {event.severity}" if event.severity else ""
            notes = f": {event.notes}" if event.notes else ""
            entries.append(
                Entry(event.at, event.by, f"checkpoint {event.id} done ({event.how}){severity}{notes}", False)
            )
        elif isinstance(event, Mark):
            detail = f" {event.severity}" if event.severity else ""
            text = f": {event.text}" if event.text else ""
            entries.append(Entry(event.at, event.by, f"marked {event.kind.value}{detail}{text}", False))
        elif isinstance(event, CommsPosted):
            entries.append(Entry(event.at, "game day", f"{event.channel} message posted ({event.file})", False))
        elif isinstance(event, Ended):
            entries.append(Entry(event.at, "game day", f"ended: {event.status}", False))
    return entries


def deadlines(plan: Plan, events: list[GameDayEvent], runs: list[RunOutcome]) -> list[Deadline]:
    done = {e.id: e for e in events if isinstance(e, CheckpointDone)}
    reached: dict[int, float] = {}
    for event in events:
        if isinstance(event, StepStarted):
            reached.setdefault(event.step, event.at)
    result = []
    for index, step in enumerate(plan.steps):
        checkpoint = getattr(step, "checkpoint", None)
        if not isinstance(checkpoint, Checkpoint):
            continue
        anchor = _anchor(checkpoint, reached.get(index), runs, done)
        result.append(Deadline(checkpoint, anchor, done.get(checkpoint.id)))
    return result


def _anchor(
    checkpoint: Checkpoint, reached: float | None, runs: list[RunOutcome], done: dict[str, CheckpointDone]
) -> float | None:
    after = checkpoint.after
    if after is None:
        return reached
    if after.checkpoint is not None:
        earlier = done.get(after.checkpoint)
        return earlier.at if earlier is not None else None
    times = []
    for run in runs:
        journal = run.journal
        if journal is None:
            continue
        if after.fault is not None:
            wanted = FaultAction.INJECT if after.event is AnchorEvent.INJECTED else FaultAction.RESTORE
            times += [e.t_actual for e in journal.events if e.ok and e.fault == after.fault and e.action is wanted]
        elif journal.evaluation is not None and journal.t0 is not None:
            times += [
                journal.t0 + alert.fired_at
                for alert in journal.evaluation.alerts
                if alert_severity(alert.rule) == after.alert
            ]
    return min(times) if times else None


def _detections(runs: list[RunOutcome], events: list[GameDayEvent], plan: Plan) -> list[Detection]:
    """People detected a fault when they first said so after its injection: a ``detected``
    mark, or the acknowledgement of a checkpoint that a ``detected`` mark acknowledges."""
    detecting = {c.id for c in plan.checkpoints if c.mark == MarkKind.DETECTED.value}
    said: list[tuple[float, str]] = [
        (e.at, e.by) for e in events if isinstance(e, Mark) and e.kind is MarkKind.DETECTED
    ] + [(e.at, e.by) for e in events if isinstance(e, CheckpointDone) and e.id in detecting]
    detected = sorted(said)
    result = []
    for run in runs:
        journal = run.journal
        if journal is None or journal.evaluation is None or journal.t0 is None:
            continue
        for response in journal.evaluation.responses:
            injected = journal.t0 + response.injected_at
            first = next(((at, by) for at, by in detected if at >= injected), None)
            result.append(
                Detection(
                    run=run.name,
                    fault=response.fault,
                    injected_at=injected,
                    by_alert=response.detect,
                    by_people=first[0] - injected if first is not None else None,
                    person=first[1] if first is not None else None,
                )
            )
    return result


def clock(record: GameDayRecord, at: float) -> str:
    """Game-day time: ``+4m12s`` from its start."""
    return "+" + format_duration(max(0, round(at - record.started_at)))


def seconds(value: float | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value.replace("_", " ")
    return f"{value:.1f} s"
