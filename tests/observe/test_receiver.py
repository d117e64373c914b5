"""The OTLP/HTTP receiver takes what OpenTelemetry's own exporter sends, in both encodings,
and answers anything else with a 4xx and keeps serving (hypothesis hammers it)."""

from __future__ import annotations

import gzip
import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from chaos.observe.context import parse_traceparent, trace_id, traceparent
from tests.observe.conftest import Running

PROTOBUF = {"content-type": "application/x-protobuf"}
JSON = {"content-type": "application/json"}


def test_the_sdk_exporter_s_spans_arrive_in_the_trace_of_the_traceparent_sent(receiver: Running) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "gateway"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces")))
    tracer = provider.get_tracer("test")
    parent = TraceContextTextMapPropagator().extract({"traceparent": traceparent("req-1")})
    with (
        tracer.start_as_current_span("chat", context=parent, kind=SpanKind.SERVER),
        tracer.start_as_current_span("chat claude-opus", kind=SpanKind.CLIENT) as call,
    ):
        call.set_attribute("gen_ai.request.model", "claude-opus")
        call.set_attribute("gen_ai.usage.input_tokens", 12)
    provider.shutdown()
    server, client = sorted(receiver.spans, key=lambda span: span.kind, reverse=True)
    assert {span.trace_id for span in receiver.spans} == {trace_id("req-1")}
    assert (server.kind, client.kind) == ("server", "client")
    assert client.parent_span_id == server.span_id
    assert server.parent_span_id == parse_traceparent(traceparent("req-1")).parent_id  # type: ignore[union-attr]
    assert client.attributes == {"gen_ai.request.model": "claude-opus", "gen_ai.usage.input_tokens": 12}
    assert client.service == "gateway"
    assert client.t_end >= client.t_start > 0


def _otlp_json(trace: str, span: str) -> dict[str, object]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": trace,
                                "spanId": span,
                                "name": "chat",
                                "kind": 3,
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000000500000000",
                                "attributes": [{"key": "gen_ai.request.model", "value": {"stringValue": "m"}}],
                                "status": {"code": 2},
                                "someFutureField": 1,
                            }
                        ]
                    }
                ],
            }
        ]
    }


def test_otlp_json_is_read_with_hex_ids_and_unknown_fields_ignored(receiver: Running) -> None:
    trace, span = trace_id("req-2"), "00f067aa0ba902b7"
    answer = httpx.post(f"{receiver.endpoint}/v1/traces", json=_otlp_json(trace, span))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    (row,) = receiver.spans
    assert (row.trace_id, row.span_id, row.kind, row.status, row.service) == (trace, span, "client", "error", "svc")
    assert (row.t_start, row.t_end) == (1700000000.0, 1700000000.5)


def test_a_gzip_body_is_inflated(receiver: Running) -> None:
    body = gzip.compress(json.dumps(_otlp_json(trace_id("req-3"), "00f067aa0ba902b7")).encode())
    answer = httpx.post(f"{receiver.endpoint}/v1/traces", content=body, headers={**JSON, "content-encoding": "gzip"})
    assert answer.status_code == 200, answer.text
    assert len(receiver.spans) == 1


def test_bad_payloads_get_400_with_the_reason_and_nothing_is_kept(receiver: Running) -> None:
    url = f"{receiver.endpoint}/v1/traces"
    short_id = ExportTraceServiceRequest()
    span = short_id.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x01" * 8, b"\x02" * 8, "chat"
    cases = {
        "not protobuf": httpx.post(url, content=b"\xff\xff\xff", headers=PROTOBUF),
        "a short trace id": httpx.post(url, content=short_id.SerializeToString(), headers=PROTOBUF),
        "not JSON": httpx.post(url, content=b"{", headers=JSON),
        "not hex": httpx.post(url, json=_otlp_json("zz", "00f067aa0ba902b7")),
        "a list": httpx.post(url, json=[1]),
        "bad gzip": httpx.post(url, content=b"nope", headers={**JSON, "content-encoding": "gzip"}),
        "brotli": httpx.post(url, content=b"{}", headers={**JSON, "content-encoding": "br"}),
    }
    assert {name: answer.status_code for name, answer in cases.items()} == dict.fromkeys(cases, 400)
    assert "trace_id must be 16 bytes" in cases["a short trace id"].text
    assert httpx.post(url, content=b"x", headers={"content-type": "text/plain"}).status_code == 415
    assert receiver.spans == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
span_fields = st.fixed_dictionaries(
    {},
    optional={
        "traceId": st.sampled_from(["", "zz", "0" * 32, "ab" * 16, "ab" * 8]) | json_values,
        "spanId": st.sampled_from(["", "ab" * 8, "ab" * 4]) | json_values,
        "kind": st.integers(-5, 99) | json_values,
        "attributes": json_values,
        "startTimeUnixNano": st.sampled_from(["1", "-1", "x", "99999999999999999999999"]) | json_values,
    },
)
near_valid = span_fields.map(lambda span: {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()) | near_valid.map(json.dumps),
    kind=st.sampled_from([PROTOBUF, JSON]),
)
def test_malformed_payloads_get_a_4xx_never_a_crash(receiver: Running, body: bytes | str, kind: dict[str, str]) -> None:
    answer = httpx.post(f"{receiver.endpoint}/v1/traces", content=body, headers=kind)
    assert answer.status_code in (200, 400), answer.text
    for span in receiver.spans:  # whatever was accepted has W3C ids
        assert len(span.trace_id) == 32
        assert len(span.span_id) == 16
