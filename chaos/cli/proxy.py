"""``chaos proxy serve``: the embedded Toxiproxy-compatible server."""

from __future__ import annotations

from pathlib import Path

import click

from chaos.cli.main import Options


@click.group()
def proxy() -> None:
    """Network faults: a Toxiproxy-compatible server."""


@proxy.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of the HTTP API.")
@click.option("--port", type=click.IntRange(0, 65535), default=8474, show_default=True, help="0 picks a free port.")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Proxies to create at start: Toxiproxy's JSON list, as toxiproxy-server -config takes it.",
)
@click.option(
    "--ready-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help='Written atomically once the API listens: {"api": "http://HOST:PORT"}.',
)
@click.pass_obj
def serve(options: Options, host: str, port: int, config: Path | None, ready_file: Path | None) -> int:
    """Serve Toxiproxy 2.12's HTTP API and its proxies until SIGTERM or SIGINT (then exit 0).

    Any Toxiproxy client works against it; it also counts, per proxy, the connections a
    toxic cut or reset, on /metrics.
    """
    from chaos.toxiproxy.server.serve import run
    from chaos.toxiproxy.server.serve import serve as serve_forever

    options.configure_logging()
    run(lambda: serve_forever(host, port, config=config, ready_file=ready_file))
    return 0


COMMANDS = [proxy]
