"""The forecast's two input files, validated like scenarios: every problem at once, located
(``file:line:column: path: message``), with a JSON Schema for editors.

- **The traffic forecast**: requests per day by feature (each feature sends one kind of
  request, whose tokens the measured runs give), a peak-to-mean ratio, and growth in the
  best, base and worst case over the forecast's horizon.
- **The price sheet**: per provider, the list price per 1M tokens, the quota (requests and
  tokens per minute), and optional reserved-capacity terms: throughput committed in tokens
  per minute at a discount off list, paid whether used or not; what goes above it is
  burst, at list price.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, model_validator

from chaos import __version__
from chaos.kinds import RequestKind
from chaos.scenario.base import Name, Strict
from chaos.scenario.loading import validate_model
from chaos.scenario.model import Price
from chaos.scenario.units import Percent, format_percent, parse_percent
from chaos.scenario.yamlsource import parse_mapping, read_located

SCHEMA_BASE = "https://github.com/chaos-llm/chaos/"
MAX_GROWTH = 100.0  # 10,000%: a forecast beyond a hundredfold is not a forecast
MAX_REQUESTS_PER_DAY = 1e12


def parse_growth(value: object) -> float:
    """``"30%"`` -> 0.3; ``"-20%"`` -> -0.2; ``"250%"`` -> 2.5 (growth may exceed 100%, unlike a share)."""
    if isinstance(value, str) and value.strip().startswith("-"):
        return -parse_percent(value.strip()[1:])
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            number = float(value.strip()[:-1]) / 100
        except ValueError:
            raise ValueError(f"expected a growth like 30% or 250%, got {value!r}") from None
        if not 0 <= number <= MAX_GROWTH:
            raise ValueError(f"a growth lies between -100% and {MAX_GROWTH * 100:g}%, got {value!r}")
        return number
    return parse_percent(value)


Growth = Annotated[
    float,
    BeforeValidator(parse_growth),
    PlainSerializer(format_percent, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": r"^-?\d+(\.\d+)?%$"}, {"type": "number", "minimum": -1}],
            "examples": ["30%", "-10%", "250%"],
        }
    ),
]


class Case(StrEnum):
    BEST = "best"
    BASE = "base"
    WORST = "worst"


class GrowthCases(Strict):
    """Growth of every feature's requests over the forecast's horizon, per case."""

    best: Growth = Field(description="The lowest growth planned for, e.g. 10% (may be negative).")
    base: Growth = Field(description="The expected growth.")
    worst: Growth = Field(description="The highest growth planned for (the one budgets are set by).")

    @model_validator(mode="after")
    def _ordered(self) -> GrowthCases:
        if not self.best <= self.base <= self.worst:
            raise ValueError("growth must be ordered: best <= base <= worst")
        return self

    def of(self, case: Case) -> float:
        return {Case.BEST: self.best, Case.BASE: self.base, Case.WORST: self.worst}[case]


class Feature(Strict):
    requests_per_day: float = Field(gt=0, le=MAX_REQUESTS_PER_DAY, description="Today's mean requests per day.")
    kind: RequestKind = Field(
        description="The kind of request the feature sends: its tokens and cost are the measured runs' for that kind."
    )


class TrafficForecast(Strict):
    version: Literal[1] = Field(description="Version of the forecast file.")
    name: Name
    description: str = ""
    horizon: str = Field("", description="What the growth is over, for the reader (e.g. 'by 2027Q2').")
    days_per_month: float = Field(30.0, gt=0, le=31, description="Days a month's figures count (default 30).")
    peak_to_mean: float = Field(
        gt=1, le=10, description="The busiest hour's load over the mean hour's (e.g. 3: peaks at three times the mean)."
    )
    peak_quantile: Percent = Field(
        0.99,
        description="How rare that busiest hour is: the share of hours at or below the peak (default 99%: "
        "about 7 hours a month above it). With peak_to_mean it fixes the spread of the per-hour load.",
    )
    growth: GrowthCases
    features: dict[Name, Feature] = Field(min_length=1)

    @model_validator(mode="after")
    def _spread_exists(self) -> TrafficForecast:
        if not 0.5 < self.peak_quantile < 1:
            raise ValueError("peak_quantile must lie strictly between 50% and 100%")
        from chaos.capacity.variability import lognormal_sigma

        if math.isnan(lognormal_sigma(self.peak_to_mean, self.peak_quantile)):
            raise ValueError(
                f"no per-hour load with mean 1 puts its {format_percent(self.peak_quantile)} quantile at "
                f"{self.peak_to_mean:g}: lower peak_to_mean or raise peak_quantile"
            )
        return self


class Quota(Strict):
    rpm: int | None = Field(None, ge=1, description="Requests per minute the provider admits.")
    tpm: int | None = Field(
        None, ge=1, description="Tokens per minute it admits (input plus output, as the mock providers count them)."
    )


class Reserved(Strict):
    """Committed throughput: ``discount`` off list price for every token-per-minute committed,
    paid all month whether used or not; load above it is burst at list price."""

    discount: Percent = Field(description="Off the list price, e.g. 40%.")
    step_tpm: int = Field(1, ge=1, description="Commitments come in multiples of this many tokens per minute.")


class ProviderTerms(Strict):
    price: Price = Field(description="List price, USD per 1M tokens (what burst pays).")
    quota: Quota = Field(default_factory=Quota, description="Its rate limits (default: none known).")
    reserved: Reserved | None = Field(None, description="Reserved-capacity terms (default: none offered).")


class PriceSheet(Strict):
    version: Literal[1] = Field(description="Version of the price sheet.")
    name: Name
    description: str = ""
    providers: dict[Name, ProviderTerms] = Field(min_length=1)


_M = TypeVar("_M", TrafficForecast, PriceSheet)


def _load(model: type[_M], path: Path, what: str) -> _M:
    source = str(path)
    data, source_map = parse_mapping(read_located(path), source, what, "starts with version: 1", "version, name, ...")
    return validate_model(model, data, source_map, source)


def load_forecast(path: Path) -> TrafficForecast:
    """Read and validate a traffic forecast; raises ``ScenarioError`` with every problem, located."""
    return _load(TrafficForecast, path, "a traffic forecast")


def load_prices(path: Path) -> PriceSheet:
    """Read and validate a price sheet; raises ``ScenarioError`` with every problem, located."""
    return _load(PriceSheet, path, "a price sheet")


def _schema(model: type[_M], file: str, title: str) -> dict[str, Any]:
    return {
        **model.model_json_schema(by_alias=True, mode="validation"),
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + file,
        "title": title,
        "description": f"{title} (version 1), from chaos {__version__}.",
    }


def forecast_schema() -> dict[str, Any]:
    return _schema(TrafficForecast, "traffic-forecast.schema.json", "chaos traffic forecast")


def prices_schema() -> dict[str, Any]:
    return _schema(PriceSheet, "price-sheet.schema.json", "chaos price sheet")
