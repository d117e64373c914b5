"""The ``observe:`` block: does the target's own telemetry see what the run did to it?

    observe:
      traces:
        trace_coverage: {min: 99%}     # requests sent that have a trace
        provider_calls: true           # every call the ledger saw is a span of its request's trace
        model_attributes: true         # those spans carry gen_ai.request.model and gen_ai.response.model

The run knows what happened to every request (the records, the ledger); the target
reports what it saw (its spans). Each check compares the two and names the requests the
target's telemetry misses.
"""

from __future__ import annotations

from pydantic import Field

from chaos.scenario.base import Strict
from chaos.scenario.units import Percent


class Coverage(Strict):
    min: Percent = Field(description="Share of the requests sent that must have a trace.")


class TraceChecks(Strict):
    """The target's traces, received over OTLP/HTTP by the run (``OTEL_EXPORTER_OTLP_ENDPOINT``)."""

    trace_coverage: Coverage = Field(
        default_factory=lambda: Coverage(min=0.99),
        description="Requests sent whose trace (the traceparent the load sent) has a span (default min 99%).",
    )
    provider_calls: bool = Field(
        True,
        description="Every provider call the ledger saw is a client span of its request's trace; a retry or "
        "fallback the trace does not show is named by its request id (default true).",
    )
    model_attributes: bool = Field(
        True,
        description="Each call span carries gen_ai.request.model (the model the provider was asked for) and, "
        "when the call answered, gen_ai.response.model (the model and version that answered) (default true).",
    )
    port: int | None = Field(
        None, ge=1, le=65535, description="Where the receiver listens on 127.0.0.1 (default: a free port)."
    )


class Observe(Strict):
    """Checks on the target's own telemetry; each part is checked only when written."""

    traces: TraceChecks | None = Field(None, description="The target's OpenTelemetry traces, over OTLP/HTTP.")
