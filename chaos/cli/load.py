"""``chaos load`` and ``chaos worker``: a scenario's load alone, and Locust workers for any load.

``chaos load``: no providers, no faults, no verdict: the load of the scenario (users,
shape, mix, evals, headers) sent to ``--target``, every request recorded in
``OUT/records.jsonl``, Locust's own statistics beside it. Ctrl-C stops it gracefully.

``--workers N`` (here and on ``chaos run``) splits the load over Locust's own distributed
mode: the load process is a master that waits for N ``chaos worker --master HOST:PORT``
processes, on this machine or others, and stops with exit 2 naming how many came if too
few do within ``--workers-timeout``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from chaos.cli.scenario import SET_HELP, scale_option
from chaos.errors import ChaosError, ExitCode

if TYPE_CHECKING:
    from chaos.load.config import RemoteWorkers

_F = TypeVar("_F", bound=Callable[..., Any])
DEFAULT_MASTER_PORT = 5557  # Locust's own


def _address(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, int] | None:
    """``HOST:PORT`` -> (host, port); a bad one is a usage error (exit 2)."""
    if value is None:
        return None
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r} is not HOST:PORT (a host name or address, a port 1-65535)")
    return host.strip("[]"), int(port)


def workers_options(command: _F) -> _F:
    """``--workers N``, ``--workers-timeout``, ``--master-bind``: the load over remote Locust workers."""
    options = [
        click.option(
            "--workers",
            type=click.IntRange(1, 256),
            default=None,
            help="Split the load over N Locust workers, each started by `chaos worker --master HOST:PORT` "
            "(here or on other machines); the load waits for all N before it starts.",
        ),
        click.option(
            "--workers-timeout",
            type=click.FloatRange(0, min_open=True),
            default=60.0,
            show_default=True,
            metavar="SECONDS",
            help="How long to wait for the N workers; fewer is an error (exit 2) that says how many came.",
        ),
        click.option(
            "--master-bind",
            callback=_address,
            default=f"127.0.0.1:{DEFAULT_MASTER_PORT}",
            show_default=True,
            metavar="HOST:PORT",
            help="Where the Locust master listens for its workers (0.0.0.0:PORT for other machines).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def remote_workers(options: dict[str, Any]) -> RemoteWorkers | None:
    """The remote workers ``workers_options`` asked for (taken out of ``options``), or None."""
    from chaos.load.config import RemoteWorkers

    count, timeout, (host, port) = options.pop("workers"), options.pop("workers_timeout"), options.pop("master_bind")
    if count is None:
        return None
    return RemoteWorkers(count=count, timeout=timeout, bind_host=host, bind_port=port)


@click.command("load")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--target",
    "target_url",
    required=True,
    metavar="URL",
    help="Base URL: where the target listens (http://host:port) or an SDK-style base ending in /v1.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for records.jsonl, locust-stats.json and locust.log (default: runs/load-<time>).",
)
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@scale_option
@workers_options
def load(file: Path, target_url: str, out: Path | None, overrides: tuple[str, ...], scale: float, **remote: Any) -> int:
    """Send the load of scenario FILE to --target and record every request.

    The scenario's target.api says which wire format is spoken (openai: POST
    /v1/chat/completions, anthropic: POST /v1/messages under the URL).
    """
    import subprocess  # here, not at the top: chaos validate and the other commands start faster without it

    from chaos.envrefs import Resolver
    from chaos.load.config import LoadConfig
    from chaos.load.launch import free_port, locust_command, stop_deadline, too_few_workers
    from chaos.load.summary import summarize
    from chaos.rundir import RunDir
    from chaos.scenario.loading import load_scenario
    from chaos.stack.processes import terminate

    scenario = load_scenario(file, overrides, scale)
    run_dir = RunDir((out or Path("runs") / time.strftime("load-%Y%m%d-%H%M%S")).resolve())
    run_dir.path.mkdir(parents=True, exist_ok=True)
    run_id = run_dir.path.name
    config = LoadConfig.from_scenario(
        scenario, target_url=target_url, records=run_dir.records, run_id=run_id, workers=remote_workers(remote)
    )
    config.resolved_headers(Resolver(os.environ))  # a missing variable is refused here, before anything runs
    command = locust_command(config, run_dir, master_port=free_port() if config.processes > 1 else None)
    config.dump(command.config_file)
    click.echo(f"load: {config.shape.users} users for {config.shape.duration:g}s at {config.host}{config.path}")
    if config.workers is not None:
        click.echo(f"waiting for {config.workers.count} workers: chaos worker --master HOST:{config.workers.bind_port}")
    process = subprocess.Popen(command.argv, env=command.env, cwd=command.cwd, start_new_session=True)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        click.echo("stopping gracefully (in-flight requests get the stop grace)", err=True)
        code = terminate(process, grace=stop_deadline(config), group=True)  # the workers die with the group
    summary = summarize(config.records) if config.records.exists() else None
    if config.workers is not None and (summary is None or not summary.started):
        raise ChaosError(too_few_workers(config, summary.workers_ready if summary is not None else 0))
    if code != 0 or summary is None:
        raise ChaosError(f"the load process exited {code}", hint=f"see {command.log_file}")
    click.echo(summary.requests_line())
    click.echo(f"Locust counted {summary.locust_requests} requests, {summary.locust_failures} failed")
    if summary.workers_lost:
        click.echo(f"workers lost: {summary.workers_lost}")
    click.echo(f"records: {config.records}")
    return int(ExitCode.PASS)


@click.command("worker")
@click.option(
    "--master",
    required=True,
    callback=_address,
    metavar="HOST:PORT",
    help="The Locust master of a `chaos run --workers N` or `chaos load --workers N` (its --master-bind).",
)
@click.option(
    "--wait",
    type=click.FloatRange(0, min_open=True),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the master to answer.",
)
def worker(master: tuple[str, int], wait: float) -> int:
    """Run a Locust worker for a distributed load: this process becomes the worker.

    It asks the master for the scenario's load (the locustfile and its config, eval items
    included), runs its share of the users, and sends every record to the master with
    its clock rebased to the master's; it exits when the master's load ends. Header
    values are ${ENV} references resolved here: set the variables on this machine too.
    """
    host, port = master
    click.echo(f"chaos worker: asking the master at {host}:{port} for its load", err=True)
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "chaos.load.runtime.remote", host, str(port), f"{wait:g}"])


COMMANDS = [load, worker]
