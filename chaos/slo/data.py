"""A run's records in columns: what the judgement reads, one numpy array per field.

Requests are joined from their sent and ended records (a request with no end record has
``ended`` NaN: it was still in flight when the data was read). Every time is an offset in
seconds from the start of load (``LoadEvent`` START). Closed sets are small integer
codes: ``KINDS`` and the scenario's provider names, in order, with -1 for
"none" or "unknown". ``chaos.slo.builder`` makes these from the JSONL records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

import numpy as np
from numpy.typing import NDArray

from chaos.kinds import CallEnd, RequestKind
from chaos.records import FaultEvent

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Codes = NDArray[np.int16]
Bools = NDArray[np.bool_]

KINDS: tuple[RequestKind, ...] = tuple(RequestKind)
KIND_CODE = {kind.value: code for code, kind in enumerate(KINDS)}
NONE = -1
EVAL_PASS, EVAL_FAIL = 1, 0

# How the call that served a request was found (``Requests.attribution``): NONE when none
# was; by the request id it carried; or by time (``chaos.slo.attribution``), with one
# candidate call, several at one provider, or several at more than one provider.
BY_ID, BY_TIME, BY_TIME_SEVERAL, BY_TIME_PROVIDERS = 0, 1, 2, 3
END_CODE = {end.value: code for code, end in enumerate(CallEnd)}  # Ledger.end


@dataclass(frozen=True, eq=False)
class Requests:
    """One row per user request, in no particular order."""

    sent: Floats
    headers: Floats  # NaN: no response headers
    first_token: Floats  # NaN: no first token
    ended: Floats  # NaN: still in flight
    failed: Bools
    kind: Codes  # index into KINDS
    served: Codes  # provider named by the target's answer, or NONE
    degraded: Bools
    eval_pass: Codes  # EVAL_PASS, EVAL_FAIL, or NONE (not an eval, or no answer)
    stopped: Bools  # ended by the load's stop grace (recorded as a timeout)
    serving_row: Ints  # the ledger row of the call that served it, or NONE
    ledger_served: Codes  # that row's provider, or NONE
    attribution: Codes  # how that row was found: BY_ID, BY_TIME..., or NONE

    def __len__(self) -> int:
        return len(self.sent)

    def take(self, selector: Bools | NDArray[np.intp]) -> Requests:
        """The rows a boolean mask or an index array selects."""
        return Requests(**{f.name: getattr(self, f.name)[selector] for f in fields(self)})

    @property
    def in_flight(self) -> Bools:
        return np.isnan(self.ended)

    def resolved(self, now: float, grace: float) -> tuple[Bools, Requests]:
        """The requests as judged at ``now``, and which of these rows they are: those in
        flight for longer than ``grace`` count as failed (timed out) ending at ``now``;
        younger ones are left out."""
        in_flight = self.in_flight
        overdue = in_flight & (self.sent <= now - grace)
        kept_mask = ~in_flight | overdue
        kept = self.take(kept_mask)
        if not overdue.any():
            return kept_mask, kept
        late = kept.in_flight
        return kept_mask, replace(
            kept,
            ended=np.where(late, now, kept.ended),
            failed=kept.failed | late,
            eval_pass=np.where(late, np.int16(NONE), kept.eval_pass).astype(np.int16),
        )


@dataclass(frozen=True, eq=False)
class Ledger:
    """One row per request a provider received (canary rows included, marked)."""

    t: Floats  # received
    t_end: Floats
    provider: Codes  # index into the scenario's providers, or NONE for an unknown one
    status: Codes
    end: Codes  # how the call ended: END_CODE of its CallEnd
    input_tokens: Ints
    output_tokens: Ints
    request: NDArray[np.int64]  # row of Requests with this request id (or served by time), or NONE
    has_id: Bools  # the row carried a request id (matched or not)
    canary: Bools

    def __len__(self) -> int:
        return len(self.t)

    def take(self, selector: Bools | NDArray[np.intp]) -> Ledger:
        return Ledger(**{f.name: getattr(self, f.name)[selector] for f in fields(self)})

    @property
    def billable(self) -> Bools:
        """Rows that count for cost and attempts: every row but the target's canaries."""
        return ~self.canary

    @property
    def serving(self) -> Bools:
        """Calls that can have served a user request, canaries apart: ``LedgerRow.served``,
        read from the columns (a test holds the two to one answer)."""
        completed = self.end == END_CODE[CallEnd.COMPLETED]
        left_after_tokens = (self.end == END_CODE[CallEnd.CLIENT_DISCONNECTED]) & (self.output_tokens > 0)
        serving: Bools = (self.status >= 200) & (self.status < 300) & (completed | left_after_tokens) & self.billable
        return serving


@dataclass(frozen=True, eq=False)
class ProxySeries:
    """Cumulative counters of one proxy, sampled over time (offsets, ascending)."""

    t: Floats
    accepted: Ints
    cut: Ints
    reset: Ints

    def refused_between(self, start: float, end: float) -> int:
        """Connections accepted and then cut or reset by a toxic in ``[start, end)``:
        the counters' growth from the last sample before ``start`` to the last before ``end``."""
        refused = self.cut + self.reset
        before = _value_at(self.t, refused, start)
        after = _value_at(self.t, refused, end)
        return max(0, after - before)


def _value_at(t: Floats, values: Ints, offset: float) -> int:
    index = int(np.searchsorted(t, offset, side="left")) - 1
    return int(values[index]) if index >= 0 else 0


@dataclass(frozen=True, eq=False)
class RunData:
    """Everything a run recorded, in columns, with offsets from the start of load."""

    providers: tuple[str, ...]
    t0: float  # epoch seconds of t = 0
    stopped: float | None  # offset at which load stopped, if it did
    last_record: float  # offset of the latest time any record carries (0 with none)
    requests: Requests
    ledger: Ledger
    faults: tuple[FaultEvent, ...]
    proxies: Mapping[str, ProxySeries] = field(default_factory=dict)
