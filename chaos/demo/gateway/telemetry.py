"""The gateway's OpenTelemetry traces: a server span per request, a client span per call.

With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set (``chaos run`` sets it when the scenario checks
traces), spans go there over OTLP/HTTP through the SDK's batch processor and exporter;
without it the API's no-op tracer still carries the incoming ``traceparent`` on to the
providers. A call span follows the GenAI semantic conventions: named ``chat <model>``,
with ``gen_ai.operation.name``, ``gen_ai.system``, ``gen_ai.request.model`` and, once the
provider answered, ``gen_ai.response.model`` (the model and version that answered).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.propagators.textmap import CarrierT
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from chaos import __version__
from chaos.demo.gateway.config import ProviderConfig

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
SERVICE = "chaos-demo-gateway"
EXPORT_EVERY_MS = 500  # the SDK's default 5 s would leave a short run's last spans to the shutdown flush

_PROPAGATOR = TraceContextTextMapPropagator()


class Tracing:
    """Spans for one gateway process; ``shutdown`` flushes what is still queued."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._provider = None
        self.tracer: Tracer = trace.NoOpTracer()
        if environ.get(ENDPOINT_ENV):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            provider = TracerProvider(
                resource=Resource.create({"service.name": SERVICE, "service.version": __version__})
            )
            provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(), schedule_delay_millis=EXPORT_EVERY_MS, max_queue_size=65536)
            )
            self._provider = provider
            self.tracer = provider.get_tracer("chaos.demo.gateway", __version__)

    @contextmanager
    def request(self, headers: CarrierT, request_id: str, stream: bool) -> Iterator[Span]:
        """The server span of one chat request, current while it is served, in the trace of
        the ``traceparent`` it came with."""
        with self.tracer.start_as_current_span(
            "POST /v1/chat/completions",
            context=_PROPAGATOR.extract(headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": "POST", "chaos.request_id": request_id, "gen_ai.request.stream": stream},
        ) as span:
            yield span

    def call(self, provider: ProviderConfig, max_tokens: int, *, recorded: bool) -> tuple[Span | None, dict[str, str]]:
        """A client span for one call (None when not ``recorded``), and the headers that
        carry its context to the provider: without a span, the current (request's) one."""
        span = None
        if recorded:
            span = self.tracer.start_span(
                f"chat {provider.model}",
                kind=SpanKind.CLIENT,
                attributes={
                    "gen_ai.operation.name": "chat",
                    "gen_ai.system": provider.api,
                    "gen_ai.request.model": provider.model,
                    "gen_ai.request.max_tokens": max_tokens,
                    "chaos.provider": provider.name,
                },
            )
        headers: dict[str, str] = {}
        _PROPAGATOR.inject(headers, context=trace.set_span_in_context(span) if span is not None else None)
        return span, headers

    def shutdown(self) -> None:
        if self._provider is not None:
            self._provider.shutdown()


def answered(span: Span | None, model: str) -> None:
    if span is not None:
        span.set_attribute("gen_ai.response.model", model)


def failed(span: Span | None, reason: str) -> None:
    if span is not None:
        span.set_status(StatusCode.ERROR, reason)
        span.set_attribute("error.type", reason)


def ended(span: Span | None, input_tokens: int, output_tokens: int) -> None:
    if span is not None:
        span.set_attribute("gen_ai.usage.input_tokens", input_tokens)
        span.set_attribute("gen_ai.usage.output_tokens", output_tokens)
        span.end()
