"""The forecast's charts, in the run report's style (``chaos.report.charts.STYLE``): cost
a month per case, at list price and with the reserved split; and for each provider with
reserved terms, the base case's expected cost against the commitment, the optimum marked."""

from __future__ import annotations

from chaos.capacity.charts import as_chart, new_figure
from chaos.capacity.forecast import MINUTES_PER_DAY, Forecast
from chaos.capacity.inputs import Case
from chaos.capacity.variability import HourlyLoad, expected_cost
from chaos.report.charts import STYLE
from chaos.report.view import Chart

CURVE_POINTS = 200


def forecast_charts(forecast: Forecast) -> list[Chart]:
    return [cost_chart(forecast), *commitment_charts(forecast)]


def cost_chart(forecast: Forecast) -> Chart:
    import matplotlib as mpl

    with mpl.rc_context(STYLE), mpl.rc_context({"svg.hashsalt": "cost-per-case"}):
        figure, axes = new_figure()
        x = list(range(len(forecast.cases)))
        axes.bar([i - 0.2 for i in x], [c.cost_per_month_usd for c in forecast.cases], 0.4, label="list price")
        axes.bar([i + 0.2 for i in x], [c.cost_per_month_reserved_usd for c in forecast.cases], 0.4, label="reserved")
        axes.set_xticks(x, [c.case.value for c in forecast.cases])
        axes.set_ylabel("USD a month")
        axes.legend(loc="upper left")
        return as_chart("cost-per-case", "Cost a month per case", figure, "All at list price, and with the best split.")


def commitment_charts(forecast: Forecast) -> list[Chart]:
    import matplotlib as mpl

    charts = []
    base = forecast.case(Case.BASE)
    minutes = MINUTES_PER_DAY * forecast.days_per_month
    for provider in base.providers:
        reservation = provider.reservation
        if reservation is None:
            continue
        load = HourlyLoad(provider.tokens_per_day / MINUTES_PER_DAY, forecast.sigma)
        usd_per_unit = reservation.month_all_burst_usd / load.mean  # a month of one token per minute, list price
        top = load.quantile(0.999)
        commits = [top * i / CURVE_POINTS for i in range(CURVE_POINTS + 1)]
        costs = [expected_cost(load, r, reservation.discount) * usd_per_unit for r in commits]
        name = f"commitment-{provider.provider}"
        with mpl.rc_context(STYLE), mpl.rc_context({"svg.hashsalt": name}):
            figure, axes = new_figure()
            axes.plot(commits, costs, label="expected cost a month")
            axes.axvline(reservation.reserved_tpm, linestyle="--", color="#2ca02c", label="best commitment")
            axes.axvline(load.mean, linestyle=":", color="#7f7f7f", label="mean load")
            axes.set_xlabel("committed tokens per minute")
            axes.set_ylabel("USD a month")
            axes.set_xlim(left=0)
            axes.legend(loc="upper left")
            charts.append(
                as_chart(
                    name,
                    f"Reserved against burst: {provider.provider}, base case",
                    figure,
                    f"Expected cost of {minutes:,.0f} minutes for each commitment, burst at list price above it.",
                )
            )
    return charts
