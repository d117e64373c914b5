"""The judgement's msgspec structs (``chaos.slo.wire``) held to the records
(``chaos.records``), which define them: a struct reads only some fields, but each is a
record field of the same type and default, each tag a record kind, each literal the
values of the record's closed set, and every record kind, written as a run writes it,
decodes to the values it was written with."""

from __future__ import annotations

import types
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import msgspec
import pytest
from pydantic import BaseModel

from chaos.kinds import CallEnd, ClientFinding, ErrorKind, FaultAction, LoadEventKind, Outcome, RequestKind
from chaos.records import (
    AnyRecord,
    FaultEvent,
    Finding,
    LedgerRow,
    LoadEvent,
    ProxyCounters,
    RequestEnded,
    RequestSent,
    dump_record,
)
from chaos.slo import wire

RECORD_OF: dict[type[msgspec.Struct], type[BaseModel]] = {
    wire.Sent: RequestSent,
    wire.Ended: RequestEnded,
    wire.Load: LoadEvent,
    wire.Fault: FaultEvent,
    wire.Row: LedgerRow,
    wire.Proxy: ProxyCounters,
    wire.Other: Finding,
}

# Every record kind with every field set to a value other than its default.
EVERY_FIELD: list[BaseModel] = [
    RequestSent(id="r1", kind=RequestKind.CHAT_STREAM, endpoint="/v1/messages", stream=True, t_sent=10.5, worker="w1"),
    RequestEnded(
        id="r1",
        kind=RequestKind.EVAL,
        endpoint="/v1/messages",
        stream=True,
        t_sent=10.5,
        t_headers=10.6,
        t_first_token=10.7,
        t_ended=11.5,
        status=503,
        outcome=Outcome.FAILED,
        error_kind=ErrorKind.HTTP_5XX,
        error="HTTP 503",
        output_tokens=7,
        itl_mean=0.01,
        itl_max=0.02,
        served_by="secondary",
        degraded="cached",
        eval_id="q1",
        eval_pass=False,
        worker="w1",
        stopped=True,
    ),
    LoadEvent(event=LoadEventKind.WORKER_LOST, t=12.0, worker="w2", detail={"why": "heartbeat"}),
    FaultEvent(
        run_id="run",
        fault="primary-503",
        kind="http_error",
        action=FaultAction.RESTORE,
        t_intended=20.0,
        t_actual=20.01,
        settings={"status": 503},
        ok=False,
        error="refused",
    ),
    LedgerRow(
        seq=3,
        t=13.0,
        t_end=13.5,
        provider="primary",
        endpoint="/v1/messages",
        model="m",
        stream=True,
        status=429,
        end=CallEnd.CLIENT_DISCONNECTED,
        fault="a+b",
        retry_after_s=2.0,
        input_tokens=11,
        output_tokens=12,
        request_id="r1",
        attempt=2,
        duration_s=0.5,
        canary=True,
        run_id="run",
        version="2026-11",
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ),
    ProxyCounters(t=14.0, proxy="primary", accepted=5, cut=1, reset=2),
    Finding(kind=ClientFinding.NO_BACKOFF, provider="primary", request_ids=["r1"], detail="retried at once"),
]


def record_kinds() -> list[type[BaseModel]]:
    union = get_args(AnyRecord)[0]
    return list(get_args(union))


def shape(annotation: Any) -> Any:
    """A type reduced to what decoding accepts: a closed set by its values, a union as a set."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return shape(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return frozenset(shape(arg) for arg in get_args(annotation))
    if origin is Literal:
        return ("one of", frozenset(get_args(annotation)))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return ("one of", frozenset(member.value for member in annotation))
    if origin is not None:
        return (origin, tuple(shape(arg) for arg in get_args(annotation)))
    return annotation


def test_every_record_kind_has_one_struct_with_its_tag() -> None:
    record_tags = {model.model_fields["record"].default for model in record_kinds()}
    struct_tags = {msgspec.inspect.type_info(struct).tag for struct in get_args(wire.Wire)}
    assert struct_tags == record_tags
    assert set(RECORD_OF) == set(get_args(wire.Wire))
    for struct, model in RECORD_OF.items():
        assert msgspec.inspect.type_info(struct).tag == model.model_fields["record"].default


@pytest.mark.parametrize("struct", list(RECORD_OF), ids=lambda struct: struct.__name__)
def test_each_field_a_struct_reads_is_the_records_own(struct: type[msgspec.Struct]) -> None:
    model = RECORD_OF[struct]
    hints = get_type_hints(struct, include_extras=True)
    for field in msgspec.structs.fields(struct):
        assert field.name in model.model_fields, f"{struct.__name__}.{field.name} is no field of {model.__name__}"
        record_field = model.model_fields[field.name]
        assert shape(hints[field.name]) == shape(record_field.annotation), field.name
        assert field.required == record_field.is_required(), field.name
        if not field.required:
            default = field.default if field.default is not msgspec.NODEFAULT else field.default_factory()
            assert default == record_field.get_default(call_default_factory=True), field.name


@pytest.mark.parametrize("record", EVERY_FIELD, ids=lambda record: type(record).__name__)
def test_every_record_kind_decodes_to_the_values_it_was_written_with(record: BaseModel) -> None:
    for written in (record, type(record).model_validate(_required_only(record))):
        (decoded,) = wire.decode_chunk(dump_record(written).encode())
        assert RECORD_OF[type(decoded)] is type(written)
        for name in decoded.__struct_fields__:
            assert getattr(decoded, name) == getattr(written, name), name


def _required_only(record: BaseModel) -> dict[str, Any]:
    """The record's required fields alone: the others take their defaults."""
    return {name: getattr(record, name) for name, field in type(record).model_fields.items() if field.is_required()}


def test_every_field_of_the_example_records_differs_from_its_default() -> None:
    """So that the round trip above would see a field decoded as its default."""
    assert {type(record) for record in EVERY_FIELD} == set(record_kinds())
    for record in EVERY_FIELD:
        for name, field in type(record).model_fields.items():
            if name != "record" and not field.is_required():
                assert getattr(record, name) != field.get_default(call_default_factory=True), name
