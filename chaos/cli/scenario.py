"""``chaos validate``, ``chaos plan`` and ``chaos schema``: the scenario language's commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from chaos.cli.schema_output import OUTPUT_OPTION, emit_schema
from chaos.errors import ExitCode, ScenarioError
from chaos.scenario.overlay import SERVED_BY_FORMS, Override, TargetOverlay

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

_F = TypeVar("_F", bound=Callable[..., Any])
_APIS = click.Choice(["openai", "anthropic"])


def target_options(command: _F) -> _F:
    """Your gateway under any scenario: the target laid over it (``chaos.scenario.overlay``)."""
    options = [
        click.option(
            "--target",
            "--profile",
            "target_file",
            type=click.Path(path_type=Path, dir_okay=False),
            help="A target file (a staging profile such as compose/staging.yaml) merged over the scenario: "
            "its target: (and environment:, stack:, safety:). --profile is the same option.",
        ),
        click.option(
            "--target-start",
            metavar="CMD",
            help='Start your gateway with CMD instead, e.g. "node gw.js --port {port}" ({port}, '
            "{provider.NAME.url}, ... are filled in by the run).",
        ),
        click.option("--target-url", metavar="URL", help="Your gateway, already running at URL (no start command)."),
        click.option("--target-api", type=_APIS, help="The wire format your gateway takes from clients."),
        click.option("--provider-api", type=_APIS, help="The one wire format your gateway speaks to providers."),
        click.option("--served-by", metavar="SPEC", help=f"How your gateway names who served: {SERVED_BY_FORMS}."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def overrides_from(options: dict[str, Any], sets: tuple[str, ...]) -> list[str | Override]:
    """The target overlay from ``target_options``' values (taken out of ``options``), then
    the ``--set`` overrides: what ``load_scenario`` applies, in order."""
    overlay = TargetOverlay(
        file=options.pop("target_file"),
        start=options.pop("target_start"),
        url=options.pop("target_url"),
        api=options.pop("target_api"),
        provider_api=options.pop("provider_api"),
        served_by=options.pop("served_by"),
    )
    return [*overlay.overrides(), *sets]


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@scale_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document for machines.")
@target_options
def validate(files: tuple[Path, ...], overrides: tuple[str, ...], scale: float, as_json: bool, **target: Any) -> int:
    """Check scenario FILES; print every problem, located as file:line:column.

    Exit 0 when every file is valid, 2 otherwise.
    """
    from chaos.scenario.loading import load_scenario

    applied = overrides_from(target, overrides)
    results = []
    for path in files:
        try:
            loaded = load_scenario(path, applied, scale)
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
@target_options
def plan(file: Path, overrides: tuple[str, ...], scale: float, as_json: bool, **target: Any) -> int:
    """Show what a run of FILE would do, and warn about SLOs it cannot decide.

    Segments with their offsets (warm-up, settle and stop grace shown as not judged),
    each fault's schedule, the load, which SLOs are judged where, expectations, alert
    rules, and the requests each segment should get. With --scale, the plan of the
    scaled run, and what it can still decide.
    """
    from chaos.scenario.loading import load_scenario
    from chaos.scenario.plan import build_plan

    loaded = load_scenario(file, overrides_from(target, overrides), scale)
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
@OUTPUT_OPTION
def schema(output: Path | None) -> int:
    """Print the JSON Schema of the scenario language (for editors and CI linters).

    Editors using the YAML language server pick it up from a first line like
    ``# yaml-language-server: $schema=./scenario.schema.json``.
    """
    from chaos.scenario.schema import scenario_schema

    return emit_schema(scenario_schema(), output)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


COMMANDS = (validate, plan, schema)
