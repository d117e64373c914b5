"""JSONL record lines -> ``RunData``: requests joined from their sent and ended records,
ledger rows matched to requests by id, everything in offsets from t = 0.

Lines come in chunks of whole lines (the loader streams a run's files through; tests
hand records), in any order across files. A sent record whose end record has not come
yet waits in ``pending``; those still without one at ``build()`` were in flight.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from itertools import chain, compress, repeat
from operator import attrgetter, is_
from typing import TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from chaos.kinds import LoadEventKind
from chaos.records import FaultEvent, Record, dump_record
from chaos.scenario.model import Scenario
from chaos.slo.attribution import attribute
from chaos.slo.data import NONE, Codes, Floats, Ints, Ledger, ProxySeries, Requests, RunData
from chaos.slo.ids import RequestIndex
from chaos.slo.wire import (
    Ended,
    Fault,
    Lines,
    Load,
    Proxy,
    Row,
    Sent,
    Wire,
    decode_chunk,
    ended_columns,
    field_values,
    ledger_columns,
    sent_columns,
)

_Columns = TypeVar("_Columns", Requests, Ledger)
_Record = TypeVar("_Record", Ended, Sent, Row)
_ID = attrgetter("id")


def served_lookup(scenario: Scenario) -> dict[str, int]:
    """Values a target may report -> provider code (``Scenario.served_by_values``)."""
    names = list(scenario.providers)
    return {value: names.index(provider) for value, provider in scenario.served_by_values().items()}


def provider_codes(scenario: Scenario) -> dict[str, int]:
    return {name: code for code, name in enumerate(scenario.providers)}


class RunDataBuilder:
    def __init__(self, scenario: Scenario) -> None:
        self._providers = tuple(scenario.providers)
        self._provider_code = provider_codes(scenario)
        self._served = served_lookup(scenario)
        self._t0: float | None = None
        self._stopped: float | None = None
        self._pending: list[Sent] = []
        self._ended: list[Requests] = []
        self._index = RequestIndex()  # request id -> its row among ended requests
        self._ledger: list[Ledger] = []
        self._ledger_rows = 0
        self._unmatched: list[tuple[int, str]] = []  # ledger rows whose id was not known yet
        self._ledger_seq: list[NDArray[np.int64]] = []
        self._faults: list[FaultEvent] = []
        self._proxies: list[Proxy] = []
        self._last = -math.inf  # the latest time any record carries (epoch seconds)

    def add_chunk(self, chunk: Lines) -> None:
        """Whole JSON lines of any of the run's files; raises ``wire.BadRecord``."""
        records = decode_chunk(chunk)
        ended, sent, rows = _common(records)
        if len(ended) + len(sent) + len(rows) < len(records):
            for record in records:
                self._add_other(record)
        ended_ids = self._add_ended(ended) if ended else set()
        if sent:
            self._add_sent(sent, ended_ids)
        if rows:
            self._add_rows(rows)

    def add_records(self, records: Iterable[Record]) -> None:
        self.add_chunk("".join(dump_record(record) for record in records).encode())

    def _add_ended(self, ended: list[Ended]) -> set[str]:
        values = field_values(ended, Ended)
        self._later(values["t_ended"])
        ids = values["id"]
        self._index.add(ids)
        self._ended.append(ended_columns(values, self._served))
        return set(ids)

    def _add_sent(self, sent: list[Sent], ended_ids: set[str]) -> None:
        """Keep the sent records whose end is not in the same chunk: most ends are, the
        others mostly come in the next one (kept ones are let go then), and ``build``
        keeps those whose end never came."""
        self._later(record.t_sent for record in sent)
        if self._pending and ended_ids:
            self._pending = [record for record in self._pending if record.id not in ended_ids]
        ids = list(map(_ID, sent))
        waiting = set(ids).difference(ended_ids)
        if waiting:
            self._pending += compress(sent, map(waiting.__contains__, ids))

    def _add_rows(self, rows: list[Row]) -> None:
        values = field_values(rows, Row)
        self._later(values["t_end"])
        ids = values["request_id"]
        ledger = ledger_columns(values, self._provider_code, self._index.rows(ids))
        for offset in np.flatnonzero(ledger.has_id & (ledger.request == NONE)).tolist():
            self._unmatched.append((self._ledger_rows + offset, ids[offset]))
        self._ledger_seq.append(np.array(values["seq"], dtype=np.int64))
        self._ledger.append(ledger)
        self._ledger_rows += len(rows)

    def _later(self, times: Iterable[float]) -> None:
        """Note the times of records read: the latest is where a killed run's timeline ends."""
        self._last = max(chain((self._last,), times))

    def _add_other(self, record: object) -> None:
        if isinstance(record, Load | Proxy):
            self._later((record.t,))
        elif isinstance(record, Fault):
            self._later((record.t_actual,))
        if isinstance(record, Load):
            if record.event == LoadEventKind.START.value and self._t0 is None:
                self._t0 = record.t
            elif record.event == LoadEventKind.STOP.value:
                self._stopped = record.t
        elif isinstance(record, Fault):
            self._faults.append(
                FaultEvent(
                    run_id=record.run_id,
                    fault=record.fault,
                    kind=record.kind,
                    action=record.action,
                    t_intended=record.t_intended,
                    t_actual=record.t_actual,
                    settings=record.settings,
                    ok=record.ok,
                    error=record.error,
                )
            )
        elif isinstance(record, Proxy):
            self._proxies.append(record)

    def build(self) -> RunData:
        """The run's data; the builder is spent afterwards (its id index is released)."""
        pending = self._pending
        ended = self._index.rows([record.id for record in pending]) != NONE
        flying = list({record.id: record for record, end in zip(pending, ended, strict=True) if not end}.values())
        ledger = _concat(Ledger, self._ledger) if self._ledger else ledger_columns(field_values([], Row), {})
        self._match_late(ledger.request, flying)
        self._index = RequestIndex()
        self._ended.append(sent_columns(flying))
        requests = _concat(Requests, self._ended)
        t0 = self._t0 if self._t0 is not None else float(requests.sent.min(initial=math.inf))
        t0 = t0 if math.isfinite(t0) else 0.0
        for column in (requests.sent, requests.headers, requests.first_token, requests.ended, ledger.t, ledger.t_end):
            to_offsets(column, t0)
        seq = np.concatenate(self._ledger_seq) if self._ledger_seq else np.empty(0, dtype=np.int64)
        if np.any(seq[1:] < seq[:-1]):  # rows are written in order, but may be read out of it
            ledger = ledger.take(np.argsort(seq, kind="stable"))
        serving, attribution = attribute(requests, ledger, _serving_rows(ledger, len(requests)))
        requests = replace(
            requests, serving_row=serving, ledger_served=_providers_of(ledger, serving), attribution=attribution
        )
        return RunData(
            providers=self._providers,
            t0=t0,
            stopped=None if self._stopped is None else round(self._stopped - t0, 6),
            last_record=round(self._last - t0, 6) if math.isfinite(self._last) else 0.0,
            requests=requests,
            ledger=ledger,
            faults=tuple(sorted(self._faults, key=lambda event: event.t_actual)),
            proxies=_proxy_series(self._proxies, t0),
        )

    def _match_late(self, request: Ints, flying: list[Sent]) -> None:
        """Match, in place, the ledger rows whose request was not known when they came."""
        if not self._unmatched:
            return
        rows, ids = zip(*self._unmatched, strict=True)
        found = self._index.rows(ids)
        late = {record.id: len(self._index) + row for row, record in enumerate(flying)}
        for index in np.flatnonzero(found == NONE).tolist():
            found[index] = late.get(ids[index], NONE)
        request[list(rows)] = found


