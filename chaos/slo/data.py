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


class RunDataBuilder:
    """Collects parsed records in batches and joins them into ``RunData``.

    A request's sent record waits in ``pending`` until its end record arrives; whatever
    still waits at ``build()`` was in flight.
    """

    def __init__(self, scenario: Scenario) -> None:
        self._providers = tuple(scenario.providers)
        self._provider_code = {name: code for code, name in enumerate(self._providers)}
        self._served = served_lookup(scenario)
        self._t0: float | None = None
        self._stopped: float | None = None
        self._pending: dict[str, Mapping[str, Any]] = {}
        self._ended: list[dict[str, list[Any]]] = []
        self._ended_ids: list[list[str]] = []
        self._ledger: list[dict[str, list[Any]]] = []
        self._ledger_ids: list[list[str | None]] = []
        self._faults: list[FaultEvent] = []
        self._proxies: list[ProxyCounters] = []

    def add(self, objects: Iterable[Mapping[str, Any]]) -> None:
        sent, ended, ledger = [], [], []
        for obj in objects:
            record = obj["record"]
            if record == "ended":
                ended.append(obj)
            elif record == "sent":
                sent.append(obj)
            elif record == "ledger":
                ledger.append(obj)
            else:
                self._add_other(record, obj)
        for obj in sent:
            self._pending[obj["id"]] = obj
        if ended:
            self._add_ended(ended)
        if ledger:
            self._add_ledger(ledger)

    def add_records(self, records: Iterable[Record]) -> None:
        self.add(record.model_dump(mode="json") for record in records)

    def _add_other(self, record: str, obj: Mapping[str, Any]) -> None:
        if record == "load":
            if obj["event"] == LoadEventKind.START.value and self._t0 is None:
                self._t0 = float(obj["t"])
            elif obj["event"] == LoadEventKind.STOP.value:
                self._stopped = float(obj["t"])
        elif record == "fault":
            self._faults.append(FaultEvent.model_validate(obj))
        elif record == "proxy":
            self._proxies.append(ProxyCounters.model_validate(obj))

    def _add_ended(self, ended: list[Mapping[str, Any]]) -> None:
        pending, served = self._pending, self._served
        for obj in ended:
            pending.pop(obj["id"], None)
        self._ended_ids.append([obj["id"] for obj in ended])
        self._ended.append(
            {
                "sent": [obj["t_sent"] for obj in ended],
                "headers": [obj.get("t_headers") for obj in ended],
                "first_token": [obj.get("t_first_token") for obj in ended],
                "ended": [obj["t_ended"] for obj in ended],
                "failed": [obj["outcome"] != "ok" for obj in ended],
                "error": [ERROR_CODE.get(obj.get("error_kind"), NONE) for obj in ended],  # type: ignore[arg-type]
                "kind": [KIND_CODE[obj["kind"]] for obj in ended],
                "stream": [obj["stream"] for obj in ended],
                "served": [served.get(obj.get("served_by"), NONE) for obj in ended],  # type: ignore[arg-type]
                "degraded": [obj.get("degraded") is not None for obj in ended],
                "eval_pass": [_eval_code(obj.get("eval_pass")) for obj in ended],
            }
        )

    def _add_ledger(self, rows: list[Mapping[str, Any]]) -> None:
        code = self._provider_code
        self._ledger_ids.append([row.get("request_id") for row in rows])
        self._ledger.append(
            {
                "seq": [row.get("seq", 0) for row in rows],
                "t": [row["t"] for row in rows],
                "provider": [code.get(row["provider"], NONE) for row in rows],
                "status": [row["status"] for row in rows],
                "input_tokens": [row.get("input_tokens", 0) for row in rows],
                "output_tokens": [row.get("output_tokens", 0) for row in rows],
                "canary": [row.get("canary", False) for row in rows],
            }
        )

    def build(self) -> RunData:
        t0 = self._t0 if self._t0 is not None else self._first_sent()
        requests, index = self._requests(t0)
        ledger = self._ledger_columns(t0, index)
        requests = replace(requests, ledger_served=_ledger_served(ledger, len(requests)))
        return RunData(
            providers=self._providers,
            t0=t0,
            stopped=None if self._stopped is None else self._stopped - t0,
            requests=requests,
            ledger=ledger,
            faults=tuple(sorted(self._faults, key=lambda event: event.t_actual)),
            proxies=_proxy_series(self._proxies, t0),
        )

    def _first_sent(self) -> float:
        """t = 0 when the load's START event is missing: the first request sent."""
        firsts = [min(batch["sent"]) for batch in self._ended] + [obj["t_sent"] for obj in self._pending.values()]
        return float(min(firsts, default=0.0))

    def _requests(self, t0: float) -> tuple[Requests, dict[str, int]]:
        ids = [request_id for batch in self._ended_ids for request_id in batch]
        ids += list(self._pending)
        index = {request_id: row for row, request_id in enumerate(ids)}
        flying = list(self._pending.values())

        def column(name: str, dtype: Any, in_flight: Sequence[Any]) -> NDArray[Any]:
            parts = [np.asarray(batch[name], dtype=dtype) for batch in self._ended]
            return np.concatenate([*parts, np.asarray(in_flight, dtype=dtype)])

        nothing = [math.nan] * len(flying)
        requests = Requests(
            sent=column("sent", np.float64, [obj["t_sent"] for obj in flying]) - t0,
            headers=column("headers", np.float64, nothing) - t0,
            first_token=column("first_token", np.float64, nothing) - t0,
            ended=column("ended", np.float64, nothing) - t0,
            failed=column("failed", np.bool_, [False] * len(flying)),
            error=column("error", np.int16, [NONE] * len(flying)),
            kind=column("kind", np.int16, [KIND_CODE[obj["kind"]] for obj in flying]),
            stream=column("stream", np.bool_, [obj["stream"] for obj in flying]),
            served=column("served", np.int16, [NONE] * len(flying)),
            degraded=column("degraded", np.bool_, [False] * len(flying)),
            eval_pass=column("eval_pass", np.int16, [NONE] * len(flying)),
            ledger_served=np.full(len(ids), NONE, dtype=np.int16),
        )
        return requests, index

    def _ledger_columns(self, t0: float, index: dict[str, int]) -> Ledger:
        def column(name: str, dtype: Any) -> NDArray[Any]:
            parts = [np.asarray(batch[name], dtype=dtype) for batch in self._ledger]
            return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

        ids = [request_id for batch in self._ledger_ids for request_id in batch]
        order = np.argsort(column("seq", np.int64), kind="stable")
        ledger = Ledger(
            t=column("t", np.float64) - t0,
            provider=column("provider", np.int16),
            status=column("status", np.int16),
            input_tokens=column("input_tokens", np.int64),
            output_tokens=column("output_tokens", np.int64),
            request=np.asarray([index.get(i, NONE) if i is not None else NONE for i in ids], dtype=np.int64),
            has_id=np.asarray([i is not None for i in ids], dtype=np.bool_),
            canary=column("canary", np.bool_),
        )
        return ledger.take(order)


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
