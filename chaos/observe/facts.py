"""What the run knows happened, as the observability checks compare it with what the
target reported: each request sent (and whether the target answered it), and each call
the providers' ledger saw for a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from chaos.records import LedgerRow


class _Line(msgspec.Struct):
    record: str
    id: str | None = None
    t_sent: float | None = None
    status: int | None = None
    outcome: str | None = None
    degraded: str | None = None


@dataclass
class RequestFacts:
    id: str
    t_sent: float
    status: int | None = None  # the target's HTTP status; None while no answer came
    ok: bool = False  # the request succeeded (the records' outcome)
    degraded: str | None = None
    calls: list[LedgerRow] = field(default_factory=list)  # in the order the providers received them

    @property
    def answered(self) -> bool:
        """The target received the request and answered it with a status."""
        return self.status is not None

    @property
    def served_by(self) -> str | None:
        """The provider of the last call that served it (DESIGN.md, "Who served"); None
        when none did: a successful request then got a degraded answer."""
        return next((row.provider for row in reversed(self.calls) if row.served), None)

    def call_kind(self, row: LedgerRow) -> str:
        """What a call was for its request: the first call, a retry at the same provider, or
        a fallback to another."""
        if row.attempt > 1:
            return f"retry (attempt {row.attempt} at {row.provider})"
        if self.calls and self.calls[0] is not row and self.calls[0].provider != row.provider:
            return f"fallback to {row.provider}"
        return f"call to {row.provider}"


def read_requests(records: Path, ledger: Sequence[LedgerRow]) -> dict[str, RequestFacts]:
    """Each request the load sent (``records.jsonl``), with the ledger's calls that carried
    its id; the target's own canary calls are no request's."""
    requests: dict[str, RequestFacts] = {}
    decoder = msgspec.json.Decoder(_Line)
    if records.exists():
        with records.open("rb") as lines:
            for raw in lines:
                try:
                    line = decoder.decode(raw)
                except msgspec.DecodeError:
                    continue  # a killed run's last, partial line
                if line.id is None or line.t_sent is None:
                    continue
                if line.record == "sent":
                    requests.setdefault(line.id, RequestFacts(line.id, line.t_sent))
                elif line.record == "ended":
                    facts = requests.setdefault(line.id, RequestFacts(line.id, line.t_sent))
                    facts.status, facts.ok, facts.degraded = line.status, line.outcome == "ok", line.degraded
    attach_calls(requests, ledger)
    return requests


def attach_calls(requests: dict[str, RequestFacts], ledger: Iterable[LedgerRow]) -> None:
    for row in sorted(ledger, key=lambda row: (row.t, row.seq)):
        if row.canary or row.request_id is None:
            continue
        facts = requests.get(row.request_id)
        if facts is not None:
            facts.calls.append(row)