def _common(records: list[Wire]) -> tuple[list[Ended], list[Sent], list[Row]]:
    """The records of the common types, in order: a C-speed pass for each type a chunk
    may hold, the ledger's first (a chunk of the ledger holds nothing else)."""
    rows = _of_type(Row, records) if records and type(records[0]) is Row else []
    if len(rows) == len(records):
        return [], [], rows
    ended, sent = _of_type(Ended, records), _of_type(Sent, records)
    if not rows and len(ended) + len(sent) < len(records):
        rows = _of_type(Row, records)
    return ended, sent, rows


def _of_type(kind: type[_Record], records: list[Wire]) -> list[_Record]:
    return cast(list[_Record], list(compress(records, map(is_, map(type, records), repeat(kind)))))


def _concat(kind: type[_Columns], parts: list[_Columns]) -> _Columns:
    """The parts one after another; ``parts`` is emptied, each column of the parts let go
    once joined, so that the whole is not held twice."""
    columns = {f.name: [getattr(part, f.name) for part in parts] for f in fields(kind)}
    parts.clear()
    return kind(**{name: np.concatenate(columns.pop(name)) for name in list(columns)})


def to_offsets(epochs: Floats, t0: float) -> None:
    """Epoch seconds -> seconds from t = 0, in place, to the microsecond (epoch floats
    carry noise below it)."""
    np.subtract(epochs, t0, out=epochs)
    np.round(epochs, 6, out=epochs)


def _serving_rows(ledger: Ledger, n_requests: int) -> Ints:
    """Per request, the last (in ledger order) serving call carrying its id, or NONE."""
    rows = np.flatnonzero(ledger.serving & (ledger.request >= 0))
    last = np.full(n_requests, NONE, dtype=np.int64)
    np.maximum.at(last, ledger.request[rows], rows)  # no sort, and none of its copies
    return last


def _providers_of(ledger: Ledger, rows: Ints) -> Codes:
    """The provider of each row of ``rows`` (NONE for NONE)."""
    served = np.full(len(rows), NONE, dtype=np.int16)
    answered = np.flatnonzero(rows != NONE)
    served[answered] = ledger.provider[rows[answered]]
    return served


def _proxy_series(samples: Sequence[Proxy], t0: float) -> dict[str, ProxySeries]:
    by_proxy: dict[str, list[Proxy]] = {}
    for sample in sorted(samples, key=lambda sample: sample.t):
        by_proxy.setdefault(sample.proxy, []).append(sample)
    return {
        proxy: ProxySeries(
            t=np.round(np.asarray([s.t for s in rows], dtype=np.float64) - t0, 6),
            accepted=np.asarray([s.accepted for s in rows], dtype=np.int64),
            cut=np.asarray([s.cut for s in rows], dtype=np.int64),
            reset=np.asarray([s.reset for s in rows], dtype=np.int64),
        )
        for proxy, rows in by_proxy.items()
    }
