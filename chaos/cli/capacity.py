"""``chaos capacity forecast|probe|schema``: how much load holds, and what a forecast costs."""

from __future__ import annotations

from pathlib import Path

import click

from chaos.cli.schema_output import OUTPUT_OPTION, emit_schema
from chaos.errors import ExitCode

OUT_HELP = "The folder the figures (JSON) and the reports (report.html, report.md, charts/) are written to."


@click.group()
def capacity() -> None:
    """Capacity: find the load where an SLO breaks (probe), and price a traffic forecast
    from measured runs (forecast)."""


@capacity.command("forecast")
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--traffic",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The traffic forecast file (requests per day by feature, peak to mean, growth per case).",
)
@click.option(
    "--prices",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The price sheet (list prices, quotas, reserved-capacity terms per provider).",
)
@click.option("-o", "--out", type=click.Path(path_type=Path, file_okay=False), help=OUT_HELP)
def forecast_command(runs: tuple[Path, ...], traffic: Path, prices: Path, out: Path | None) -> int:
    """Price a traffic forecast with what RUNS measured under normal load.

    RUNS are run directories (chaos run's): their fault-free judged spans give the
    tokens, calls and serving share per request kind and provider. Prints tokens and cost
    per day and month in the best, base and worst case, headroom against each quota at
    peak, the reserved/burst split of least expected cost, and per-feature token budgets;
    writes forecast.json and the reports to --out (default runs/capacity/<forecast name>).
    """
    from chaos.capacity.files import FORECAST_FILE, write_outputs
    from chaos.capacity.forecast import forecast
    from chaos.capacity.forecast_charts import forecast_charts
    from chaos.capacity.forecast_page import forecast_page, tables
    from chaos.capacity.inputs import load_forecast, load_prices
    from chaos.capacity.measured import measure
    from chaos.report.console import console, render_table

    loaded_traffic, loaded_prices = load_forecast(traffic), load_prices(prices)
    result = forecast(measure(runs), loaded_traffic, loaded_prices, prices_name=str(prices))
    out_dir = out if out is not None else Path("runs") / "capacity" / result.name
    page = forecast_page(result, forecast_charts(result))
    written = write_outputs(out_dir, FORECAST_FILE, result, page)
    shown = console()
    shown.print(page.headline)
    for each in tables(result):
        render_table(each, shown)
    shown.print(f"written: {written[0]}, {written[1]}, {written[2]}")
    return int(ExitCode.PASS)


@capacity.command("schema")
@click.argument("what", type=click.Choice(["forecast", "prices"]))
@OUTPUT_OPTION
def schema(what: str, output: Path | None) -> int:
    """Print the JSON Schema of traffic forecasts (forecast) or price sheets (prices)."""
    from chaos.capacity.inputs import forecast_schema, prices_schema

    return emit_schema(forecast_schema() if what == "forecast" else prices_schema(), output)


COMMANDS = (capacity,)
