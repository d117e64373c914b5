"""What a records file says about a load at a glance: requests, outcomes, Locust's own count.

For people and cross-checks, not for SLOs (those are judged from the raw records by
``chaos.slo``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from chaos.kinds import LoadEventKind, Outcome
from chaos.records import LoadEvent, RequestEnded, RequestSent, parse_record


@dataclass
class LoadSummary:
    sent: int = 0
    ended: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # "ok", an error kind, or "failed" -> requests
    locust_requests: int | None = None
    locust_failures: int | None = None
    workers_lost: int = 0
    workers_ready: int = 0  # workers that joined (distributed loads): their clock offsets were written
    started: bool = False  # the START record was written
    duration: float | None = None  # START to STOP

    @property
    def in_flight(self) -> int:
        """Requests sent that never ended (their process died)."""
        return self.sent - self.ended

    def requests_line(self) -> str:
        """``requests: 62 ended (http_5xx 40, ok 22), 0 never ended``."""
        outcomes = ", ".join(f"{kind} {count}" for kind, count in self.outcomes.most_common())
        return f"requests: {self.ended} ended ({outcomes or 'none'}), {self.in_flight} never ended"


def summarize(records: Path) -> LoadSummary:
    summary = LoadSummary()
    start = stop = None
    with records.open(encoding="utf-8") as lines:
        for line in lines:
            record = parse_record(line)
            if isinstance(record, RequestSent):
                summary.sent += 1
            elif isinstance(record, RequestEnded):
                summary.ended += 1
                summary.outcomes[_outcome(record)] += 1
            elif isinstance(record, LoadEvent):
                if record.event is LoadEventKind.START:
                    start = record.t
                    summary.started = True
                elif record.event is LoadEventKind.STOP:
                    stop = record.t
                elif record.event is LoadEventKind.WORKER_LOST:
                    summary.workers_lost += 1
                elif record.event is LoadEventKind.WORKER_READY:
                    summary.workers_ready += 1
                elif record.event is LoadEventKind.SUMMARY:
                    summary.locust_requests = record.detail.get("requests")
                    summary.locust_failures = record.detail.get("failures")
    if start is not None and stop is not None:
        summary.duration = stop - start
    return summary


def load_events(records: Path) -> list[LoadEvent]:
    """The load's own events in a records file; request records are skipped without being parsed."""
    if not records.exists():
        return []
    with records.open("rb") as lines:
        # a killed load may have left half a line at the end
        parsed = (parse_record(line) for line in lines if b'"record":"load"' in line and line.endswith(b"\n"))
        return [record for record in parsed if isinstance(record, LoadEvent)]


def _outcome(record: RequestEnded) -> str:
    """What the record says, never more: a failure without a kind (the load generator's
    own) is "failed", not "ok"."""
    if record.outcome is Outcome.OK:
        return Outcome.OK.value
    return record.error_kind.value if record.error_kind is not None else Outcome.FAILED.value
