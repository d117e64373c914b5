"""``chaos validate``, ``chaos plan`` and ``chaos schema``: the scenario language's commands."""

from __future__ import annotations

import json
from pathlib import Path

import click

from chaos.errors import ExitCode, ScenarioError

SET_HELP = "Override a value before validation, e.g. --set load.users=40 or --set faults[0].at=35s (repeatable)."
SCALE_HELP = (
    "Scale the run's timeline by this factor (0.4: a run 40% as long): load duration, warm-up, fault "
    "offsets and windows, schedules, settle, alert and abort windows. Latencies, timeouts, think time, "
    "spawn rates, quotas and expectations' within stay as written. Applied after --set."
)
# One option for every command that loads a scenario to run or judge it.
scale_option = click.option(
    "--scale", type=click.FloatRange(min=0, min_open=True, max=100), default=1.0, show_default=True, help=SCALE_HELP
)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@scale_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document for machines.")
def validate(files: tuple[Path, ...], overrides: tuple[str, ...], scale: float, as_json: bool) -> int:
    """Check scenario FILES; print every problem, located as file:line:column.

    Exit 0 when every file is valid, 2 otherwise.
    """
    from chaos.scenario.loading import load_scenario

    results = []
    for path in files:
        try:
            loaded = load_scenario(path, overrides, scale)
        except ScenarioError as exc:
            results.append({"path": str(path), "valid": False, "problems": [p.as_dict() for p in exc.problems]})
            if not as_json:
                click.echo(exc.message, err=True)
            continue
        scenario = loaded.scenario
        results.append({"path": str(path), "valid": True, "problems": []})
        if not as_json:
            counts = ", ".join(
                _count(len(items), noun)
                for items, noun in (
                    (scenario.providers, "provider"),
                    (scenario.faults, "fault"),
                    (scenario.slos, "SLO"),
                )
            )
            click.echo(f"ok {path}: {scenario.name} ({counts})")
    if as_json:
        click.echo(json.dumps({"files": results}, indent=2))
    return int(ExitCode.PASS if all(r["valid"] for r in results) else ExitCode.INVALID)


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@scale_option
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan(file: Path, overrides: tuple[str, ...], scale: float, as_json: bool) -> int:
    """Show what a run of FILE would do, and warn about SLOs it cannot decide.

    Segments with their offsets (warm-up, settle and stop grace shown as not judged),
    each fault's schedule, the load, which SLOs are judged where, expectations, alert
    rules, and the requests each segment should get. With --scale, the plan of the
    scaled run, and what it can still decide.
    """
    from chaos.scenario.loading import load_scenario
    from chaos.scenario.plan import build_plan

    loaded = load_scenario(file, overrides, scale)
    built = build_plan(loaded.scenario, scale=scale)
    if as_json:
        from chaos.report.plan import plan_as_dict

        click.echo(json.dumps(plan_as_dict(built), indent=2))
    else:
        from chaos.report.console import console
        from chaos.report.plan import render_plan

        render_plan(built, console())
    return int(ExitCode.PASS)


@click.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to a file instead.")
def schema(output: Path | None) -> int:
    """Print the JSON Schema of the scenario language (for editors and CI linters).

    Editors using the YAML language server pick it up from a first line like
    ``# yaml-language-server: $schema=./scenario.schema.json``.
    """
    from chaos.scenario.schema import scenario_schema

    text = json.dumps(scenario_schema(), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    return int(ExitCode.PASS)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


COMMANDS = (validate, plan, schema)
