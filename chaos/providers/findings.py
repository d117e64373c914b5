"""Client findings: how the system under test treats its providers, read from the ledger.

Pure functions over ledger rows. Rows marked canary (the target's own probes) are left
out. Retry findings are judged per (request id, provider), from the rows of one request
id at one provider in the order they were received, so that failing over to another
provider is never a finding; rows without a request id cannot show a retry. A *retry* is
a row that follows a call of the same id at the same provider that served nothing
(``LedgerRow.served``: an error, a cut stream, or one the client left before any token,
a 200 all the same); the *wait* before it runs from the end of that call to the receipt
of the retry.

- ``retry_after_ignored``: a retry came before the Retry-After of the answer before it
  had elapsed (less ``tolerance_s``).
- ``retried_non_retryable``: a retry followed a 400, 401, 403, 404, 413 or 422.
- ``retry_storm``: more than ``max_attempts`` calls for one id at one provider.
- ``no_backoff``: a wait shorter than ``min_backoff_s`` (immediate), or two successive
  waits where the second is not at least ``backoff_growth`` times the first (constant
  interval) and below ``backoff_cap_s``. Waits that honour a Retry-After are exempt.
- ``hammering_failed_provider``: judged per provider over all its rows: once
  ``failure_streak`` calls in a row have failed (5xx, 429, a stream the provider cut, or
  one the client gave up on before any token came: a provider that times out is
  failing), more than ``probes`` calls arrived within ``cooldown_s`` after the last of
  them ended. A stream its client stopped reading after tokens came is the client's
  choice (a cost guard), not a failure of the provider.
  A client with a circuit breaker stops for a cool-down, then probes. Calls arriving in
  the first ``in_flight_s`` are not counted: a busy client had them on the wire before
  the failures reached it (forty concurrent users put forty calls in flight at once).
  When the last failure said Retry-After, the window ends there: calls after the
  provider's own wait honour it.

Each kind gives at most one finding per provider, listing every request id that shows it.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from chaos.kinds import CallEnd, ClientFinding
from chaos.records import Finding, LedgerRow

NON_RETRYABLE = frozenset({400, 401, 403, 404, 413, 422})


@dataclass(frozen=True)
class Thresholds:
    max_attempts: int = 4
    min_backoff_s: float = 0.1
    backoff_growth: float = 1.2
    backoff_cap_s: float = 10.0
    tolerance_s: float = 0.05
    failure_streak: int = 5
    cooldown_s: float = 5.0
    probes: int = 2
    in_flight_s: float = 0.5


def client_findings(rows: Iterable[LedgerRow], thresholds: Thresholds | None = None) -> list[Finding]:
    """Every client finding the rows show, one per (kind, provider), in a stable order."""
    limits = thresholds or Thresholds()
    user_rows = [row for row in rows if not row.canary]
    shown: dict[tuple[ClientFinding, str], _Evidence] = defaultdict(_Evidence)
    by_attempts: dict[tuple[str, str], list[LedgerRow]] = defaultdict(list)
    for row in user_rows:
        if row.request_id is not None:
            by_attempts[(row.request_id, row.provider)].append(row)
    for (request_id, provider), attempts in by_attempts.items():
        attempts.sort(key=lambda row: (row.t, row.seq))
        for kind, note in _retry_findings(attempts, limits):
            shown[(kind, provider)].add(request_id, note)
    by_provider: dict[str, list[LedgerRow]] = defaultdict(list)
    for row in user_rows:
        by_provider[row.provider].append(row)
    for provider, provider_rows in by_provider.items():
        for ids, note in _hammering(provider_rows, limits):
            shown[(ClientFinding.HAMMERING_FAILED_PROVIDER, provider)].add_many(ids, note)
    return [
        Finding(kind=kind, provider=provider, request_ids=evidence.ids, detail=evidence.detail(kind, provider))
        for (kind, provider), evidence in sorted(shown.items(), key=lambda item: (item[0][0].value, item[0][1]))
    ]


class _Evidence:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.notes: list[str] = []
        self._seen: set[str] = set()

    def add(self, request_id: str, note: str) -> None:
        if request_id not in self._seen:
            self._seen.add(request_id)
            self.ids.append(request_id)
        self.notes.append(note)

    def add_many(self, ids: list[str], note: str) -> None:
        for request_id in ids:
            if request_id not in self._seen:
                self._seen.add(request_id)
                self.ids.append(request_id)
        self.notes.append(note)

    def detail(self, kind: ClientFinding, provider: str) -> str:
        count = len(self.notes)
        return f"{_TITLES[kind]} at {provider}: {count} time{'s' if count != 1 else ''}; first: {self.notes[0]}"


_TITLES = {
    ClientFinding.RETRY_AFTER_IGNORED: "retried before Retry-After elapsed",
    ClientFinding.RETRIED_NON_RETRYABLE: "retried a non-retryable error",
    ClientFinding.RETRY_STORM: "too many attempts for one request",
    ClientFinding.NO_BACKOFF: "retried without backing off",
    ClientFinding.HAMMERING_FAILED_PROVIDER: "kept calling a failing provider (no circuit breaker)",
}


def _retry_findings(attempts: list[LedgerRow], limits: Thresholds) -> list[tuple[ClientFinding, str]]:
    found: list[tuple[ClientFinding, str]] = []
    request_id = attempts[0].request_id
    if len(attempts) > limits.max_attempts:
        found.append((ClientFinding.RETRY_STORM, f"request {request_id}: {len(attempts)} attempts"))
    waits: list[float | None] = []  # None: a wait that honoured Retry-After (exempt)
    for before, retry in pairwise(attempts):
        if before.served:
            waits.append(None)
            continue
        wait = retry.t - before.t_end
        what = f"request {request_id}: called again {wait:.3f} s after a {before.status}"
        if before.status in NON_RETRYABLE:
            found.append((ClientFinding.RETRIED_NON_RETRYABLE, what))
        honoured = before.retry_after_s is not None and wait >= before.retry_after_s - limits.tolerance_s
        if before.retry_after_s is not None and not honoured:
            found.append((ClientFinding.RETRY_AFTER_IGNORED, f"{what} with Retry-After {before.retry_after_s:g} s"))
        waits.append(None if honoured else wait)
    note = _no_backoff(waits, limits)
    if note is not None:
        found.append((ClientFinding.NO_BACKOFF, f"request {request_id}: {note}"))
    return found


def _no_backoff(waits: list[float | None], limits: Thresholds) -> str | None:
    for wait in waits:
        if wait is not None and wait < limits.min_backoff_s:
            return f"retried after {wait:.3f} s (immediately)"
    for first, second in pairwise(waits):
        if first is None or second is None or second >= limits.backoff_cap_s:
            continue
        if second < first * limits.backoff_growth:
            return f"waited {first:.3f} s then {second:.3f} s (constant interval)"
    return None


def _hammering(rows: list[LedgerRow], limits: Thresholds) -> list[tuple[list[str], str]]:
    """Windows after a failure streak in which too many calls still came."""
    received = sorted(rows, key=lambda row: (row.t, row.seq))
    starts = [row.t for row in received]
    found: list[tuple[list[str], str]] = []
    streak = 0
    quiet_until = float("-inf")
    for row in sorted(rows, key=lambda row: (row.t_end, row.seq)):
        if row.t_end <= quiet_until:
            continue
        failed = _failed(row)
        streak = streak + 1 if failed else 0
        if streak < limits.failure_streak:
            continue
        opened = row.t_end
        quiet = limits.cooldown_s if row.retry_after_s is None else min(limits.cooldown_s, row.retry_after_s)
        first = bisect.bisect_right(starts, opened + limits.in_flight_s)
        window = received[first : bisect.bisect_right(starts, opened + quiet)]
        if len(window) > limits.probes:
            ids = [r.request_id for r in window if r.request_id is not None]
            found.append((ids, f"{len(window)} calls within {limits.cooldown_s:g} s after {streak} failures in a row"))
        streak = 0
        quiet_until = opened + limits.cooldown_s
    return found


def _failed(row: LedgerRow) -> bool:
    """A call that served nothing, for a reason that is not the client's own request:
    any but a 4xx answer (429 excepted)."""
    return not row.served and not (row.end is CallEnd.FAILED and 400 <= row.status < 500 and row.status != 429)
