"""``chaos gameday plan``: the timeline a plan would follow, read off the plan alone.

Times are from the game day's start, as the plan's steps would take them with nobody
late: a run's stack takes about ``STARTUP_S`` to come up, then its faults strike at their
offsets (scaled with ``--scale``, like the run); a foreground run holds the steps after
it until its load and stop grace are over; a checkpoint counts its deadline from its
anchor (a fault's planned time, an earlier checkpoint, or the step itself; the first
alert cannot be planned and is said so).
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.gameday.loading import PlanFile
from chaos.gameday.plan import AnchorEvent, BriefStep, CheckpointStep, CommsStep, DebriefStep, RunStep, WaitStep
from chaos.scenario.estimate import stop_grace
from chaos.scenario.units import format_duration

STARTUP_S = 5.0  # the local stack's providers, Toxiproxy, target and load coming up


@dataclass(frozen=True)
class Row:
    at: float | None  # seconds from the game day's start; None: cannot be planned
    who: str
    what: str
    due: float | None = None  # a checkpoint's deadline


def timetable(planfile: PlanFile) -> list[Row]:
    table = _Table(planfile)
    for index, step in enumerate(planfile.plan.steps):
        number = f"step {index + 1}"
        if isinstance(step, BriefStep):
            table.add(table.t, "everyone", f"{number}: brief: {step.brief.strip().splitlines()[0]}")
        elif isinstance(step, RunStep):
            table.run(step, number)
        elif isinstance(step, CheckpointStep):
            table.checkpoint(step, number)
        elif isinstance(step, CommsStep):
            poster = step.comms.role or "incident_commander"
            table.add(table.t, poster, f"{number}: comms {step.comms.id} to {step.comms.channel.value}")
        elif isinstance(step, WaitStep):
            table.wait(step, number)
        elif isinstance(step, DebriefStep):
            table.add(table.t, "everyone", f"{number}: debrief ({len(step.debrief)} questions)")
    return sorted(table.rows, key=lambda row: (row.at is None, row.at or 0.0))


class _Table:
    def __init__(self, planfile: PlanFile) -> None:
        self.planfile = planfile
        self.rows: list[Row] = []
        self.t = 0.0
        self.faults: dict[tuple[str, AnchorEvent], float] = {}
        self.ends: dict[str, float] = {}
        self.done: dict[str, float | None] = {}

    def add(self, at: float | None, who: str, what: str, due: float | None = None) -> None:
        self.rows.append(Row(at, who, what, due))

    def run(self, step: RunStep, number: str) -> None:
        spec, scenario = step.run, self.planfile.scenarios[step.run.name].scenario
        t0 = self.t + STARTUP_S
        end = t0 + scenario.load.duration + stop_grace(scenario)
        self.ends[spec.name] = end
        mode = "in the background" if spec.background else "waited for"
        self.add(self.t, "machine", f"{number}: run {spec.name} ({scenario.name}, {mode})")
        for fault in scenario.faults:
            stop = fault.end(scenario.load.duration)
            self.faults[(fault.name, AnchorEvent.INJECTED)] = t0 + fault.at
            self.faults[(fault.name, AnchorEvent.RESTORED)] = t0 + stop
            self.add(t0 + fault.at, "machine", f"fault {fault.name} injected ({spec.name})")
            self.add(t0 + stop, "machine", f"fault {fault.name} restored ({spec.name})")
        self.add(end, "machine", f"run {spec.name} ends")
        if not spec.background:
            self.t = end

    def checkpoint(self, step: CheckpointStep, number: str) -> None:
        checkpoint, after = step.checkpoint, step.checkpoint.after
        anchor: float | None = self.t
        anchor_text = "from this step"
        if after is not None and after.fault is not None:
            anchor = self.faults.get((after.fault, after.event))
            anchor_text = f"after {after.fault} {after.event.value}"
        elif after is not None and after.checkpoint is not None:
            anchor = self.done.get(after.checkpoint)
            anchor_text = f"after checkpoint {after.checkpoint}"
        elif after is not None:
            anchor = None
            anchor_text = f"after the first {after.alert} alert (when it fires)"
        due = anchor + checkpoint.within if anchor is not None else None
        who = f"{checkpoint.role} ({', '.join(self.planfile.plan.roles[checkpoint.role].who)})"
        text = f"{number}: checkpoint {checkpoint.id}: {checkpoint.do}, within {format_duration(checkpoint.within)}"
        self.add(None if anchor is None else max(self.t, anchor), who, f"{text} {anchor_text}", due)
        self.done[checkpoint.id] = anchor
        if anchor is not None:
            self.t = max(self.t, anchor)

    def wait(self, step: WaitStep, number: str) -> None:
        if step.wait.until is not None:
            self.t = max(self.t, self.ends.get(step.wait.until, self.t))
            self.add(self.t, "everyone", f"{number}: run {step.wait.until} has ended")
        else:
            assert step.wait.for_ is not None
            scaled = step.wait.for_ * self.planfile.scale
            self.add(self.t, "everyone", f"{number}: wait {format_duration(scaled)}")
            self.t += scaled
