"""The JSONL records as the judgement decodes them: only the fields it reads, fast.

``chaos.records`` defines the records (pydantic, for writing and for every other
reader); this module decodes the same lines with msgspec into slim structs, a batch of
lines at a time, because a one-hour run has millions of them. Fields the judgement does
not read are skipped without being built; types are still checked, and a bad line is
reported by its index in the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from operator import attrgetter
from typing import Any, Literal

import msgspec
import numpy as np
from numpy.typing import NDArray

from chaos.records import FaultAction
from chaos.slo.data import EVAL_FAIL, EVAL_PASS, KIND_CODE, NONE, Codes, Floats, Ledger, Requests

Kind = Literal["chat", "chat_stream", "eval"]


class Sent(msgspec.Struct, tag_field="record", tag="sent", gc=False):
    id: str
    kind: Kind
    t_sent: float


class Ended(msgspec.Struct, tag_field="record", tag="ended", gc=False):
    id: str
    kind: Kind
    t_sent: float
    t_ended: float
    outcome: Literal["ok", "failed"]
    t_headers: float | None = None
    t_first_token: float | None = None
    served_by: str | None = None
    degraded: str | None = None
    eval_pass: bool | None = None


class Load(msgspec.Struct, tag_field="record", tag="load", gc=False):
    event: str
    t: float


class Fault(msgspec.Struct, tag_field="record", tag="fault"):
    run_id: str
    fault: str
    kind: str
    action: FaultAction
    t_intended: float
    t_actual: float
    settings: dict[str, Any] = {}
    ok: bool = True
    error: str | None = None


class Row(msgspec.Struct, tag_field="record", tag="ledger", gc=False):
    t: float
    provider: str
    status: int
    seq: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    request_id: str | None = None
    canary: bool = False


class Proxy(msgspec.Struct, tag_field="record", tag="proxy", gc=False):
    t: float
    proxy: str
    accepted: int
    cut: int
    reset: int


class Other(msgspec.Struct, tag_field="record", tag="finding", gc=False):
    """A record the judgement does not read from files (findings come as an argument)."""


Wire = Sent | Ended | Load | Fault | Row | Proxy | Other
_BATCH = msgspec.json.Decoder(list[Wire])
_LINE = msgspec.json.Decoder(Wire)
_COMMAS = bytes.maketrans(b"\n", b",")


class BadRecord(ValueError):
    """A line that is not a valid record; ``line`` counts from 0 within the chunk."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def decode_chunk(chunk: bytes) -> list[Wire]:
    """Whole JSON lines -> records, in order; blank lines are skipped.

    The fast path decodes the chunk as one JSON array (newlines become commas, the last
    one the closing bracket: two copies of the chunk in all); if that fails, lines are
    decoded one by one to skip blanks and to locate the first bad line (``BadRecord``).
    """
    if not chunk or chunk.isspace():
        return []
    array = bytearray(b"[")
    array += chunk if chunk.endswith(b"\n") else chunk + b"\n"
    array[-1] = ord("]")
    try:
        return _BATCH.decode(array.translate(_COMMAS))
    except msgspec.DecodeError:
        pass
    records = []
    for index, line in enumerate(chunk.split(b"\n")):
        if line.strip():
            try:
                records.append(_LINE.decode(line))
            except msgspec.DecodeError as exc:
                raise BadRecord(index, str(exc)) from None
    return records


_EVAL_CODE = {None: NONE, True: EVAL_PASS, False: EVAL_FAIL}


def ended_columns(ended: Sequence[Ended], served: Mapping[str, int]) -> Requests:
    """Requests from their end records (epoch seconds; ``ledger_served`` left unknown).

    Each column is read with a C-level getter mapped over the records: a run has a
    million of them.
    """
    return Requests(
        sent=_floats(ended, "t_sent"),
        headers=_floats(ended, "t_headers", optional=True),
        first_token=_floats(ended, "t_first_token", optional=True),
        ended=_floats(ended, "t_ended"),
        failed=_objects(ended, "outcome") != "ok",
        kind=_codes(KIND_CODE, map(attrgetter("kind"), ended)),
        served=_codes(served, map(attrgetter("served_by"), ended)),
        degraded=_objects(ended, "degraded") != None,  # noqa: E711 (elementwise)
        eval_pass=_codes(_EVAL_CODE, map(attrgetter("eval_pass"), ended)),
        ledger_served=np.full(len(ended), NONE, dtype=np.int16),
    )


def _floats(records: Sequence[msgspec.Struct], name: str, *, optional: bool = False) -> Floats:
    """A float field as a column; an optional one's None becomes NaN."""
    values = map(attrgetter(name), records)
    if optional:
        return np.asarray(list(values), dtype=np.float64)
    return np.fromiter(values, dtype=np.float64, count=len(records))


def _objects(records: Sequence[msgspec.Struct], name: str) -> NDArray[np.object_]:
    return np.asarray(list(map(attrgetter(name), records)), dtype=object)


def _codes(lookup: Mapping[Any, int], values: Iterable[Any]) -> Codes:
    """Each value's code, NONE for a value ``lookup`` does not know."""
    return np.fromiter(map(lookup.get, values, repeat(NONE)), dtype=np.int16)


def sent_columns(sent: Sequence[Sent]) -> Requests:
    """Requests known only from their sent record: still in flight (epoch seconds)."""
    count = len(sent)
    nothing = np.full(count, np.nan)
    return Requests(
        sent=np.asarray([r.t_sent for r in sent], dtype=np.float64),
        headers=nothing,
        first_token=nothing,
        ended=nothing,
        failed=np.zeros(count, dtype=np.bool_),
        kind=_codes(KIND_CODE, (r.kind for r in sent)),
        served=np.full(count, NONE, dtype=np.int16),
        degraded=np.zeros(count, dtype=np.bool_),
        eval_pass=np.full(count, NONE, dtype=np.int16),
        ledger_served=np.full(count, NONE, dtype=np.int16),
    )


def ledger_columns(rows: Sequence[Row], provider_code: Mapping[str, int], request_row: Mapping[str, int]) -> Ledger:
    """Ledger rows as columns in the order given (epoch seconds), each matched to the
    row of ``request_row`` its request id names (NONE when it names none)."""
    count = len(rows)
    ids = _objects(rows, "request_id")
    return Ledger(
        t=_floats(rows, "t"),
        provider=_codes(provider_code, map(attrgetter("provider"), rows)),
        status=np.fromiter(map(attrgetter("status"), rows), dtype=np.int16, count=count),
        input_tokens=np.fromiter(map(attrgetter("input_tokens"), rows), dtype=np.int64, count=count),
        output_tokens=np.fromiter(map(attrgetter("output_tokens"), rows), dtype=np.int64, count=count),
        request=np.fromiter(map(request_row.get, ids, repeat(NONE)), dtype=np.int64, count=count),
        has_id=ids != None,  # noqa: E711 (elementwise)
        canary=np.fromiter(map(attrgetter("canary"), rows), dtype=np.bool_, count=count),
    )
