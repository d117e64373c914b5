"""``chaos providers serve``: the mock LLM providers, one process, one port each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from chaos.cli.scenario import SET_HELP
from chaos.errors import ChaosError, ExitCode

if TYPE_CHECKING:
    from chaos.providers.server import ProvidersServer, Ready


@click.group()
def providers() -> None:
    """Mock OpenAI- and Anthropic-compatible providers with faults switched at run time."""


@providers.command()
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), help="A providers file.")
@click.option(
    "--scenario", "scenario_file", type=click.Path(path_type=Path, dir_okay=False), help="Serve a scenario's providers."
)
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP + " With --scenario only.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--admin-port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port.")
@click.option(
    "--ready-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Written (atomically) once every port listens: admin URL and each provider's URL, api, model.",
)
@click.option("--zero-latency", is_flag=True, help="Answer at once, ignoring latency profiles (for benchmarks).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of fault rates, jitter and quality draws.")
@click.pass_context
def serve(
    ctx: click.Context,
    *,
    config_file: Path | None,
    scenario_file: Path | None,
    overrides: tuple[str, ...],
    host: str,
    admin_port: int,
    ready_file: Path | None,
    zero_latency: bool,
    seed: int,
) -> int:
    """Run the providers until SIGTERM or SIGINT (exit 0).

    Give --config FILE (YAML: providers: {NAME: {api, model, port, latency, ...}},
    eval_set:) or --scenario FILE. Provider order is the fallback order. With
    CHAOS_ADMIN_TOKEN set, the admin API asks every caller for it.
    """
    import asyncio
    import os

    from chaos.providers.admin_models import admin_token
    from chaos.providers.config import from_scenario, load_config
    from chaos.providers.server import ProvidersServer

    if (config_file is None) == (scenario_file is None):
        raise ChaosError("give exactly one of --config FILE or --scenario FILE")
    if overrides and scenario_file is None:
        raise ChaosError("--set applies to --scenario only")
    if config_file is not None:
        config = load_config(config_file)
    else:
        assert scenario_file is not None
        config = from_scenario(scenario_file, overrides)
    if zero_latency:
        config = config.with_zero_latency()
    ctx.find_root().obj.configure_logging()
    server = ProvidersServer(config, host=host, admin_port=admin_port, seed=seed, admin_token=admin_token(os.environ))
    asyncio.run(_run(server, ready_file))
    return int(ExitCode.PASS)


async def _run(server: ProvidersServer, ready_file: Path | None) -> None:
    import asyncio
    import signal

    from chaos.providers.server import serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve(server, stop, ready_file, _announce)


def _announce(ready: Ready) -> None:
    click.echo(f"admin      {ready.admin}")
    for name, provider in ready.providers.items():
        click.echo(f"{name:<10} {provider['api']:<9} {provider['model']:<20} {provider['url']}")
    click.echo("ready", nl=True)


COMMANDS = (providers,)
