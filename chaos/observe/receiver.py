"""An OTLP/HTTP trace receiver on loopback: the target's spans into the run directory.

    POST /v1/traces    application/x-protobuf (OTLP's binary encoding) or application/json
                       (OTLP/JSON: ids in hex), optionally gzip-compressed

Payloads are decoded by OpenTelemetry's own message classes (``opentelemetry-proto``),
never by hand. A payload that does not decode, or carries a span with an id of the wrong
length, is refused whole with 400 and a reason, as OTLP/HTTP says for a bad request;
whatever a client sends, the receiver answers and keeps serving. Each accepted batch goes
to ``sink`` at once (the run appends it to ``spans.jsonl``), so a killed run keeps what
it received.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import aiohttp
import structlog
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from chaos.httpserver import GuardedSite
from chaos.observe.spans import Scalar, SpanRow, scalar

log = structlog.get_logger()

TRACES_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MAX_BODY_BYTES = 8 * 1024 * 1024
_STATUS = {Status.STATUS_CODE_UNSET: "unset", Status.STATUS_CODE_OK: "ok", Status.STATUS_CODE_ERROR: "error"}


class BadPayload(Exception):
    """A request the receiver refuses with 400; the message says why."""


class OtlpReceiver:
    """``async with OtlpReceiver(sink) as receiver``: listening on ``receiver.endpoint``."""

    def __init__(self, sink: Callable[[Sequence[SpanRow]], None], *, port: int = 0) -> None:
        self._sink = sink
        self._port = port
        self._runner: web.AppRunner | None = None
        self.endpoint = ""
        self.spans = 0
        self.refused = 0

    async def __aenter__(self) -> OtlpReceiver:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(TRACES_PATH, self._traces)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = GuardedSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.endpoint = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        log.info("otlp receiver stopped", spans=self.spans, refused=self.refused)

    async def _traces(self, request: web.Request) -> web.Response:
        kind = request.content_type
        if kind not in (PROTOBUF, JSON):
            return web.Response(status=415, text=f"send {PROTOBUF} or {JSON}, not {kind}")
        try:
            body = await request.read()  # aiohttp inflates gzip and deflate bodies, within client_max_size
        except web.HTTPRequestEntityTooLarge:
            self.refused += 1
            return web.Response(status=413, text=f"at most {MAX_BODY_BYTES} bytes")
        except (web.HTTPException, aiohttp.ClientPayloadError, RequestPayloadError) as exc:
            self.refused += 1
            return web.Response(status=400, text=f"the body could not be read: {exc}")
        try:
            message = decode(body, kind)
            rows = list(span_rows(message, time.time()))
        except BadPayload as exc:
            self.refused += 1
            return web.Response(status=400, text=str(exc))
        if rows:
            self._sink(rows)
            self.spans += len(rows)
        answer = ExportTraceServiceResponse()
        if kind == JSON:
            return web.Response(body=json_format.MessageToJson(answer).encode(), content_type=JSON)
        return web.Response(body=answer.SerializeToString(), content_type=PROTOBUF)


def decode(body: bytes, kind: str) -> ExportTraceServiceRequest:
    """An export request in either OTLP encoding; ``BadPayload`` if it is not one."""
    message = ExportTraceServiceRequest()
    if kind == PROTOBUF:
        try:
            message.ParseFromString(body)
        except (DecodeError, RuntimeWarning) as exc:
            raise BadPayload(f"not an OTLP protobuf ExportTraceServiceRequest: {exc}") from None
        return message
    try:
        document = json.loads(body)
        json_format.ParseDict(_ids_to_base64(document), message, ignore_unknown_fields=True)
    except (ValueError, TypeError, RecursionError, json_format.ParseError) as exc:
        raise BadPayload(f"not an OTLP/JSON ExportTraceServiceRequest: {exc}") from None
    return message


def _ids_to_base64(document: Any) -> Any:
    """OTLP/JSON writes trace and span ids in hex, where protobuf's JSON mapping reads bytes
    in base64: turn each id into what ``ParseDict`` reads."""
    if not isinstance(document, dict):
        raise BadPayload("an OTLP/JSON export request is a JSON object")
    for resource in _list(document, "resourceSpans"):
        for scope in _list(resource, "scopeSpans"):
            for span in _list(scope, "spans"):
                _rewrite_ids(span)
                for link in _list(span, "links"):
                    _rewrite_ids(link)
    return document


def _list(parent: Any, key: str) -> list[Any]:
    value = parent.get(key, []) if isinstance(parent, dict) else []
    if not isinstance(value, list):
        raise BadPayload(f"{key} must be a list")
    return value


def _rewrite_ids(item: Any) -> None:
    if not isinstance(item, dict):
        raise BadPayload("a span or link is a JSON object")
    for key in ("traceId", "spanId", "parentSpanId"):
        value = item.get(key)
        if value in (None, ""):
            continue
        try:
            item[key] = base64.b64encode(bytes.fromhex(value)).decode("ascii")
        except (TypeError, ValueError):
            raise BadPayload(f"{key} {str(value)[:40]!r} is not hex") from None


def span_rows(message: ExportTraceServiceRequest, received: float) -> Iterator[SpanRow]:
    """The spans of an export request as the run keeps them; ``BadPayload`` for an id of
    the wrong length (W3C: 16 bytes of trace id, 8 of span id, not all zero)."""
    for resource_spans in message.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        service = resource.get("service.name")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield _row(span, str(service) if service is not None else None, received)


def _row(span: Span, service: str | None, received: float) -> SpanRow:
    trace_id, span_id = _id(span.trace_id, 16, "trace_id"), _id(span.span_id, 8, "span_id")
    parent = _id(span.parent_span_id, 8, "parent_span_id") if span.parent_span_id else None
    return SpanRow(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=span.name,
        kind=Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_").lower()
        if span.kind in Span.SpanKind.values()
        else "unspecified",
        t_start=span.start_time_unix_nano / 1e9,
        t_end=span.end_time_unix_nano / 1e9,
        status=_STATUS.get(span.status.code, "unset"),
        service=service,
        attributes=_attributes(span.attributes),
        t_received=received,
    )


def _id(raw: bytes, size: int, name: str) -> str:
    if len(raw) != size or not any(raw):
        raise BadPayload(f"a span's {name} must be {size} bytes, not all zero (got {len(raw)})")
    return raw.hex()


def _attributes(pairs: Any) -> dict[str, Scalar]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _value(value: AnyValue) -> Scalar:
    which = value.WhichOneof("value")
    if which is None:
        return ""
    if which == "bytes_value":
        return value.bytes_value.hex()
    if which in ("array_value", "kvlist_value"):
        return scalar(json_format.MessageToDict(getattr(value, which)))
    plain: Scalar = getattr(value, which)
    return plain
