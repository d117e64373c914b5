"""What a run is judged by: SLOs, burn-rate alerts, expectations and abort rules.

SLOs are named; the name says what they measure unless ``sli:`` says otherwise::

    slos:
      availability:     {objective: 99.5%}
      ttft_p95:         {max: 1500ms}      # streamed requests
      chat_e2e_p99:     {max: 8s}          # <kind>_<metric>_p<percentile>
      eval_pass_rate:   {objective: 90%}
      cost_per_request: {max: 0.05}        # USD

Every ratio SLO is judged per segment with the Wilson 95% interval of its good ratio;
a latency SLO "p95 <= 1.5 s" is the ratio "requests within 1.5 s" against 95%.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from chaos.records import ClientFinding, RequestKind
from chaos.scenario.base import Name, Severity, Strict
from chaos.scenario.units import Duration, Money, Percent, format_duration


class LatencyMetric(StrEnum):
    TTFT = "ttft"  # to the first non-empty text delta
    E2E = "e2e"  # to the end of the response
    HEADERS = "headers"  # to the response headers


LATENCY_NAME = re.compile(
    r"^(?:(?P<kind>chat_stream|chat|eval)_)?(?P<metric>ttft|e2e|headers)_p(?P<percentile>\d+(?:\.\d+)?)$"
)
NAMED_SLIS = ("availability", "eval_pass_rate", "cost_per_request")


class SloBase(Strict):
    during: list[str] | None = Field(
        None,
        description="Judge only these segments (fault names, baseline, recovery, overall); default: every segment.",
    )


class AvailabilitySlo(SloBase):
    sli: Literal["availability"]
    objective: Percent


class LatencySlo(SloBase):
    sli: Literal["latency"]
    metric: LatencyMetric
    percentile: float = Field(gt=0, lt=100)
    max: Duration
    kind: RequestKind | None = Field(
        None, description="Only requests of this kind (default: every kind; ttft: streams)."
    )

    @property
    def objective(self) -> float:
        return self.percentile / 100


class EvalPassRateSlo(SloBase):
    sli: Literal["eval_pass_rate"]
    objective: Percent


class CostSlo(SloBase):
    sli: Literal["cost_per_request"]
    max: Money = Field(description="Mean billed cost per user request, USD.")
    total_max: Money | None = Field(None, description="Total billed cost, USD.")


def _sli_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        tag = value.get("sli")
        return tag if isinstance(tag, str) else None
    return getattr(value, "sli", None)


Slo = Annotated[
    Annotated[AvailabilitySlo, Tag("availability")]
    | Annotated[LatencySlo, Tag("latency")]
    | Annotated[EvalPassRateSlo, Tag("eval_pass_rate")]
    | Annotated[CostSlo, Tag("cost_per_request")],
    Discriminator(
        _sli_tag,
        custom_error_type="unknown_sli",
        custom_error_message=(
            "cannot tell what this SLO measures: name it availability, eval_pass_rate, cost_per_request "
            "or like ttft_p95 / e2e_p99 / chat_e2e_p99, or say sli: availability | latency | eval_pass_rate | "
            "cost_per_request"
        ),
    ),
]
RatioSlo = AvailabilitySlo | LatencySlo | EvalPassRateSlo


def infer_sli(name: str, entry: Any) -> Any:
    """Fill ``sli`` (and a latency SLO's metric and percentile) in from the SLO's name."""
    if not isinstance(entry, dict) or "sli" in entry:
        return entry
    if name in NAMED_SLIS:
        return {"sli": name, **entry}
    match = LATENCY_NAME.match(name)
    if match is None:
        return entry
    inferred: dict[str, Any] = {"sli": "latency", "metric": match["metric"], "percentile": float(match["percentile"])}
    if match["kind"]:
        inferred["kind"] = match["kind"]
    return {**inferred, **entry}


def infer_slis(slos: Any) -> Any:
    """``slos:`` as written, each entry's ``sli`` filled in from its name (``infer_sli``)."""
    if not isinstance(slos, dict):
        return slos
    return {name: infer_sli(str(name), entry) for name, entry in slos.items()}


class AlertRule(Strict):
    """Fires when the burn rate over both windows exceeds ``factor``."""

    severity: Severity
    factor: float = Field(gt=0, le=1_000_000)
    long: Duration = Field(gt=0)
    short: Duration = Field(gt=0)
    min_samples: int = Field(20, ge=1, le=1_000_000_000, description="Requests needed in the long window.")
    slos: list[str] | None = Field(None, description="SLOs this rule watches (default: every ratio SLO).")

    @model_validator(mode="after")
    def _short_inside_long(self) -> AlertRule:
        if self.short > self.long:
            raise ValueError("the short window must not be longer than the long one")
        return self

    @property
    def label(self) -> str:
        return f"{self.severity.value} {self.factor:g}x {format_duration(self.long)}/{format_duration(self.short)}"


# The SRE workbook's tiers (page 14.4x over 1h/5m, 6x over 6h/30m, ticket 3x over 1d/2h,
# 1x over 3d/6h) with windows scaled to runs of minutes.
DEFAULT_ALERTS: tuple[AlertRule, ...] = (
    AlertRule(severity=Severity.PAGE, factor=14.4, long=30, short=5),
    AlertRule(severity=Severity.PAGE, factor=6, long=60, short=10),
    AlertRule(severity=Severity.TICKET, factor=3, long=120, short=20),
    AlertRule(severity=Severity.TICKET, factor=1, long=300, short=60),
)


class Source(StrEnum):
    """Where "who served" comes from: the target's answer, the providers' ledger, or
    the target when it says and the ledger otherwise."""

    AUTO = "auto"
    TARGET = "target"
    LEDGER = "ledger"


class ServedByExpectation(Strict):
    served_by: str = Field(description="A provider name, or degraded.")
    during: str
    at_least: Percent | None = None
    at_most: Percent | None = None
    source: Source = Source.AUTO

    @model_validator(mode="after")
    def _a_bound(self) -> ServedByExpectation:
        if self.at_least is None and self.at_most is None:
            raise ValueError("give at_least or at_most (or both)")
        return self


RECOVERY_WINDOW = 5  # seconds of traffic a recovered share (recovers_to) is read over


class RecoversToExpectation(Strict):
    recovers_to: Name
    within: Duration
    after: Name | None = Field(
        None, description="The fault whose restore starts the clock (default: the last restored)."
    )
    share: Percent = Field(0.9, description="Share of requests the provider serves again to count as recovered.")


class Bound(Strict):
    max: float = Field(gt=0, le=1_000_000)


class RetryAmplificationExpectation(Strict):
    retry_amplification: Bound = Field(description="Provider calls per user request.")
    during: str | None = None


class NoTrafficToExpectation(Strict):
    no_traffic_to: Name
    during: str
    after: Duration = Field(0.0, description="Grace after the fault starts.")


class DetectExpectation(Strict):
    detect: Severity = Field(description="An alert of this severity must fire.")
    slo: str
    during: str
    within: Duration


class ShareBounds(Strict):
    at_least: Percent | None = None
    at_most: Percent | None = None


class DegradedShareExpectation(Strict):
    degraded_share: ShareBounds
    during: str | None = None


class NoClientFindingsExpectation(Strict):
    no_client_findings: list[ClientFinding] | Literal["all"]


EXPECTATION_KEYS = {
    "served_by": "served_by",
    "recovers_to": "recovers_to",
    "retry_amplification": "retry_amplification",
    "no_traffic_to": "no_traffic_to",
    "detect": "detect",
    "degraded_share": "degraded_share",
    "no_client_findings": "no_client_findings",
}


def _key_tag(keys: dict[str, str]) -> Any:
    def tag(value: Any) -> str | None:
        if isinstance(value, dict):
            found = [keys[key] for key in value if key in keys]
            return found[0] if len(found) == 1 else None
        return next((keys[key] for key in keys if getattr(value, key, None) is not None), None)

    return tag


Expectation = Annotated[
    Annotated[ServedByExpectation, Tag("served_by")]
    | Annotated[RecoversToExpectation, Tag("recovers_to")]
    | Annotated[RetryAmplificationExpectation, Tag("retry_amplification")]
    | Annotated[NoTrafficToExpectation, Tag("no_traffic_to")]
    | Annotated[DetectExpectation, Tag("detect")]
    | Annotated[DegradedShareExpectation, Tag("degraded_share")]
    | Annotated[NoClientFindingsExpectation, Tag("no_client_findings")],
    Discriminator(
        _key_tag(EXPECTATION_KEYS),
        custom_error_type="unknown_expectation",
        custom_error_message="an expectation takes exactly one of: " + ", ".join(EXPECTATION_KEYS),
    ),
]


class SloBelowRule(Strict):
    """Abort when an SLO's good ratio over the last ``over`` falls below ``below``."""

    slo: str
    below: Percent
    over: Duration = Field(gt=0)


class MaxCostRule(Strict):
    max_cost_usd: Money


ABORT_KEYS = {"slo": "slo", "max_cost_usd": "max_cost_usd"}

AbortRule = Annotated[
    Annotated[SloBelowRule, Tag("slo")] | Annotated[MaxCostRule, Tag("max_cost_usd")],
    Discriminator(
        _key_tag(ABORT_KEYS),
        custom_error_type="unknown_abort_rule",
        custom_error_message="an abort rule is {slo, below, over} or {max_cost_usd}",
    ),
]
