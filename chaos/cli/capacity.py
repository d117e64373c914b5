"""``chaos capacity forecast|probe|schema``: how much load holds, and what a forecast costs."""

from __future__ import annotations

from pathlib import Path

import click

from chaos.cli.main import Options
from chaos.cli.run import LIVE_OPTION, RUNS_DIR_OPTION
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


@capacity.command("probe")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--from", "start", type=click.FloatRange(min=0, min_open=True), help="Requests/s at the first step.")
@click.option("--by", type=click.FloatRange(min=0, min_open=True), help="Requests/s added at each step.")
@click.option("--to", type=click.FloatRange(min=0, min_open=True), help="The ceiling: the last step's requests/s.")
@click.option("--step", "step", metavar="DURATION", help="How long each step lasts, e.g. 20s.")
@click.option("--no-bursts", is_flag=True, help="Skip the scenario's burst above the knee.")
@RUNS_DIR_OPTION
@LIVE_OPTION
@click.option("-o", "--out", type=click.Path(path_type=Path, file_okay=False), help=OUT_HELP)
@click.pass_obj
def probe_command(
    options: Options,
    /,
    file: Path,
    *,
    start: float | None,
    by: float | None,
    to: float | None,
    step: str | None,
    no_bursts: bool,
    runs_dir: Path,
    live: bool | None,
    out: Path | None,
) -> int:
    """Step the load on FILE's target up until an SLO breaks (the knee); then burst above it.

    Each step sends its rate open-model (each user a request every load.client_timeout)
    for capacity.step; the run stops at the first step whose good share of an SLO falls
    below its objective. Prints the knee's requests/s and tokens/s, the SLO that broke
    first and what saturated (a provider's quota, the load, the target); with
    capacity.bursts, a second run sends a burst above the knee and judges the load shed,
    the 429s passed to users and the recovery. Writes probe.json and the reports to --out
    (default runs/capacity/<scenario>-<first run id>). Steps come from the scenario's
    capacity: block, or --from/--by/--to/--step over it.
    """
    from chaos.capacity.files import PROBE_FILE, write_outputs
    from chaos.capacity.probe import probe_settings, run_probe
    from chaos.capacity.probe_page import burst_sentence, knee_sentence, probe_page, providers_table, steps_table
    from chaos.cli.run import _run_one
    from chaos.report.console import console, render_table
    from chaos.run.lifecycle import new_run_id
    from chaos.scenario.loading import load_scenario
    from chaos.scenario.units import parse_duration

    loaded = load_scenario(file)
    try:
        step_s = parse_duration(step) if step is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--step") from None
    settings = probe_settings(loaded, {"from": start, "by": by, "to": to, "step": step_s})
    if no_bursts:
        settings = settings.model_copy(update={"bursts": None})
    made: list[Path] = []

    def new_run_dir() -> Path:
        made.append(runs_dir / f"{loaded.scenario.name}-{new_run_id()}")
        return made[-1]

    result = run_probe(
        loaded, settings, new_run_dir, lambda shaped, run_dir, last: _run_one(options, shaped, run_dir, live, last=last)
    )
    out_dir = out if out is not None else runs_dir / "capacity" / made[0].name
    written = write_outputs(out_dir, PROBE_FILE, result, probe_page(result))
    shown = console()
    render_table(steps_table(result.steps), shown)
    render_table(providers_table(result.steps), shown)
    if result.burst is not None:
        render_table(steps_table(result.burst.windows, "Before, during and after the burst"), shown)
    shown.print(knee_sentence(result))
    if result.burst is not None:
        shown.print(burst_sentence(result.burst))
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
