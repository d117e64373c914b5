"""The JSONL records as the judgement decodes them: only the fields it reads, fast.

``chaos.records`` defines the records (pydantic, for writing and for every other
reader); this module decodes the same lines with msgspec into slim structs, a batch of
lines at a time, because a one-hour run has millions of them. Fields the judgement does
not read are skipped without being built; types are still checked, and a bad line is
reported by its index in the batch.

Each struct is a subset of its record: the same field names, types and defaults, held to
the records by tests/slo/test_wire_parity.py. The request kind and outcome are literals
rather than the records' enums because a string is cheaper to look up, per request, than
an enum member; the test holds their values to the enums'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat
from operator import is_not
from typing import Any, Literal

import msgspec
import numpy as np

from chaos.kinds import FaultAction, LoadEventKind
from chaos.slo.data import END_CODE, EVAL_FAIL, EVAL_PASS, KIND_CODE, NONE, Codes, Ints, Ledger, Requests

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
    stopped: bool = False


class Load(msgspec.Struct, tag_field="record", tag="load", gc=False):
    event: LoadEventKind
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
    t_end: float
    provider: str
    status: int
    end: Literal["completed", "client_disconnected", "failed"]
    seq: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    request_id: str | None = None
    canary: bool = False
    version: str | None = None


class Proxy(msgspec.Struct, tag_field="record", tag="proxy", gc=False):
    t: float
    proxy: str
    accepted: int
    cut: int
    reset: int


class Other(msgspec.Struct, tag_field="record", tag="finding", gc=False):
    """A record the judgement does not read from files (findings come as an argument)."""


Wire = Sent | Ended | Load | Fault | Row | Proxy | Other
Lines = bytes | bytearray | memoryview
_LINES = msgspec.json.Decoder(Wire)
_NEWLINE, _OPEN, _CLOSE = b"\n{}"


class BadRecord(ValueError):
    """A line that is not a valid record; ``line`` counts from 0 within the chunk."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def decode_chunk(chunk: Lines) -> list[Wire]:
    """Whole JSON lines -> records, in order; blank lines are skipped.

    The fast path decodes the whole chunk in one call. ``decode_lines`` also takes two
    values on one line, or one spread over two, so its records are kept only if each
    line held one: every line is an object on its own, from ``{`` to ``}`` (a value
    cannot go on past a line that ends with ``}`` into one that starts with ``{``), and
    there are as many records as lines. Anything else (a blank line, a bad one) is
    decoded line by line, which skips blanks and locates the first bad line
    (``BadRecord``).
    """
    try:
        records = _LINES.decode_lines(chunk)
    except msgspec.DecodeError:
        return _decode_each(bytes(chunk))
    if not records or not _one_object_a_line(chunk, len(records)):
        return _decode_each(bytes(chunk))
    return records


def _one_object_a_line(chunk: Lines, count: int) -> bool:
    """``count`` lines, each from ``{`` to ``}``, every one ending with a newline."""
    text = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(text == _NEWLINE)
    return (
        len(ends) == count
        and ends[-1] == len(text) - 1
        and text[0] == _OPEN
        and bool((text[ends - 1] == _CLOSE).all())
        and bool((text[ends[:-1] + 1] == _OPEN).all())
    )


def _decode_each(chunk: bytes) -> list[Wire]:
    records = []
    for index, line in enumerate(chunk.split(b"\n")):
        if line.strip():
            try:
                records.append(_LINES.decode(line))
            except msgspec.DecodeError as exc:
                raise BadRecord(index, str(exc)) from None
    return records


_EVAL_CODE = {None: NONE, True: EVAL_PASS, False: EVAL_FAIL}
Fields = Mapping[str, Sequence[Any]]


def field_values(records: Sequence[msgspec.Struct], kind: type[msgspec.Struct]) -> Fields:
    """The records' values of each field of ``kind``, by name: one C-level pass over the
    records and a transposition, cheaper than a getter mapped over them per field."""
    if not records:
        return dict.fromkeys(kind.__struct_fields__, ())
    return dict(zip(kind.__struct_fields__, zip(*map(msgspec.structs.astuple, records), strict=True), strict=True))


def ended_columns(ended: Fields, served: Mapping[str, int]) -> Requests:
    """Requests from the ``fields`` of their end records (epoch seconds; who served them
    by the ledger left unknown)."""
    count = len(ended["id"])
    return Requests(
        sent=np.array(ended["t_sent"], dtype=np.float64),
        headers=np.array(ended["t_headers"], dtype=np.float64),  # None -> NaN
        first_token=np.array(ended["t_first_token"], dtype=np.float64),
        ended=np.array(ended["t_ended"], dtype=np.float64),
        failed=np.fromiter(map("ok".__ne__, ended["outcome"]), dtype=np.bool_, count=count),
        kind=_codes(KIND_CODE, ended["kind"]),
        served=_codes(served, ended["served_by"]),
        degraded=np.fromiter(map(is_not, ended["degraded"], repeat(None)), dtype=np.bool_, count=count),
        eval_pass=_codes(_EVAL_CODE, ended["eval_pass"]),
        stopped=np.array(ended["stopped"], dtype=np.bool_),
        serving_row=np.full(count, NONE, dtype=np.int64),
        ledger_served=np.full(count, NONE, dtype=np.int16),
        attribution=np.full(count, NONE, dtype=np.int16),
    )


def _codes(lookup: Mapping[Any, int], values: Sequence[Any]) -> Codes:
    """Each value's code, NONE for a value ``lookup`` does not know."""
    return np.fromiter(map(lookup.get, values, repeat(NONE)), dtype=np.int16, count=len(values))


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
        kind=_codes(KIND_CODE, [r.kind for r in sent]),
        served=np.full(count, NONE, dtype=np.int16),
        degraded=np.zeros(count, dtype=np.bool_),
        eval_pass=np.full(count, NONE, dtype=np.int16),
        stopped=np.zeros(count, dtype=np.bool_),
        serving_row=np.full(count, NONE, dtype=np.int64),
        ledger_served=np.full(count, NONE, dtype=np.int16),
        attribution=np.full(count, NONE, dtype=np.int16),
    )


def ledger_columns(rows: Fields, provider_code: Mapping[str, int], request: Ints | None = None) -> Ledger:
    """Ledger rows from their ``fields``, in the order given (epoch seconds), with the
    row of the request each names (NONE when it names none, or none is given)."""
    ids = rows["request_id"]
    count = len(ids)
    return Ledger(
        t=np.array(rows["t"], dtype=np.float64),
        t_end=np.array(rows["t_end"], dtype=np.float64),
        provider=_codes(provider_code, rows["provider"]),
        status=np.array(rows["status"], dtype=np.int16),
        end=_codes(END_CODE, rows["end"]),
        input_tokens=np.array(rows["input_tokens"], dtype=np.int64),
        output_tokens=np.array(rows["output_tokens"], dtype=np.int64),
        request=np.full(count, NONE, dtype=np.int64) if request is None else request,
        has_id=np.fromiter(map(is_not, ids, repeat(None)), dtype=np.bool_, count=count),
        canary=np.array(rows["canary"], dtype=np.bool_),
    )
