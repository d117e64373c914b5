"""What a game day sees of a scenario run while it goes on.

The machine's events come from the run itself: its fault events as the run writes them
(``events.jsonl``: intended and actual times), and the alerts its live monitor finds
firing each second (``LiveStatus``, the run's own live view). ``RunWatch`` turns them
into notices as they happen and keeps the anchors checkpoints count from (a fault's
injection or restore, the first alert of a severity). The figures of a comms message are
read from the run's records so far, judged by the verdict's own SLI (``chaos.slo.sli``).
The final timeline reads the journal instead, the record of what the run decided.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from chaos.gameday.plan import AnchorEvent, NotifyEvent
from chaos.gameday.webhooks import Notice
from chaos.kinds import FaultAction
from chaos.records import FaultEvent
from chaos.run.context import LiveStatus
from chaos.run.jsonl import JsonlTail
from chaos.rundir import RunDir
from chaos.scenario.loading import ScenarioFile
from chaos.scenario.objectives import AvailabilitySlo
from chaos.slo.data import RunData
from chaos.slo.loading import RunDataError, load_run
from chaos.slo.sli import Sli

log = structlog.get_logger()


def alert_severity(label: str) -> str:
    """``page 14.4x 30s/5s: availability`` -> ``page`` (``AlertRule.label`` starts with it)."""
    return label.split(" ", 1)[0]


@dataclass
class RunWatch:
    """One run step's live side: fed by the run's watch callback and its events file."""

    name: str
    loaded: ScenarioFile
    run_dir: Path
    status: LiveStatus | None = None
    injected: dict[str, float] = field(default_factory=dict)  # fault -> first actual injection (epoch)
    restored: dict[str, float] = field(default_factory=dict)
    first_alert: dict[str, float] = field(default_factory=dict)  # severity -> epoch
    firing: set[str] = field(default_factory=set)
    done: bool = False
    _tail: JsonlTail | None = None

    def watch(self, status: LiveStatus) -> None:
        """The run's watch callback (every second of the run)."""
        self.status = status

    def poll(self) -> list[Notice]:
        """New fault events and alert changes since the last poll, as notices."""
        notices = []
        if self._tail is None:
            self._tail = JsonlTail(RunDir(self.run_dir).events)
        for line in self._tail.read():
            event = FaultEvent.model_validate_json(line)
            if not event.ok or event.action is FaultAction.UPDATE:
                continue
            if event.action is FaultAction.INJECT and event.fault not in self.injected:
                self.injected[event.fault] = event.t_actual
                lag = event.t_actual - event.t_intended
                text = f"fault {event.fault} injected ({self.name}, {lag * 1000:+.0f} ms from plan)"
                notices.append(Notice(NotifyEvent.FAULT_INJECTED, event.t_actual, text, _fault_detail(self, event)))
            elif event.action is FaultAction.RESTORE:
                self.restored[event.fault] = event.t_actual
                text = f"fault {event.fault} restored ({self.name})"
                notices.append(Notice(NotifyEvent.FAULT_RESTORED, event.t_actual, text, _fault_detail(self, event)))
        summary = self.status.summary if self.status is not None else None
        if summary is not None:
            now = time.time()
            firing = set(summary.alerts)
            for alert in sorted(firing - self.firing):
                self.first_alert.setdefault(alert_severity(alert), now)
                detail = {"run": self.name, "alert": alert, "availability_10s": summary.availability}
                notices.append(Notice(NotifyEvent.ALERT_FIRED, now, f"alert firing: {alert} ({self.name})", detail))
            for alert in sorted(self.firing - firing):
                detail = {"run": self.name, "alert": alert}
                notices.append(Notice(NotifyEvent.ALERT_CLEARED, now, f"alert cleared: {alert} ({self.name})", detail))
            self.firing = firing
        return notices

    def anchor(self, fault: str, event: AnchorEvent) -> float | None:
        return (self.injected if event is AnchorEvent.INJECTED else self.restored).get(fault)


def _fault_detail(watch: RunWatch, event: FaultEvent) -> dict[str, object]:
    return {
        "run": watch.name,
        "fault": event.fault,
        "kind": event.kind,
        "action": event.action.value,
        "t_intended": event.t_intended,
        "t_actual": event.t_actual,
    }


@dataclass(frozen=True)
class SoFar:
    """A run's requests so far, judged as the verdict judges availability."""

    requests: int
    failed: int
    availability: float | None
    degraded_share: float | None


def so_far(watch: RunWatch) -> SoFar:
    """The requests that ended so far; the files of a run going on are read as they stand."""
    scenario = watch.loaded.scenario
    try:
        data: RunData = load_run(watch.run_dir, scenario)
    except RunDataError as exc:  # a line the recorder botched: the message says no figure rather than a wrong one
        log.warning("the run's records cannot be read for the comms figures", error=exc.message)
        return SoFar(0, 0, None, None)
    ended = data.requests.take(~data.requests.in_flight)
    counted, good = Sli(AvailabilitySlo(sli="availability", objective=0.0), scenario.degraded).flags(ended)
    total = int(counted.sum())
    failed = int(ended.failed.sum())
    degraded = int((ended.degraded & ~ended.failed).sum())
    return SoFar(
        requests=total,
        failed=failed,
        availability=float(good.sum()) / total if total else None,
        degraded_share=degraded / total if total else None,
    )
