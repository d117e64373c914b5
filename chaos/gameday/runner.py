"""Running a game day: the plan's steps in order, its runs through ``chaos run``'s own
lifecycle, and everything that happened appended to the game day's state.

    started (or resumed) -> each step not yet done: step_started, its work, step_done
    -> every background run ended -> ended

A run step calls ``chaos.run.lifecycle.run_scenario`` into a run directory under the
game day's, exactly as ``chaos run`` does (the lease, the timeline, the restores and the
verdict are the run's); the game day watches it (``live.RunWatch``) for notices and for
the anchors checkpoints count from. A checkpoint waits until people answer at the
console, a mark of its kind arrives from another terminal, or, with ``--auto``, its
anchor has happened. Ctrl-C stops the run going on (which restores its faults) and ends
the game day ``interrupted``; it can be resumed.

Resuming after the console died (``resume=True``): a run the state shows started and not
ended was killed with the console; what it left in its environment is reset, its
journal rebuilt from its raw files (judged until its last record), and its end recorded
once. Steps done are not done again, a checkpoint acknowledged is not asked again, and
no event is appended twice.
"""

from __future__ import annotations

import asyncio
import io
import os
import time
from pathlib import Path
from typing import TextIO

import structlog
from rich.console import Console
from rich.panel import Panel

from chaos.envrefs import Resolver
from chaos.errors import ChaosError
from chaos.gameday.comms import render
from chaos.gameday.figures import live_figures
from chaos.gameday.leftovers import restore_leftovers
from chaos.gameday.live import RunWatch
from chaos.gameday.loading import PlanFile
from chaos.gameday.people import Answer, Auto, Responder, holder
from chaos.gameday.plan import (
    BriefStep,
    Checkpoint,
    CheckpointStep,
    Comms,
    CommsStep,
    DebriefStep,
    NotifyEvent,
    RunSpec,
    RunStep,
    Step,
    WaitStep,
)
from chaos.gameday.state import (
    CheckpointDone,
    CommsPosted,
    Ended,
    GameDayDir,
    GameDayEvent,
    Mark,
    Resumed,
    RunEnded,
    RunStarted,
    Started,
    StepDone,
    StepStarted,
)
from chaos.gameday.webhooks import Notice, Notifier
from chaos.journal import Journal, RunStatus, iso
from chaos.load.config import resolve_headers
from chaos.report.files import write_reports
from chaos.rundir import RunDir
from chaos.scenario.units import format_duration

log = structlog.get_logger()

TICK_S = 0.25
STATUS_EVERY_S = 5.0  # the live view's line at the console (people's mode)


class LogSink(io.TextIOBase):
    """The game day's log, and while a run goes on its ``orchestrator.log`` too."""

    def __init__(self, main: TextIO) -> None:
        self.main = main
        self.run: TextIO | None = None

    def write(self, text: str) -> int:
        for stream in (self.main, self.run):
            if stream is not None:
                stream.write(text)
                stream.flush()
        return len(text)

    def isatty(self) -> bool:
        return False


