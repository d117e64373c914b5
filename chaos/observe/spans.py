"""A span as the run keeps it: one JSON line of ``spans.jsonl`` per span the target exported.

OTLP's protobuf messages are flattened to what the checks read: hex ids (as W3C trace
context writes them), the span kind by name, epoch seconds, and attributes as plain
scalars (arrays and maps as their JSON text).
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field

from chaos.records import Record

Scalar = str | bool | int | float


class SpanRow(Record):
    record: Literal["span"] = "span"
    trace_id: str = Field(description="32 lower-case hex digits.")
    span_id: str = Field(description="16 lower-case hex digits.")
    parent_span_id: str | None = None
    name: str
    kind: str = Field(description="OTLP's span kind without its prefix: server, client, internal, ...")
    t_start: float
    t_end: float
    status: str = Field("unset", description="unset, ok or error.")
    service: str | None = Field(None, description="The resource's service.name.")
    attributes: dict[str, Scalar] = Field(default_factory=dict)
    t_received: float = Field(description="When the run's receiver took it.")


def scalar(value: object) -> Scalar:
    """An attribute value as a scalar: lists and maps as their JSON text."""
    if isinstance(value, str | bool | int | float):
        return value
    return json.dumps(value, sort_keys=True, default=str)
