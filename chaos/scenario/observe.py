"""The ``observe:`` block: does the target's own telemetry see what the run did to it?

    observe:
      traces:
        trace_coverage: {min: 99%}     # requests sent that have a trace
        provider_calls: true           # every call the ledger saw is a span of its request's trace
        model_attributes: true         # those spans carry gen_ai.request.model and gen_ai.response.model
      logs:                            # the target's output (logs/target.log), or path: its log file
        fields: {model_version: model_version}   # the keys its JSON lines use
      metrics:                         # the target's Prometheus endpoint (metrics_path), every second
        expect:
          - {metric: gateway_fallbacks_total, increases_during: primary-503}
          - {metric: gateway_requests_total, agrees_with_load: 2%}
      alerts:                          # the team's own rules, on a real Prometheus
        rules: alerts/gateway.rules.yml
        expect:
          - {alert: GatewayFallingBack, fires_during: primary-503}

The run knows what happened to every request (the records, the ledger); the target
reports what it saw (its spans). Each check compares the two and names the requests the
target's telemetry misses.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from chaos.scenario.base import Name, Strict
from chaos.scenario.units import Duration, Percent, format_percent


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


class SeriesExpectation(Strict):
    """One of the target's series against what the run did (give exactly one check)."""

    metric: str = Field(min_length=1, description="A metric name as exposed, e.g. gateway_fallbacks_total.")
    labels: dict[str, str] = Field(default_factory=dict, description="Only the samples with these labels (summed).")
    increases_during: Name | None = Field(None, description="A fault: the series rises while it lasts.")
    agrees_with_load: Percent | None = Field(
        None, description="The series rises by the requests the target answered, within this share of them."
    )

    @model_validator(mode="after")
    def _one_check(self) -> SeriesExpectation:
        if (self.increases_during is None) == (self.agrees_with_load is None):
            raise ValueError("give exactly one of increases_during or agrees_with_load")
        return self

    def selector(self) -> str:
        labels = ",".join(f'{key}="{value}"' for key, value in sorted(self.labels.items()))
        return f"{self.metric}{{{labels}}}" if labels else self.metric

    def written(self) -> str:
        check = (
            f"increases_during {self.increases_during}"
            if self.increases_during is not None
            else f"agrees_with_load {format_percent(self.agrees_with_load or 0.0)}"
        )
        return f"observe.metrics: {self.selector()} {check}"


class MetricChecks(Strict):
    """The target's Prometheus endpoint, scraped during the run into the run's metrics.jsonl."""

    interval: Duration = Field(1.0, ge=0.2, le=60, description="How often it is scraped (default 1s).")
    expect: list[SeriesExpectation] = Field(min_length=1)


class AlertExpectation(Strict):
    """One of the team's alerts during a fault (give exactly one of fires_during, silent_during)."""

    alert: str = Field(min_length=1, description="The alert's name in the rules file.")
    fires_during: Name | None = Field(None, description="A fault: the alert fires while it lasts (or just after).")
    silent_during: Name | None = Field(None, description="A fault: the alert does not fire then.")

    @model_validator(mode="after")
    def _one_check(self) -> AlertExpectation:
        if (self.fires_during is None) == (self.silent_during is None):
            raise ValueError("give exactly one of fires_during or silent_during")
        return self

    @property
    def fault(self) -> str:
        fault = self.fires_during or self.silent_during
        assert fault is not None
        return fault


class AlertChecks(Strict):
    """The team's own Prometheus alerting rules, evaluated by a real Prometheus the run
    starts on loopback, scraping the target every second."""

    rules: Path = Field(description="The Prometheus rules file, relative to the scenario.")
    expect: list[AlertExpectation] = Field(default_factory=list)


class Observe(Strict):
    """Checks on the target's own telemetry; each part is checked only when written."""

    traces: TraceChecks | None = Field(None, description="The target's OpenTelemetry traces, over OTLP/HTTP.")
    logs: LogChecks | None = Field(
        None,
        description="Every request answered is in a log line naming its model, model version and prompt "
        "version; the line says fallback or degraded when the ledger shows one.",
    )
    metrics: MetricChecks | None = Field(None, description="The target's Prometheus series.")
    alerts: AlertChecks | None = Field(None, description="The team's alerting rules on a real Prometheus.")
    metrics_path: str = Field(
        "/metrics", pattern=r"^/", description="Where the target serves Prometheus metrics (default /metrics)."
    )
