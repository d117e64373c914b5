"""What a records file says about a load at a glance: requests, outcomes, Locust's own count.

For people and cross-checks, not for SLOs (those are judged from the raw records by
``chaos.slo``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from chaos.records import LoadEvent, LoadEventKind, Outcome, RequestEnded, RequestSent, parse_record


@dataclass
class LoadSummary:
    sent: int = 0
    ended: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # "ok", an error kind, or "failed" -> requests
    locust_requests: int | None = None
    locust_failures: int | None = None
    workers_lost: int = 0
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
                elif record.event is LoadEventKind.STOP:
                    stop = record.t
                elif record.event is LoadEventKind.WORKER_LOST:
                    summary.workers_lost += 1
                elif record.event is LoadEventKind.SUMMARY:
                    summary.locust_requests = record.detail.get("requests")
                    summary.locust_failures = record.detail.get("failures")
    if start is not None and stop is not None:
        summary.duration = stop - start
    return summary


def _outcome(record: RequestEnded) -> str:
    """What the record says, never more: a failure without a kind (the load generator's
    own) is "failed", not "ok"."""
    if record.outcome is Outcome.OK:
        return Outcome.OK.value
    return record.error_kind.value if record.error_kind is not None else Outcome.FAILED.value
