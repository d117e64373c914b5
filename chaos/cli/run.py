"""``chaos run``, ``chaos reset`` and ``chaos report``: a run, its leftovers, its record."""

from __future__ import annotations

import contextlib
import io
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO, cast

import click

from chaos.cli.main import Options
from chaos.cli.scenario import SET_HELP, scale_option
from chaos.errors import ChaosError, ExitCode


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@scale_option
@click.option(
    "--runs-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("runs"),
    show_default=True,
    help="Where run directories are created.",
)
@click.option("--live/--no-live", default=None, help="The live view (default: on a terminal).")
@click.pass_obj
def run(
    options: Options, file: Path, *, overrides: tuple[str, ...], scale: float, runs_dir: Path, live: bool | None
) -> int:
    """Run the scenario FILE and judge it: did the fallback paths and the SLOs hold?

    Brings up the local stack (or connects to staging), drives the load, injects the
    faults on their timeline, always restores them, and writes everything to a run
    directory: journal.json (the verdict and every figure), records.jsonl, events.jsonl,
    ledger.jsonl, proxies.jsonl and each process's log.

    Exit codes: 0 pass, 1 an SLO or expectation failed, 2 invalid input or environment,
    3 aborted, 4 inconclusive.

    For a shorter run (in CI), --scale 0.4 plays the same timeline at 40% of its length;
    `chaos plan --scale 0.4 FILE` says first whether every SLO can still be decided.
    """
    import asyncio  # here, not at the top: every other command starts faster without it

    from chaos import logs
    from chaos.faults import unsupported_faults
    from chaos.report.console import console
    from chaos.report.console_run import render_run
    from chaos.report.live import LiveView
    from chaos.run.lifecycle import new_run_id, run_scenario
    from chaos.rundir import RunDir
    from chaos.scenario.loading import load_scenario

    loaded = load_scenario(file, overrides, scale)
    unsupported = unsupported_faults(loaded.scenario)
    if unsupported:
        raise ChaosError("this scenario cannot be run yet:\n" + "\n".join(unsupported))
    run_id = new_run_id()
    run_dir = runs_dir.resolve() / f"{loaded.scenario.name}-{run_id}"  # children run elsewhere
    run_dir.mkdir(parents=True, exist_ok=False)
    interactive = sys.stdout.isatty() if live is None else live
    out = console()
    with RunDir(run_dir).orchestrator_log.open("a", encoding="utf-8") as log_file:
        tee = _Tee(log_file, None if interactive else sys.stderr)
        logs.configure(json_lines=True, level=options.log_level, stream=cast(TextIO, tee))
        out.print(f"run {run_id}: {loaded.scenario.name} -> {run_dir}")
        with _signals() as judged:
            with LiveView(out, interactive=interactive) as view:
                journal = asyncio.run(run_scenario(loaded, run_dir, run_id, watch=view))
                judged()
            render_run(journal, out, str(run_dir))
    return journal.exit_code if journal.exit_code is not None else int(ExitCode.ABORTED)


@contextlib.contextmanager
def _signals() -> Iterator[Callable[[], None]]:
    """Until the run takes SIGINT and SIGTERM over (it restores whatever it started),
    SIGTERM stops the command as Ctrl-C does; once the run is judged (``judged()``), both
    are ignored until the process exits, so that its exit code is the journal's. The
    handlers are put back only when the run was not judged."""
    signums = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.getsignal(signum) for signum in signums}
    done = False

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    def judged() -> None:
        nonlocal done
        done = True
        for signum in signums:
            signal.signal(signum, signal.SIG_IGN)

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield judged
    finally:
        if not done:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


class _Tee(io.TextIOBase):
    """Log lines to the run's file and, when no live view owns the terminal, to stderr."""

    def __init__(self, file: TextIO, echo: TextIO | None) -> None:
        self._streams = [file] if echo is None else [file, echo]

    def write(self, text: str) -> int:
        for stream in self._streams:
            stream.write(text)
            stream.flush()
        return len(text)

    def isatty(self) -> bool:
        return False


@click.command()
@click.option("--run", "run_id", help="Clear what this run left behind.")
@click.option("--all", "everything", is_flag=True, help="Clear every behaviour, toxic and lease (a shared staging!).")
@click.option("--scenario", type=click.Path(path_type=Path, dir_okay=False), help="Take the URLs from its stack:.")
@click.option("--toxiproxy", help="Toxiproxy API URL.")
@click.option("--providers-admin", help="Mock providers' admin API URL.")
@click.pass_obj
def reset(
    options: Options,
    *,
    run_id: str | None,
    everything: bool,
    scenario: Path | None,
    toxiproxy: str | None,
    providers_admin: str | None,
) -> int:
    """Clear what a run left behind in an environment: its provider behaviours, its
    toxics, the proxies it disabled, its lease. Scoped to one run (--run), or --all."""
    import asyncio

    from chaos.run.reset import reset_environment, urls_from

    if (run_id is None) == (not everything):
        raise click.UsageError("give --run RUN_ID or --all")
    admin_url, toxiproxy_url = urls_from(scenario, toxiproxy=toxiproxy, providers_admin=providers_admin)
    options.configure_logging()
    report = asyncio.run(reset_environment(admin_url, toxiproxy_url, run_id=run_id))
    for line in report:
        click.echo(line)
    return int(ExitCode.PASS)


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--rebuild", is_flag=True, help="Judge the raw records again, even if the journal is complete.")
def report(run_dir: Path, rebuild: bool) -> int:
    """Show the verdict of the run in RUN_DIR; rebuild its journal from the raw records
    if the run was killed before it could finish it (or with --rebuild)."""
    from chaos.journal import RunStatus, read_journal
    from chaos.report.console import console
    from chaos.report.console_run import render_run
    from chaos.run.rebuild import rebuild_journal

    journal = read_journal(run_dir)
    if rebuild or journal.status is RunStatus.RUNNING:
        journal = rebuild_journal(run_dir, journal)
    render_run(journal, console(), str(run_dir))
    return journal.exit_code if journal.exit_code is not None else int(ExitCode.INVALID)


COMMANDS = (run, reset, report)
