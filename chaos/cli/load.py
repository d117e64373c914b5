"""``chaos load``: a scenario's load alone, against any OpenAI- or Anthropic-compatible URL.

No providers, no faults, no verdict: the load of the scenario (users, shape, mix, evals,
headers) sent to ``--target``, every request recorded in ``OUT/records.jsonl``, Locust's
own statistics beside it. Ctrl-C stops it gracefully.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from chaos.cli.scenario import SET_HELP, scale_option
from chaos.errors import ChaosError, ExitCode


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
def load(file: Path, target_url: str, out: Path | None, overrides: tuple[str, ...], scale: float) -> int:
    """Send the load of scenario FILE to --target and record every request.

    The scenario's target.api says which wire format is spoken (openai: POST
    /v1/chat/completions, anthropic: POST /v1/messages under the URL).
    """
    import subprocess  # here, not at the top: chaos validate and the other commands start faster without it

    from chaos.envrefs import Resolver
    from chaos.load.config import LoadConfig
    from chaos.load.launch import free_port, locust_command, stop_deadline
    from chaos.load.summary import summarize
    from chaos.rundir import RunDir
    from chaos.scenario.loading import load_scenario
    from chaos.stack.processes import terminate

    scenario = load_scenario(file, overrides, scale)
    run_dir = RunDir((out or Path("runs") / time.strftime("load-%Y%m%d-%H%M%S")).resolve())
    run_dir.path.mkdir(parents=True, exist_ok=True)
    run_id = run_dir.path.name
    config = LoadConfig.from_scenario(scenario, target_url=target_url, records=run_dir.records, run_id=run_id)
    config.resolved_headers(Resolver(os.environ))  # a missing variable is refused here, before anything runs
    command = locust_command(config, run_dir, master_port=free_port() if config.processes > 1 else None)
    config.dump(command.config_file)
    click.echo(f"load: {config.shape.users} users for {config.shape.duration:g}s at {config.host}{config.path}")
    process = subprocess.Popen(command.argv, env=command.env, cwd=command.cwd, start_new_session=True)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        click.echo("stopping gracefully (in-flight requests get the stop grace)", err=True)
        code = terminate(process, grace=stop_deadline(config), group=True)  # the workers die with the group
    if code != 0 or not config.records.exists():
        raise ChaosError(f"the load process exited {code}", hint=f"see {command.log_file}")
    summary = summarize(config.records)
    click.echo(summary.requests_line())
    click.echo(f"Locust counted {summary.locust_requests} requests, {summary.locust_failures} failed")
    if summary.workers_lost:
        click.echo(f"workers lost: {summary.workers_lost}")
    click.echo(f"records: {config.records}")
    return int(ExitCode.PASS)


COMMANDS = [load]