class GameDay:
    def __init__(
        self, planfile: PlanFile, day: GameDayDir, *, responder: Responder, console: Console, sink: LogSink
    ) -> None:
        self.planfile, self.plan, self.day = planfile, planfile.plan, day
        self.responder, self.console, self.sink = responder, console, sink
        self.gameday_id = day.read_start().gameday
        self.watches: dict[str, RunWatch] = {}
        self.tasks: dict[str, asyncio.Task[Journal | None]] = {}
        self.pending: dict[str, tuple[Checkpoint, float]] = {}  # asked, not answered: id -> (checkpoint, reached)
        self.acks: dict[str, float] = {}
        self.overdue: set[str] = set()
        self.interrupted = False
        self.notifier: Notifier | None = None
        self.shown_at = 0.0

    async def run(self, *, resume: bool) -> str:
        """Play the plan from where its state stands; returns ``finished`` or ``interrupted``."""
        events = self.day.events()
        self.acks = {e.id: e.at for e in events if isinstance(e, CheckpointDone)}
        started = {e.step for e in events if isinstance(e, StepStarted)}
        done = {e.step for e in events if isinstance(e, StepDone)}
        async with Notifier(
            self.plan.notify, gameday=self.gameday_id, plan=self.plan.name, title=self.plan.title
        ) as notifier:
            self.notifier = notifier
            if resume:
                note = await self._recover(events, done)
                self.day.append(Resumed(at=time.time(), pid=os.getpid(), note=note))
                self.console.print(f"[bold]resumed[/]: {note}")
            else:
                self.day.append(
                    Started(
                        at=time.time(),
                        gameday=self.gameday_id,
                        plan=self.plan.name,
                        pid=os.getpid(),
                        auto=isinstance(self.responder, Auto),
                    )
                )
                self._notify(Notice(NotifyEvent.GAMEDAY_STARTED, time.time(), f"game day started: {self.plan.title}"))
            ticker = asyncio.create_task(self._tick())
            status = "finished"
            try:
                for index, step in enumerate(self.plan.steps):
                    if index in done:
                        continue
                    if index not in started:
                        self.day.append(StepStarted(at=time.time(), step=index, kind=_kind(step)))
                    await self._step(index, step, events)
                    if self.interrupted:
                        status = "interrupted"
                        break
                    self.day.append(StepDone(at=time.time(), step=index))
                for task in self.tasks.values():
                    journal = await task
                    if journal is not None and journal.status is RunStatus.INTERRUPTED:
                        status = "interrupted"
            except asyncio.CancelledError:
                _uncancel()
                status = "interrupted"
                await asyncio.gather(*self.tasks.values(), return_exceptions=True)
            finally:
                ticker.cancel()
                await asyncio.gather(ticker, return_exceptions=True)
                self._poll()
            self.day.append(Ended(at=time.time(), status=status))
            self._notify(Notice(NotifyEvent.GAMEDAY_ENDED, time.time(), f"game day {status}: {self.plan.title}"))
        return status

    # -- steps --------------------------------------------------------------------------

    async def _step(self, index: int, step: Step, events: list[GameDayEvent]) -> None:
        if isinstance(step, BriefStep):
            self.console.print(Panel(step.brief.strip(), title=f"step {index + 1}: brief"))
        elif isinstance(step, RunStep):
            task = asyncio.create_task(self._run(index, step.run))
            self.tasks[step.run.name] = task
            if not step.run.background:
                await task
        elif isinstance(step, CheckpointStep):
            await self._checkpoint(index, step.checkpoint, events)
        elif isinstance(step, CommsStep):
            if not any(isinstance(e, CommsPosted) and e.step == index for e in events):
                self._comms(index, step.comms)
        elif isinstance(step, WaitStep):
            if step.wait.until is not None:
                awaited = self.tasks.get(step.wait.until)
                if awaited is not None:
                    await awaited
            else:
                assert step.wait.for_ is not None
                await asyncio.sleep(step.wait.for_ * self.planfile.scale)
        elif isinstance(step, DebriefStep):
            questions = "\n".join(f"- {question}" for question in step.debrief)
            self.console.print(Panel(questions, title=f"step {index + 1}: debrief"))

    async def _run(self, index: int, spec: RunSpec) -> Journal | None:
        from chaos.run.lifecycle import new_run_id, run_scenario

        loaded = self.planfile.scenarios[spec.name]
        run_id = new_run_id()
        run_dir = (self.day.runs / f"{loaded.scenario.name}-{run_id}").resolve()
        watch = RunWatch(spec.name, loaded, run_dir)
        self.watches[spec.name] = watch
        self.console.print(f"[bold]run {spec.name}[/]: {loaded.path} -> {run_dir}")
        try:
            resolve_headers(loaded.scenario.target.headers, Resolver(os.environ))
            run_dir.mkdir(parents=True)
            self.day.append(
                RunStarted(at=time.time(), step=index, name=spec.name, scenario=str(loaded.path), run_dir=str(run_dir))
            )
            with RunDir(run_dir).orchestrator_log.open("a", encoding="utf-8") as run_log:
                self.sink.run = run_log
                try:
                    journal = await run_scenario(loaded, run_dir, run_id, watch=watch.watch)
                finally:
                    self.sink.run = None
        except ChaosError as exc:
            self.day.append(
                RunEnded(
                    at=time.time(),
                    step=index,
                    name=spec.name,
                    verdict="error",
                    reason=exc.message,
                    exit_code=int(exc.exit_code),
                    how="finished",
                )
            )
            self.console.print(f"[red]run {spec.name} could not run[/]: {exc.message}")
            return None
        finally:
            watch.done = True
            self._poll()
        self._ended(index, spec.name, journal, how="finished")
        self._reports(journal, run_dir)
        if journal.status is RunStatus.INTERRUPTED:
            self.interrupted = True
        return journal

    def _ended(self, index: int, name: str, journal: Journal, *, how: str) -> None:
        verdict = journal.verdict.value if journal.verdict is not None else "error"
        self.day.append(
            RunEnded(
                at=time.time(),
                step=index,
                name=name,
                verdict=verdict,
                reason=journal.reason or "",
                exit_code=journal.exit_code or 0,
                how=how,
            )
        )
        text = f"run {name}: {verdict}: {journal.reason or ''}"
        self._notify(
            Notice(
                NotifyEvent.VERDICT,
                time.time(),
                text,
                {"run": name, "verdict": verdict, "exit_code": journal.exit_code},
            )
        )

    def _reports(self, journal: Journal, run_dir: Path) -> None:
        """The run's own reports, as ``chaos run`` writes them; one that cannot be written
        is logged and the game day goes on."""
        try:
            written = write_reports(journal, run_dir)
        except (ChaosError, OSError) as exc:
            log.error("the run's reports could not be written", run_dir=str(run_dir), error=str(exc))
            return
        self.console.print("reports: " + ", ".join(str(p) for p in written if p.suffix != ".svg"))

    async def _checkpoint(self, index: int, checkpoint: Checkpoint, events: list[GameDayEvent]) -> None:
        if checkpoint.id in self.acks:
            return  # acknowledged before the console died
        reached = next((e.at for e in events if isinstance(e, StepStarted) and e.step == index), time.time())
        self.pending[checkpoint.id] = (checkpoint, reached)
        who = ", ".join(self.plan.roles[checkpoint.role].who)
        self.console.print(
            Panel(
                f"{checkpoint.do}\nwithin {format_duration(checkpoint.within)} {_anchor_text(checkpoint)}",
                title=f"step {index + 1}: checkpoint {checkpoint.id} ({checkpoint.role}: {who})",
            )
        )
        asked = None
        answer: Answer | None = None
        while answer is None:
            mark = self._mark_for(checkpoint, reached)
            if mark is not None:
                answer, at = Answer(by=mark.by, how="mark", severity=mark.severity, notes=mark.text), mark.at
                break
            anchor = self._anchor(checkpoint, reached)
            if asked is None and (anchor is not None or self._anchor_lost(checkpoint) or _asks_now(self.responder)):
                asked = self.responder.ask(checkpoint, self.plan)
            if asked is not None and asked.done():
                answer, at = asked.result(), time.time()
                break
            await asyncio.sleep(TICK_S)
        del self.pending[checkpoint.id]
        self.acks[checkpoint.id] = at
        self.day.append(
            CheckpointDone(
                at=at,
                step=index,
                id=checkpoint.id,
                by=answer.by,
                how=answer.how,
                severity=answer.severity,
                notes=answer.notes,
            )
        )
        self.console.print(
            f"checkpoint {checkpoint.id}: done by {answer.by} ({answer.how})"
            + (f", {answer.severity}" if answer.severity else "")
        )

    def _mark_for(self, checkpoint: Checkpoint, reached: float) -> Mark | None:
        if checkpoint.mark is None:
            return None
        marks = [e for e in self.day.events() if isinstance(e, Mark) and e.kind.value == checkpoint.mark]
        return next((mark for mark in marks if mark.at >= reached), None)

    def _anchor(self, checkpoint: Checkpoint, reached: float) -> float | None:
        after = checkpoint.after
        if after is None:
            return reached
        if after.checkpoint is not None:
            return self.acks.get(after.checkpoint)
        if after.fault is not None:
            times = [w.anchor(after.fault, after.event) for w in self.watches.values()]
        else:
            times = [w.first_alert.get(after.alert or "") for w in self.watches.values()]
        found = [t for t in times if t is not None]
        return min(found) if found else None

    def _anchor_lost(self, checkpoint: Checkpoint) -> bool:
        """No run is going on any more, so an anchor that has not happened never will."""
        return all(task.done() for task in self.tasks.values()) and self._anchor(checkpoint, 0.0) is None

    def _comms(self, index: int, comms: Comms) -> None:
        figures = live_figures(self.plan, self.day, list(self.watches.values())[-1] if self.watches else None)
        text = render(self.planfile.resolve(comms.template), figures)
        self.day.comms.mkdir(exist_ok=True)
        path = self.day.comms / f"{index + 1:02d}-{comms.id}.md"
        path.write_text(text, encoding="utf-8")
        self.day.append(
            CommsPosted(
                at=time.time(),
                step=index,
                id=comms.id,
                channel=comms.channel.value,
                file=str(path.relative_to(self.day.path)),
            )
        )
        poster = f" (posted by {holder(self.plan, comms.role)})" if comms.role else ""
        self.console.print(Panel(text.strip(), title=f"step {index + 1}: {comms.channel.value}{poster}"))

    # -- in the background ----------------------------------------------------------------

    async def _tick(self) -> None:
        while True:
            self._poll()
            await asyncio.sleep(TICK_S)

    def _poll(self) -> None:
        for watch in self.watches.values():
            for notice in watch.poll():
                self.console.print(f"[dim]{iso(notice.at)}[/] {notice.text}")
                self._notify(notice)
        now = time.time()
        for checkpoint, reached in list(self.pending.values()):
            anchor = self._anchor(checkpoint, reached)
            if anchor is not None and now > anchor + checkpoint.within and checkpoint.id not in self.overdue:
                self.overdue.add(checkpoint.id)
                text = f"checkpoint overdue: {checkpoint.id} ({checkpoint.role}: {checkpoint.do})"
                self.console.print(f"[yellow]{text}[/]")
                self._notify(Notice(NotifyEvent.CHECKPOINT_OVERDUE, now, text, {"checkpoint": checkpoint.id}))
        if not isinstance(self.responder, Auto) and now - self.shown_at >= STATUS_EVERY_S:
            self.shown_at = now
            self._show_status(now)

    def _show_status(self, now: float) -> None:
        """For the people at the console: the running scenario's live view and the next deadline."""
        going = [w for w in self.watches.values() if not w.done and w.status is not None]
        parts = []
        for watch in going:
            assert watch.status is not None
            summary = watch.status.summary
            line = f"{watch.name} t+{watch.status.elapsed:.0f}s {watch.status.segment}"
            if summary is not None:
                served = ", ".join(f"{k} {v:.0%}" for k, v in sorted(summary.served_by.items(), key=lambda kv: -kv[1]))
                available = "-" if summary.availability is None else f"{summary.availability:.1%}"
                alerts = ", ".join(summary.alerts) or "none"
                line += f" | availability {available} | {served or 'no answers'} | alerts: {alerts}"
            parts.append(line)
        dues = [
            (anchor + checkpoint.within, checkpoint.id)
            for checkpoint, reached in self.pending.values()
            if (anchor := self._anchor(checkpoint, reached)) is not None
        ]
        if dues:
            due, name = min(dues)
            parts.append(f"next deadline: {name} in {format_duration(max(0, round(due - now)))}")
        if parts:
            self.console.print("[dim]" + " · ".join(parts) + "[/]")

    def _notify(self, notice: Notice) -> None:
        if self.notifier is not None:
            self.notifier.notify(notice)

    # -- resuming ---------------------------------------------------------------------------

    async def _recover(self, events: list[GameDayEvent], done: set[int]) -> str:
        """Close what the dead console left open: each run it started and never ended."""
        ended = {e.step for e in events if isinstance(e, RunEnded)}
        notes = []
        for started in [e for e in events if isinstance(e, RunStarted)]:
            run_dir = Path(started.run_dir)
            watch = RunWatch(started.name, self.planfile.scenarios[started.name], run_dir, done=True)
            self.watches[started.name] = watch
            watch.poll()  # its anchors, from its fault events; no notice is sent again
            if started.step in ended:
                continue
            notes.append(f"run {started.name}: " + await restore_leftovers(run_dir))
            from chaos.run.rebuild import journal_to_show

            try:
                journal, _ = journal_to_show(run_dir, rebuild=False)
            except ChaosError as exc:
                self.day.append(
                    RunEnded(
                        at=time.time(),
                        step=started.step,
                        name=started.name,
                        verdict="error",
                        reason=exc.message,
                        exit_code=int(exc.exit_code),
                        how="rebuilt",
                    )
                )
                continue
            self._ended(started.step, started.name, journal, how="rebuilt")
            self._reports(journal, run_dir)
            if started.step not in done:
                self.day.append(StepDone(at=time.time(), step=started.step))
                done.add(started.step)
        return "; ".join(notes) or "no run was going on"


def _kind(step: Step) -> str:
    return type(step).__name__.removesuffix("Step").lower()


def _anchor_text(checkpoint: Checkpoint) -> str:
    after = checkpoint.after
    if after is None:
        return "of this step"
    if after.fault is not None:
        return f"of fault {after.fault} being {after.event.value}"
    if after.alert is not None:
        return f"of the first {after.alert} alert"
    return f"of checkpoint {after.checkpoint}"


def _asks_now(responder: Responder) -> bool:
    """People at the console are asked at once; ``--auto`` answers once the anchor happened."""
    return not isinstance(responder, Auto)


def _uncancel() -> None:
    task = asyncio.current_task()
    if task is not None:
        while task.uncancel():
            pass
