"""A run's records in columns: what the judgement reads, one numpy array per field.

Requests are joined from their sent and ended records (a request with no end record has
``ended`` NaN: it was still in flight when the data was read). Every time is an offset in
seconds from the start of load (``LoadEvent`` START). Closed sets are small integer
codes: ``KINDS``, ``ERROR_KINDS`` and the scenario's provider names, in order, with -1 for
"none" or "unknown".

``RunDataBuilder`` takes parsed JSON objects (what ``orjson.loads`` gives for a line of
``records.jsonl``, ``ledger.jsonl``, ``events.jsonl`` or ``proxies.jsonl``) in batches,
so the loader can stream a large run through it and tests can hand it records.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from chaos.records import ErrorKind, FaultEvent, LoadEventKind, ProxyCounters, Record, RequestKind
from chaos.scenario.model import Scenario

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Codes = NDArray[np.int16]
Bools = NDArray[np.bool_]

KINDS: tuple[RequestKind, ...] = tuple(RequestKind)
ERROR_KINDS: tuple[ErrorKind, ...] = tuple(ErrorKind)
KIND_CODE = {kind.value: code for code, kind in enumerate(KINDS)}
ERROR_CODE = {kind.value: code for code, kind in enumerate(ERROR_KINDS)}
TIMEOUT = ERROR_CODE[ErrorKind.TIMEOUT.value]
NONE = -1
EVAL_PASS, EVAL_FAIL = 1, 0


@dataclass(frozen=True, eq=False)
class Requests:
    """One row per user request, in no particular order."""

    sent: Floats
    headers: Floats  # NaN: no response headers
    first_token: Floats  # NaN: no first token
    ended: Floats  # NaN: still in flight
    failed: Bools
    error: Codes  # index into ERROR_KINDS, or NONE
    kind: Codes  # index into KINDS
    stream: Bools
    served: Codes  # provider named by the target's answer, or NONE
    degraded: Bools
    eval_pass: Codes  # EVAL_PASS, EVAL_FAIL, or NONE (not an eval, or no answer)
    ledger_served: Codes  # provider of the last 2xx ledger row with this id, or NONE

    def __len__(self) -> int:
        return len(self.sent)

    def take(self, selector: Bools | NDArray[np.intp]) -> Requests:
        """The rows a boolean mask or an index array selects."""
        return Requests(**{f.name: getattr(self, f.name)[selector] for f in fields(self)})

    @property
    def in_flight(self) -> Bools:
        return np.isnan(self.ended)

    def resolved(self, now: float, grace: float) -> Requests:
        """The requests as judged at ``now``: those in flight for longer than ``grace``
        count as failed with a timeout ending at ``now``; younger ones are left out."""
        in_flight = self.in_flight
        overdue = in_flight & (self.sent <= now - grace)
        kept = self.take(~in_flight | overdue)
        if not overdue.any():
            return kept
        late = kept.in_flight
        return replace(
            kept,
            ended=np.where(late, now, kept.ended),
            failed=kept.failed | late,
            error=np.where(late, np.int16(TIMEOUT), kept.error).astype(np.int16),
            eval_pass=np.where(late, np.int16(NONE), kept.eval_pass).astype(np.int16),
        )


@dataclass(frozen=True, eq=False)
class Ledger:
    """One row per request a provider received (canary rows included, marked)."""

    t: Floats
    provider: Codes  # index into the scenario's providers, or NONE for an unknown one
    status: Codes
    input_tokens: Ints
    output_tokens: Ints
    request: NDArray[np.int64]  # row of Requests with this request id, or NONE
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
    requests: Requests
    ledger: Ledger
    faults: tuple[FaultEvent, ...]
    proxies: Mapping[str, ProxySeries] = field(default_factory=dict)

    def offset(self, epoch: float) -> float:
        return epoch - self.t0


def served_lookup(scenario: Scenario) -> dict[str, int]:
    """Values a target may report -> provider code: the scenario's map, then each
    provider's name and model."""
    names = list(scenario.providers)
    lookup: dict[str, int] = {}
    for name, provider in scenario.providers.items():
        lookup.setdefault(provider.model, names.index(name))
    for name in names:
        lookup[name] = names.index(name)
    for value, name in scenario.target.served_by.map.items():
        lookup[value] = names.index(name)
    return lookup


