"""``chaos init``: a first scenario for your own gateway, and what it must read."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from chaos.errors import ChaosError, ExitCode, ScenarioError, quote
from chaos.scenario.overlay import SERVED_BY_FORMS

_APIS = click.Choice(["openai", "anthropic"])


@click.command()
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Default: NAME.yaml."
)
@click.option("--name", help="The scenario's name (lower-case, e.g. my-gateway-outage).")
@click.option("--start", "start", metavar="CMD", help='How to start your gateway, e.g. "node gw.js --port {port}".')
@click.option("--url", metavar="URL", help="Or: where it already runs (it must reach the run's providers).")
@click.option("--api", type=_APIS, help="The wire format your gateway takes from clients.")
@click.option("--served-by", metavar="SPEC", help=f"How it names who served: {SERVED_BY_FORMS}.")
@click.option("--providers", metavar="LIST", help="In fallback order: NAME=API:MODEL,... (API: openai or anthropic).")
@click.option("--health", help="A path answering 2xx once it is ready (default /healthz).")
@click.option("--model", help="The model name clients ask your gateway for (default gateway).")
@click.option("--force", is_flag=True, help="Overwrite the output file.")
def init(
    *,
    output: Path | None,
    name: str | None,
    start: str | None,
    url: str | None,
    api: str | None,
    served_by: str | None,
    providers: str | None,
    health: str | None,
    model: str | None,
    force: bool,
) -> int:
    """Write a commented scenario for your own gateway, and print what it must read
    from its environment.

    Asks for what the options do not say when run on a terminal; elsewhere the options
    not given take their defaults, and --start or --url is required.
    """
    from chaos.scenario.base import Api
    from chaos.scenario.loading import scenario_from_text
    from chaos.scenario.overlay import parse_served_by
    from chaos.scenario.starter import DEFAULT_PROVIDERS, Starter, checklist, parse_providers, render

    ask = sys.stdin.isatty()
    if start is None and url is None:
        if not ask:
            raise ChaosError("give --start CMD (the run starts your gateway) or --url URL (it runs already)")
        start = click.prompt("Command that starts your gateway ({port} is filled in), or its URL")
        if start.startswith(("http://", "https://")):
            start, url = None, start
    if start is not None and url is not None:
        raise ChaosError("give --start or --url, not both")
    name = name or (click.prompt("Scenario name", default="my-gateway-outage") if ask else "my-gateway-outage")
    api = api or (click.prompt("Wire format your gateway takes", type=_APIS, default="openai") if ask else "openai")
    served_by = served_by or (
        click.prompt(f"How it names who served ({SERVED_BY_FORMS})", default="ledger") if ask else "ledger"
    )
    providers = providers or (
        click.prompt("Providers in fallback order (NAME=API:MODEL,...)", default=DEFAULT_PROVIDERS)
        if ask
        else DEFAULT_PROVIDERS
    )
    try:
        argv = shlex.split(start) if start is not None else None
    except ValueError as exc:
        raise ChaosError(f"--start {quote(start or '')}: {exc}") from None
    starter = Starter(
        name=name,
        start=argv,
        url=url,
        api=Api(api),
        served_by=parse_served_by(served_by),
        providers=parse_providers(providers),
        health=health or "/healthz",
        model=model or "gateway",
    )
    path = output or Path(f"{name}.yaml")
    if path.exists() and not force:
        raise ChaosError(f"{path} exists", hint="choose another -o FILE, or --force to overwrite it")
    text = render(starter)
    try:
        scenario_from_text(text, path)  # what init writes validates, or nothing is written
    except ScenarioError as exc:
        raise ChaosError(f"{path} not written: these answers make an invalid scenario:\n{exc.message}") from None
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}")
    for line in checklist(starter):
        click.echo(line)
    click.echo(f"\nnext: chaos plan {path}, then chaos run {path}")
    target = f"--target-start {shlex.quote(start)}" if start is not None else f"--target-url {url}"
    spec = f" --served-by {served_by}" if served_by != "ledger" else ""
    click.echo(
        f"the library against it: chaos suite scenarios/provider-outage.yaml ... {target} --target-api {api}{spec}"
    )
    return int(ExitCode.PASS)


COMMANDS = (init,)
