"""The forecast as a report ``Page`` (``chaos.report.view``): the console prints its tables,
the HTML and Markdown reports render all of it."""

from __future__ import annotations

from collections.abc import Sequence

from chaos.capacity.forecast import Forecast
from chaos.capacity.inputs import Case
from chaos.report.figures import count, percent, usd
from chaos.report.view import Cell, Chart, Page, Section, Table, table


def tokens(value: float) -> str:
    """``1234567.8`` -> ``1.23M``; ``8400`` -> ``8.4k``."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def money(value: float) -> str:
    return f"${value:,.2f}" if abs(value) >= 100 else usd(value)


def headroom(value: float | None) -> Cell:
    if value is None:
        return Cell("-")
    return Cell(percent(value), tone="fail" if value < 0 else "")


def cases_table(forecast: Forecast) -> Table:
    return table(
        "Tokens and cost per case",
        ("case", "growth", "requests/day", "tokens/day", "cost/day", "cost/month (list)", "cost/month (reserved)"),
        [
            (
                c.case.value,
                percent(c.growth),
                tokens(c.requests_per_day),
                tokens(c.tokens_per_day),
                money(c.cost_per_day_usd),
                money(c.cost_per_month_usd),
                money(c.cost_per_month_reserved_usd),
            )
            for c in forecast.cases
        ],
        note=f"A month is {forecast.days_per_month:g} days. Reserved: each provider's best commitment, "
        "its expected cost with burst at list price (providers without reserved terms at list price).",
    )


def headroom_table(forecast: Forecast) -> Table:
    return table(
        f"Headroom at peak ({forecast.peak_to_mean:g}x the mean)",
        ("case", "provider", "peak requests/min", "quota rpm", "headroom", "peak tokens/min", "quota tpm", "headroom"),
        [
            (
                c.case.value,
                p.provider,
                tokens(p.peak_rpm),
                count(p.quota_rpm),
                headroom(p.headroom_rpm),
                tokens(p.peak_tpm),
                count(p.quota_tpm),
                headroom(p.headroom_tpm),
            )
            for c in forecast.cases
            for p in c.providers
        ],
        note="Headroom is 1 - peak / quota; negative (red) means the peak goes over the quota and is refused. "
        "Calls count retries and fallbacks; tokens are input plus output.",
    )


def reserved_table(forecast: Forecast) -> Table:
    rows = [
        (
            c.case.value,
            p.provider,
            percent(r.discount),
            tokens(r.reserved_tpm),
            percent(r.reserved_share_of_tokens),
            money(r.month_usd),
            money(r.month_all_burst_usd),
            percent(r.saving),
        )
        for c in forecast.cases
        for p in c.providers
        if (r := p.reservation) is not None
    ]
    return table(
        "Reserved against burst",
        ("case", "provider", "discount", "commit tokens/min", "tokens served reserved", "month", "all burst", "saving"),
        rows,
        note=forecast.assumption,
    )


def kinds_table(forecast: Forecast) -> Table:
    return table(
        "Measured per request kind (normal load)",
        ("kind", "requests", "provider", "calls/request", "input tokens", "output tokens", "served", "cost/request"),
        [
            (
                k.kind.value,
                count(k.requests),
                p.provider,
                f"{p.calls:.3f}",
                f"{p.input_tokens:.1f}",
                f"{p.output_tokens:.1f}",
                percent(p.served_share),
                usd(p.cost_usd),
            )
            for k in forecast.kinds
            for p in k.providers
        ],
        note="Per user request of the kind, every call it made (retries and fallbacks), priced at the sheet's list "
        "price. Served: the share of the kind's requests whose serving call was at the provider.",
    )


def budgets_table(forecast: Forecast) -> Table:
    return table(
        "Token budgets per feature",
        (
            "feature",
            "kind",
            "tokens/request",
            "cap/request (p99)",
            *(f"tokens/day {c.value}" for c in Case),
            "peak tpm",
        ),
        [
            (
                b.feature,
                b.kind.value,
                f"{b.tokens_per_request:.1f}",
                count(b.tokens_per_request_cap),
                *(tokens(b.tokens_per_day[c]) for c in Case),
                tokens(b.worst_peak_tpm),
            )
            for b in forecast.budgets
        ],
        note="A daily budget to set is the worst case's tokens a day; the peak tokens per minute is the worst case at "
        "peak, a per-feature rate limit the forecast fits under; the cap per request is the measured 99th percentile.",
    )


def tables(forecast: Forecast) -> list[Table]:
    return [cases_table(forecast), headroom_table(forecast), reserved_table(forecast), budgets_table(forecast)]


def forecast_page(forecast: Forecast, charts: Sequence[Chart] = ()) -> Page:
    base = forecast.case(Case.BASE)
    tight = [
        p.provider
        for c in forecast.cases
        for p in c.providers
        if min(h for h in (p.headroom_rpm, p.headroom_tpm, 1.0) if h is not None) < 0
    ]
    over = sorted(set(tight))
    headline = (
        f"Base case: {money(base.cost_per_month_usd)} a month at list price, "
        f"{money(base.cost_per_month_reserved_usd)} with the best reserved split"
        + (f"; the peak exceeds the quota of {', '.join(over)} in some case" if over else "")
    )
    return Page(
        title=f"Capacity forecast: {forecast.name}",
        headline=headline,
        tone="fail" if over else "",
        facts=(
            ("runs measured", ", ".join(forecast.runs)),
            ("price sheet", forecast.prices),
            ("peak to mean", f"{forecast.peak_to_mean:g}x at the {percent(forecast.peak_quantile)} hour"),
        ),
        sections=(
            Section("Cost and tokens", tables=(cases_table(forecast),), charts=tuple(charts)),
            Section("Headroom against quotas", tables=(headroom_table(forecast),)),
            Section("Reserved against burst", paragraphs=(forecast.assumption,), tables=(reserved_table(forecast),)),
            Section("Token budgets", tables=(budgets_table(forecast),)),
            Section("What was measured", tables=(kinds_table(forecast),)),
        ),
    )
