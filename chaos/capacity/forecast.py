"""A traffic forecast priced: measured tokens per request kind x forecast requests x prices.

Every figure is linear in the requests but the reserved split: a feature of kind k
sending R requests a day puts R x (calls, input, output tokens per request of kind k at
provider p) on p; a day's cost at list price is those tokens at p's list price; a month
is ``days_per_month`` days. Growth multiplies every feature's requests by 1 + growth.

- **Peak** is ``peak_to_mean`` times the mean minute; **headroom** against a quota is
  1 - peak / quota (negative: the peak goes over it and is refused).
- **Reserved against burst** (``variability.py`` states the assumption): per provider
  with reserved terms, the commitment in tokens per minute whose expected cost is least,
  priced at the provider's blended list price (its input and output prices weighted by
  the forecast's token mix there).
- **Token budgets** per feature: tokens a request takes (mean, and the measured 99th
  percentile: a per-request cap that normal traffic stays under), tokens a day in each
  case, and the worst case's peak tokens per minute (a rate limit that the forecast peak
  fits under).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from chaos.capacity.inputs import Case, PriceSheet, TrafficForecast
from chaos.capacity.measured import Measured
from chaos.capacity.variability import HourlyLoad, best_split, lognormal_sigma
from chaos.errors import ChaosError
from chaos.kinds import RequestKind
from chaos.scenario.units import format_percent

MINUTES_PER_DAY = 1440


class Figures(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KindProvider(Figures):
    provider: str
    calls: float = Field(description="Calls per user request of this kind (retries and fallbacks included).")
    input_tokens: float = Field(description="Per user request.")
    output_tokens: float
    served_share: float = Field(description="Share of this kind's requests the provider served.")
    cost_usd: float = Field(description="Per user request, at the price sheet's list price.")


class KindMeasure(Figures):
    kind: RequestKind
    requests: int = Field(description="Requests measured under normal load.")
    tokens_p99: int = Field(description="The 99th percentile (nearest rank) of tokens per request, all its calls.")
    providers: list[KindProvider]

    @property
    def cost_usd(self) -> float:
        return sum(p.cost_usd for p in self.providers)

    @property
    def tokens(self) -> float:
        """Mean tokens per user request, input and output, at every provider."""
        return sum(p.input_tokens + p.output_tokens for p in self.providers)


class Reservation(Figures):
    discount: float
    step_tpm: int
    reserved_tpm: float = Field(description="The commitment with the least expected cost.")
    reserved_share_of_tokens: float = Field(description="Share of the month's tokens the commitment serves.")
    month_usd: float = Field(description="Expected cost a month: the commitment plus burst.")
    month_all_burst_usd: float = Field(description="The same tokens all at list price.")
    saving: float = Field(description="Share of the all-burst cost saved.")


class ProviderCase(Figures):
    provider: str
    calls_per_day: float
    input_tokens_per_day: float
    output_tokens_per_day: float
    cost_per_day_usd: float = Field(description="At list price.")
    peak_rpm: float
    peak_tpm: float
    quota_rpm: int | None
    quota_tpm: int | None
    headroom_rpm: float | None = Field(description="1 - peak / quota; negative when the peak exceeds the quota.")
    headroom_tpm: float | None
    reservation: Reservation | None

    @property
    def tokens_per_day(self) -> float:
        return self.input_tokens_per_day + self.output_tokens_per_day


class CaseFigures(Figures):
    case: Case
    growth: float
    requests_per_day: float
    tokens_per_day: float
    cost_per_day_usd: float = Field(description="All at list price.")
    cost_per_month_usd: float = Field(description="All at list price.")
    cost_per_month_reserved_usd: float = Field(
        description="Expected, with each provider's best reserved/burst split (list price where none is offered)."
    )
    providers: list[ProviderCase]


class FeatureBudget(Figures):
    feature: str
    kind: RequestKind
    requests_per_day: float = Field(description="Today.")
    tokens_per_request: float
    tokens_per_request_cap: int = Field(description="The measured 99th percentile of its kind.")
    tokens_per_day: dict[Case, float]
    worst_peak_tpm: float


class Forecast(Figures):
    name: str
    runs: list[str]
    prices: str
    days_per_month: float
    peak_to_mean: float
    peak_quantile: float
    sigma: float = Field(description="Spread of the per-hour load's logarithm.")
    assumption: str
    kinds: list[KindMeasure]
    cases: list[CaseFigures]
    budgets: list[FeatureBudget]

    def case(self, case: Case) -> CaseFigures:
        return next(figures for figures in self.cases if figures.case is case)


def _p99(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)] if ordered else 0


def kind_measures(measured: Measured, prices: PriceSheet) -> list[KindMeasure]:
    unpriced = [name for name in measured.providers if name not in prices.providers]
    if unpriced:
        raise ChaosError(
            f"the measured runs used providers the price sheet does not price: {', '.join(unpriced)}",
            hint=f"add them under providers: in the price sheet ({', '.join(prices.providers)} are priced)",
        )
    result = []
    for kind, figures in measured.kinds.items():
        providers = []
        for name in measured.providers:
            calls, tokens_in, tokens_out = figures.per_request(name)
            price = prices.providers[name].price
            providers.append(
                KindProvider(
                    provider=name,
                    calls=calls,
                    input_tokens=tokens_in,
                    output_tokens=tokens_out,
                    served_share=figures.served_share(name),
                    cost_usd=price.cost(tokens_in, tokens_out),
                )
            )
        result.append(
            KindMeasure(
                kind=kind, requests=figures.requests, tokens_p99=_p99(figures.tokens_per_request), providers=providers
            )
        )
    return result


def assumption(traffic: TrafficForecast, sigma: float) -> str:
    return (
        f"Per-hour load at each provider is lognormal with the forecast's mean; its peak, {traffic.peak_to_mean:g}x "
        f"the mean, is the {format_percent(traffic.peak_quantile)} quantile of the hours (sigma {sigma:.3f}). "
        "A commitment is paid every minute at list price less the discount; load above it is burst at list price. "
        "The cheapest commitment is the load's quantile at the discount (the newsvendor's critical ratio)."
    )


def forecast(measured: Measured, traffic: TrafficForecast, prices: PriceSheet, *, prices_name: str) -> Forecast:
    kinds = kind_measures(measured, prices)
    by_kind = {measure.kind: measure for measure in kinds}
    missing = sorted({f.kind.value for f in traffic.features.values()} - {kind.value for kind in by_kind})
    if missing:
        raise ChaosError(
            f"the forecast has features of kinds the runs did not measure: {', '.join(missing)}",
            hint="measure from a run whose load.mix sends those kinds",
        )
    sigma = lognormal_sigma(traffic.peak_to_mean, traffic.peak_quantile)
    cases = [_case(case, traffic, prices, by_kind, sigma) for case in Case]
    budgets = [
        FeatureBudget(
            feature=name,
            kind=feature.kind,
            requests_per_day=feature.requests_per_day,
            tokens_per_request=by_kind[feature.kind].tokens,
            tokens_per_request_cap=by_kind[feature.kind].tokens_p99,
            tokens_per_day={
                case: feature.requests_per_day * (1 + traffic.growth.of(case)) * by_kind[feature.kind].tokens
                for case in Case
            },
            worst_peak_tpm=feature.requests_per_day
            * (1 + traffic.growth.worst)
            * by_kind[feature.kind].tokens
            / MINUTES_PER_DAY
            * traffic.peak_to_mean,
        )
        for name, feature in traffic.features.items()
    ]
    return Forecast(
        name=traffic.name,
        runs=measured.runs,
        prices=prices_name,
        days_per_month=traffic.days_per_month,
        peak_to_mean=traffic.peak_to_mean,
        peak_quantile=traffic.peak_quantile,
        sigma=sigma,
        assumption=assumption(traffic, sigma),
        kinds=kinds,
        cases=cases,
        budgets=budgets,
    )


def _case(
    case: Case, traffic: TrafficForecast, prices: PriceSheet, by_kind: dict[RequestKind, KindMeasure], sigma: float
) -> CaseFigures:
    growth = traffic.growth.of(case)
    minutes_per_month = MINUTES_PER_DAY * traffic.days_per_month
    totals: dict[str, list[float]] = {name: [0.0, 0.0, 0.0, 0.0] for name in prices.providers}  # calls, in, out, usd
    requests = 0.0
    for feature in traffic.features.values():
        per_day = feature.requests_per_day * (1 + growth)
        requests += per_day
        for use in by_kind[feature.kind].providers:
            total = totals[use.provider]
            total[0] += per_day * use.calls
            total[1] += per_day * use.input_tokens
            total[2] += per_day * use.output_tokens
            total[3] += per_day * use.cost_usd
    providers = []
    for name, (calls, tokens_in, tokens_out, usd) in totals.items():
        terms = prices.providers[name]
        peak_rpm = calls / MINUTES_PER_DAY * traffic.peak_to_mean
        peak_tpm = (tokens_in + tokens_out) / MINUTES_PER_DAY * traffic.peak_to_mean
        reservation = None
        if terms.reserved is not None and tokens_in + tokens_out > 0:
            blended = usd / (tokens_in + tokens_out)  # USD per token at list price, this provider's mix
            load = HourlyLoad(mean=(tokens_in + tokens_out) / MINUTES_PER_DAY, sigma=sigma)
            split = best_split(load, terms.reserved.discount, terms.reserved.step_tpm)
            excess = load.expected_excess(split.reserved)
            reservation = Reservation(
                discount=terms.reserved.discount,
                step_tpm=terms.reserved.step_tpm,
                reserved_tpm=split.reserved,
                reserved_share_of_tokens=1 - excess / load.mean,
                month_usd=split.cost * blended * minutes_per_month,
                month_all_burst_usd=split.all_burst_cost * blended * minutes_per_month,
                saving=split.saving,
            )
        providers.append(
            ProviderCase(
                provider=name,
                calls_per_day=calls,
                input_tokens_per_day=tokens_in,
                output_tokens_per_day=tokens_out,
                cost_per_day_usd=usd,
                peak_rpm=peak_rpm,
                peak_tpm=peak_tpm,
                quota_rpm=terms.quota.rpm,
                quota_tpm=terms.quota.tpm,
                headroom_rpm=1 - peak_rpm / terms.quota.rpm if terms.quota.rpm else None,
                headroom_tpm=1 - peak_tpm / terms.quota.tpm if terms.quota.tpm else None,
                reservation=reservation,
            )
        )
    cost_per_day = sum(p.cost_per_day_usd for p in providers)
    return CaseFigures(
        case=case,
        growth=growth,
        requests_per_day=requests,
        tokens_per_day=sum(p.tokens_per_day for p in providers),
        cost_per_day_usd=cost_per_day,
        cost_per_month_usd=cost_per_day * traffic.days_per_month,
        cost_per_month_reserved_usd=sum(
            p.reservation.month_usd if p.reservation is not None else p.cost_per_day_usd * traffic.days_per_month
            for p in providers
        ),
        providers=providers,
    )