def split_records(objects: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Parsed records grouped by their ``record`` type."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for obj in objects:
        groups.setdefault(obj["record"], []).append(obj)
    return groups


def ended_columns(ended: Sequence[Mapping[str, Any]], served: Mapping[str, int], t0: float) -> Requests:
    """Requests from their end records (offsets from ``t0``; ``ledger_served`` left unknown)."""
    count = len(ended)
    return Requests(
        sent=np.asarray([obj["t_sent"] for obj in ended], dtype=np.float64) - t0,
        headers=np.asarray([obj.get("t_headers") for obj in ended], dtype=np.float64) - t0,
        first_token=np.asarray([obj.get("t_first_token") for obj in ended], dtype=np.float64) - t0,
        ended=np.asarray([obj["t_ended"] for obj in ended], dtype=np.float64) - t0,
        failed=np.asarray([obj["outcome"] != "ok" for obj in ended], dtype=np.bool_),
        error=np.asarray([ERROR_CODE.get(obj.get("error_kind") or "", NONE) for obj in ended], dtype=np.int16),
        kind=np.asarray([KIND_CODE[obj["kind"]] for obj in ended], dtype=np.int16),
        stream=np.asarray([obj["stream"] for obj in ended], dtype=np.bool_),
        served=np.asarray([served.get(obj.get("served_by") or "", NONE) for obj in ended], dtype=np.int16),
        degraded=np.asarray([obj.get("degraded") is not None for obj in ended], dtype=np.bool_),
        eval_pass=np.asarray([_eval_code(obj.get("eval_pass")) for obj in ended], dtype=np.int16),
        ledger_served=np.full(count, NONE, dtype=np.int16),
    )


def sent_columns(sent: Sequence[Mapping[str, Any]], t0: float) -> Requests:
    """Requests known only from their sent record: still in flight."""
    count = len(sent)
    nothing = np.full(count, np.nan)
    return Requests(
        sent=np.asarray([obj["t_sent"] for obj in sent], dtype=np.float64) - t0,
        headers=nothing,
        first_token=nothing,
        ended=nothing,
        failed=np.zeros(count, dtype=np.bool_),
        error=np.full(count, NONE, dtype=np.int16),
        kind=np.asarray([KIND_CODE[obj["kind"]] for obj in sent], dtype=np.int16),
        stream=np.asarray([obj["stream"] for obj in sent], dtype=np.bool_),
        served=np.full(count, NONE, dtype=np.int16),
        degraded=np.zeros(count, dtype=np.bool_),
        eval_pass=np.full(count, NONE, dtype=np.int16),
        ledger_served=np.full(count, NONE, dtype=np.int16),
    )


def ledger_columns(rows: Sequence[Mapping[str, Any]], provider_code: Mapping[str, int], t0: float) -> Ledger:
    """Ledger rows as columns (``request`` left unmatched: NONE), in the order given."""
    return Ledger(
        t=np.asarray([row["t"] for row in rows], dtype=np.float64) - t0,
        provider=np.asarray([provider_code.get(row["provider"], NONE) for row in rows], dtype=np.int16),
        status=np.asarray([row["status"] for row in rows], dtype=np.int16),
        input_tokens=np.asarray([row.get("input_tokens", 0) for row in rows], dtype=np.int64),
        output_tokens=np.asarray([row.get("output_tokens", 0) for row in rows], dtype=np.int64),
        request=np.full(len(rows), NONE, dtype=np.int64),
        has_id=np.asarray([row.get("request_id") is not None for row in rows], dtype=np.bool_),
        canary=np.asarray([row.get("canary", False) for row in rows], dtype=np.bool_),
    )


def concat_requests(parts: Sequence[Requests]) -> Requests:
    names = [f.name for f in fields(Requests)]
    if not parts:
        return sent_columns([], 0.0)
    return Requests(**{name: np.concatenate([getattr(part, name) for part in parts]) for name in names})


def concat_ledger(parts: Sequence[Ledger]) -> Ledger:
    names = [f.name for f in fields(Ledger)]
    if not parts:
        return ledger_columns([], {}, 0.0)
    return Ledger(**{name: np.concatenate([getattr(part, name) for part in parts]) for name in names})


class RunDataBuilder:
    """Collects parsed records in batches and joins them into ``RunData``.

    A request's sent record waits in ``pending`` until its end record arrives; whatever
    still waits at ``build()`` was in flight. Columns are kept in epoch seconds until
    ``build()``, which knows t = 0.
    """

    def __init__(self, scenario: Scenario) -> None:
        self._providers = tuple(scenario.providers)
        self._provider_code = {name: code for code, name in enumerate(self._providers)}
        self._served = served_lookup(scenario)
        self._t0: float | None = None
        self._stopped: float | None = None
        self._pending: dict[str, Mapping[str, Any]] = {}
        self._ended: list[Requests] = []
        self._ended_ids: list[str] = []
        self._ledger: list[Ledger] = []
        self._ledger_ids: list[str | None] = []
        self._ledger_seq: list[int] = []
        self._faults: list[FaultEvent] = []
        self._proxies: list[ProxyCounters] = []

    def add(self, objects: Iterable[Mapping[str, Any]]) -> None:
        groups = split_records(objects)
        for obj in groups.get("sent", ()):
            self._pending[obj["id"]] = obj
        ended = groups.get("ended")
        if ended:
            for obj in ended:
                self._pending.pop(obj["id"], None)
            self._ended_ids += [obj["id"] for obj in ended]
            self._ended.append(ended_columns(ended, self._served, 0.0))
        rows = groups.get("ledger")
        if rows:
            self._ledger_ids += [row.get("request_id") for row in rows]
            self._ledger_seq += [row.get("seq", 0) for row in rows]
            self._ledger.append(ledger_columns(rows, self._provider_code, 0.0))
        for obj in groups.get("load", ()):
            if obj["event"] == LoadEventKind.START.value and self._t0 is None:
                self._t0 = float(obj["t"])
            elif obj["event"] == LoadEventKind.STOP.value:
                self._stopped = float(obj["t"])
        self._faults += [FaultEvent.model_validate(obj) for obj in groups.get("fault", ())]
        self._proxies += [ProxyCounters.model_validate(obj) for obj in groups.get("proxy", ())]

    def add_records(self, records: Iterable[Record]) -> None:
        self.add(record.model_dump(mode="json") for record in records)

    def build(self) -> RunData:
        flying = list(self._pending.values())
        requests = concat_requests([*self._ended, sent_columns(flying, 0.0)])
        t0 = self._t0 if self._t0 is not None else float(requests.sent.min(initial=np.inf))
        t0 = t0 if math.isfinite(t0) else 0.0
        index = {request_id: row for row, request_id in enumerate(self._ended_ids)}
        index.update((obj["id"], len(self._ended_ids) + row) for row, obj in enumerate(flying))
        ledger = concat_ledger(self._ledger)
        ledger = replace(
            ledger,
            t=ledger.t - t0,
            request=np.asarray([index.get(i, NONE) if i is not None else NONE for i in self._ledger_ids], np.int64),
        ).take(np.argsort(np.asarray(self._ledger_seq, dtype=np.int64), kind="stable"))
        requests = replace(
            requests,
            sent=requests.sent - t0,
            headers=requests.headers - t0,
            first_token=requests.first_token - t0,
            ended=requests.ended - t0,
            ledger_served=_ledger_served(ledger, len(requests)),
        )
        return RunData(
            providers=self._providers,
            t0=t0,
            stopped=None if self._stopped is None else self._stopped - t0,
            requests=requests,
            ledger=ledger,
            faults=tuple(sorted(self._faults, key=lambda event: event.t_actual)),
            proxies=_proxy_series(self._proxies, t0),
        )


def _eval_code(value: bool | None) -> int:
    return NONE if value is None else (EVAL_PASS if value else EVAL_FAIL)


def _ledger_served(ledger: Ledger, n_requests: int) -> Codes:
    """Per request, the provider of its last (in ledger order) 2xx non-canary row."""
    served = np.full(n_requests, NONE, dtype=np.int16)
    ok = (ledger.status >= 200) & (ledger.status < 300) & ledger.billable & (ledger.request >= 0)
    rows = np.flatnonzero(ok)
    if len(rows) == 0:
        return served
    requests = ledger.request[rows]
    # The last row of each request: a stable sort by request keeps ledger order inside each.
    order = np.argsort(requests, kind="stable")
    sorted_requests = requests[order]
    last = np.append(sorted_requests[1:] != sorted_requests[:-1], True)
    served[sorted_requests[last]] = ledger.provider[rows[order][last]]
    return served


def _proxy_series(samples: Sequence[ProxyCounters], t0: float) -> dict[str, ProxySeries]:
    by_proxy: dict[str, list[ProxyCounters]] = {}
    for sample in sorted(samples, key=lambda sample: sample.t):
        by_proxy.setdefault(sample.proxy, []).append(sample)
    return {
        proxy: ProxySeries(
            t=np.asarray([s.t - t0 for s in rows], dtype=np.float64),
            accepted=np.asarray([s.accepted for s in rows], dtype=np.int64),
            cut=np.asarray([s.cut for s in rows], dtype=np.int64),
            reset=np.asarray([s.reset for s in rows], dtype=np.int64),
        )
        for proxy, rows in by_proxy.items()
    }
