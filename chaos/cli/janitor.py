"""``chaos janitor``: revert what dead runs left in a staging environment."""

from __future__ import annotations

from pathlib import Path

import click

from chaos.cli.main import Options


@click.command()
@click.option(
    "--providers-admin", required=True, metavar="URL", help="The providers' admin API, which keeps the leases."
)
@click.option("--toxiproxy", metavar="URL", help="Toxiproxy, whose toxics and disabled proxies a dead run left.")
@click.option(
    "--docker",
    "docker",
    is_flag=True,
    help="Bring back the containers a dead run stopped or paused (the engine at DOCKER_HOST, else Docker's socket).",
)
@click.option(
    "--period",
    type=click.FloatRange(0.1, 3600),
    default=2.0,
    show_default=True,
    help="Seconds between two sweeps of the lapsed leases.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of /healthz and /metrics.")
@click.option("--port", type=click.IntRange(0, 65535), default=8475, show_default=True, help="0 picks a free port.")
@click.option(
    "--ready-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help='Written atomically once it serves: {"url": "http://HOST:PORT"}.',
)
@click.pass_obj
def janitor(
    options: Options,
    *,
    providers_admin: str,
    toxiproxy: str | None,
    docker: bool,
    period: float,
    host: str,
    port: int,
    ready_file: Path | None,
) -> int:
    """Watch the run leases; when a run's heartbeat lapses, revert its toxics, its
    container faults and its provider behaviours, and nothing else, until SIGTERM or
    SIGINT (exit 0). It logs what it reverted and serves /healthz and /metrics.

    CHAOS_ADMIN_TOKEN, if set, is sent to the providers' admin API.
    """
    import os

    from chaos.containers import engine_url
    from chaos.janitor.serve import JanitorConfig, serve
    from chaos.providers.admin_models import admin_token
    from chaos.toxiproxy.server.serve import run

    options.configure_logging()
    config = JanitorConfig(
        providers_admin=providers_admin.rstrip("/"),
        toxiproxy=toxiproxy.rstrip("/") if toxiproxy else None,
        docker=engine_url(None) if docker else None,
        admin_token=admin_token(os.environ),
        period_s=period,
        host=host,
        port=port,
        ready_file=ready_file,
    )
    run(lambda: serve(config))
    return 0


COMMANDS = [janitor]
