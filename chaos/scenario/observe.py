"""The ``observe:`` block: does the target's own telemetry see what the run did to it?

    observe:
      traces:
        trace_coverage: {min: 99%}     # requests sent that have a trace
        provider_calls: true           # every call the ledger saw is a span of its request's trace
        model_attributes: true         # those spans carry gen_ai.request.model and gen_ai.response.model
      logs:                            # the target's output (logs/target.log), or path: its log file
        fields: {model_version: model_version}   # the keys its JSON lines use

The run knows what happened to every request (the records, the ledger); the target
reports what it saw (its spans). Each check compares the two and names the requests the
target's telemetry misses.
"""

from __future__ import annotations

from pathlib import Path

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


class LogFields(Strict):
    """The keys of the target's JSON log lines (a dotted key reads a nested object)."""

    request_id: str = Field("request_id", min_length=1, description="The x-request-id the load sent.")
    model: str = Field("model", min_length=1, description="The model that answered.")
    model_version: str = Field("model_version", min_length=1, description="Its version.")
    prompt_version: str = Field("prompt_version", min_length=1, description="The version of the prompt used.")
    fallback: str = Field("fallback", min_length=1, description="True when a fallback provider answered.")
    degraded: str = Field("degraded", min_length=1, description="Set (cached, canned, true) when degraded.")


class LogChecks(Strict):
    """The target's structured log: JSON lines, one object each; other lines are skipped."""

    path: Path | None = Field(
        None,
        description="The target's log file, relative to the scenario (default: its standard output and error, "
        "which a started target writes to the run's logs/target.log).",
    )
    fields: LogFields = Field(default_factory=LogFields, description="The keys the checks read.")


class Observe(Strict):
    """Checks on the target's own telemetry; each part is checked only when written."""

    traces: TraceChecks | None = Field(None, description="The target's OpenTelemetry traces, over OTLP/HTTP.")
    logs: LogChecks | None = Field(
        None,
        description="Every request answered is in a log line naming its model, model version and prompt "
        "version; the line says fallback or degraded when the ledger shows one.",
    )
