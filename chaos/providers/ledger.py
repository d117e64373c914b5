"""The billing ledger: one row per request a provider received, written when it ends.

Rows carry an increasing ``seq`` so that a reader can pull ``after`` the last one it saw
and miss nothing. Attempt numbers count, per (request id, provider), the requests
received so far (the one being counted included; ids unused for the longest are forgotten
beyond ``max_rows`` of them). While a run holds the lease, rows are
stamped with its id. The ledger keeps the newest ``max_rows`` rows; a reader that pulls
every few seconds never sees the oldest fall off.

Rows are kept as the plain dicts the provider wrote and become ``LedgerRow`` records when
read: building a validated record costs more than the rest of a zero-latency answer.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chaos.records import LedgerRow

DEFAULT_MAX_ROWS = 2_000_000
CLIENT_GONE = 499  # a row's status when the client went away before any answer (as nginx logs it)


@dataclass(frozen=True, slots=True)
class LedgerQuery:
    after: int = 0
    since: float | None = None
    until: float | None = None
    run: str | None = None
    request_id: str | None = None
    canary: bool | None = None

    def admits(self, row: dict[str, Any]) -> bool:
        return (
            row["seq"] > self.after
            and (self.since is None or row["t"] >= self.since)
            and (self.until is None or row["t"] <= self.until)
            and (self.run is None or row["run_id"] == self.run)
            and (self.request_id is None or row["request_id"] == self.request_id)
            and (self.canary is None or row["canary"] == self.canary)
        )


class Ledger:
    def __init__(self, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        self._rows: deque[dict[str, Any]] = deque(maxlen=max_rows)
        self._attempts: dict[tuple[str, str], int] = {}
        self._max_ids = max_rows
        self.last_seq = 0

    def next_attempt(self, request_id: str | None, provider: str) -> int:
        if request_id is None:
            return 1
        key = (request_id, provider)
        attempt = self._attempts.pop(key, 0) + 1
        self._attempts[key] = attempt  # re-inserted: the dict stays in order of last use
        if len(self._attempts) > self._max_ids:
            for stale in list(itertools.islice(self._attempts, max(1, self._max_ids // 10))):
                del self._attempts[stale]
        return attempt

    def write(self, **fields: Any) -> None:
        """Append a row: every field of ``LedgerRow`` but ``seq`` and ``record``, given here."""
        self.last_seq += 1
        fields["seq"] = self.last_seq
        self._rows.append(fields)

    def query(self, query: LedgerQuery) -> list[LedgerRow]:
        return [LedgerRow(**row) for row in self._after(query.after) if query.admits(row)]

    def clear(self) -> None:
        """Forget every row and attempt count; ``seq`` keeps increasing."""
        self._rows.clear()
        self._attempts.clear()

    def __len__(self) -> int:
        return len(self._rows)

    def _after(self, seq: int) -> Iterator[dict[str, Any]]:
        rows = self._rows
        if not rows or seq < rows[0]["seq"]:
            yield from rows
            return
        # seq values are contiguous from the first row kept, so the start is an index.
        start = seq - rows[0]["seq"] + 1
        for index in range(start, len(rows)):
            yield rows[index]
