"""``chaos run``, ``chaos reset`` and ``chaos report``: a run, its leftovers, its record."""

from __future__ import annotations

import contextlib
import io
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import click

from chaos.cli.history_file import HISTORY_OPTION, history_path
from chaos.cli.main import Options
from chaos.cli.scenario import SET_HELP, overrides_from, scale_option, target_options
from chaos.errors import ChaosError, ExitCode, ScenarioError

if TYPE_CHECKING:
    from chaos.journal import FreezeOverride, Journal
    from chaos.report.files import Format
    from chaos.scenario.loading import ScenarioFile


RUNS_DIR_OPTION = click.option(
    "--runs-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("runs"),
    show_default=True,
    help="Where run directories are created.",
)
LIVE_OPTION = click.option("--live/--no-live", default=None, help="The live view (default: on a terminal).")
JUNIT_OPTION = click.option(
    "--junit",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the JUnit XML here (where CI looks for it); junit.xml is in the run directory anyway.",
)


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@scale_option
@target_options
@RUNS_DIR_OPTION
@LIVE_OPTION
@JUNIT_OPTION
@click.option(
    "--override-freeze",
    metavar="REASON",
    help="Start even though the history says a freeze rule of the scenario's budget policy is reached; "
    "REASON is recorded in the journal and shown in the reports.",
)
@HISTORY_OPTION
@click.pass_obj
def run(
    options: Options,
    /,
    file: Path,
    *,
    overrides: tuple[str, ...],
    scale: float,
    runs_dir: Path,
    live: bool | None,
    junit: Path | None,
    override_freeze: str | None,
    history: Path | None,
    **target: Any,
) -> int:
    """Run the scenario FILE and judge it: did the fallback paths and the SLOs hold?

    Brings up the local stack (or connects to staging), drives the load, injects the
    faults on their timeline, always restores them, and writes everything to a run
    directory: journal.json (the verdict and every figure), records.jsonl, events.jsonl,
    ledger.jsonl, proxies.jsonl and each process's log; then the reports rendered from
    the journal: report.html (one offline page with charts), report.md (charts in
    charts/) and junit.xml.

    Exit codes: 0 pass, 1 an SLO or expectation failed, 2 invalid input or environment,
    3 aborted, 4 inconclusive.

    For a shorter run (in CI), --scale 0.4 plays the same timeline at 40% of its length;
    `chaos plan --scale 0.4 FILE` says first whether every SLO can still be decided.

    A scenario with a budget policy (budget:) is refused (exit 2) while the history says
    one of its freeze rules is reached, unless --override-freeze REASON; its run is
    indexed in the history once judged.
    """
    from chaos.scenario.loading import load_scenario

    loaded = load_scenario(file, overrides_from(target, overrides), scale)
    history_file = history_path(runs_dir, history)
    freeze_override = _budget_freeze(loaded, history_file, override_freeze)
    run_dir = _run_dir(runs_dir, loaded)
    journal = _run_one(options, loaded, run_dir, live, last=True, junit=junit, freeze_override=freeze_override)
    if loaded.scenario.budget:
        _index_run(run_dir, history_file)
    return journal.exit_code if journal.exit_code is not None else int(ExitCode.ABORTED)


def _budget_freeze(loaded: ScenarioFile, history: Path, reason: str | None) -> FreezeOverride | None:
    """Refuse the run while the history says a freeze rule is reached (``chaos.history.freeze``),
    unless overridden; what the override overrode, for the journal."""
    import time

    from chaos.history.freeze import exhausted_budgets
    from chaos.history.store import History
    from chaos.journal import FreezeOverride
    from chaos.scenario.budget import BudgetAction

    if reason is not None and not reason.strip():
        raise click.BadParameter("give the reason the freeze is overridden", param_hint="--override-freeze")
    freezes = any(rule.then is BudgetAction.FREEZE for rule in loaded.scenario.budget)
    exhausted = []
    if freezes and history.is_file():
        with History.open(history) as store:
            exhausted = exhausted_budgets(store, loaded.scenario, time.time())
    said = [item.describe() for item in exhausted]
    if said and reason is None:
        raise ChaosError(
            f"budget freeze: the history ({history}) says the error budget is spent:\n"
            + "\n".join(f"  {line}" for line in said),
            hint="wait until the window holds less, or give --override-freeze REASON (recorded in the journal)",
        )
    return FreezeOverride(reason=reason.strip(), exhausted=said) if reason is not None else None


def _index_run(run_dir: Path, history: Path) -> None:
    """The judged run into the history, so that the next run's freeze sees it; a history
    that cannot be written is said, and the run keeps its verdict."""
    from chaos.drill.index import read_journal_view, run_row
    from chaos.history.store import History

    view = read_journal_view(run_dir)
    if view is None:
        return
    try:
        with History.open(history) as store:
            store.index_run(run_row(view, run_dir))
    except ChaosError as exc:
        click.echo(f"error: the run could not be indexed in the history: {exc.message}", err=True)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP + " Applies to every scenario.")
@scale_option
@target_options
@RUNS_DIR_OPTION
@LIVE_OPTION
@JUNIT_OPTION
@click.pass_obj
def suite(
    options: Options,
    /,
    files: tuple[Path, ...],
    *,
    overrides: tuple[str, ...],
    scale: float,
    runs_dir: Path,
    live: bool | None,
    junit: Path | None,
    **target: Any,
) -> int:
    """Run scenario FILES one after the other against one target, then print one table:
    scenario -> verdict -> what failed.

    Point library scenarios at your own gateway with the target options (or --target
    FILE): nothing is copied. Every scenario is validated before the first one runs.
    Ctrl-C stops the suite after restoring the current run's faults. The exit code is the
    worst verdict's: 3 aborted > 1 fail > 4 inconclusive > 0 pass (2 if one could not run).
    Each run writes its reports into its run directory; --junit writes one JUnit file
    for the whole suite, a testsuite per scenario that ran.
    """
    from chaos.journal import RunStatus
    from chaos.report.console import console
    from chaos.report.console_suite import SuiteRow, render_suite, suite_exit_code
    from chaos.scenario.loading import load_scenario

    applied = overrides_from(target, overrides)
    problems, loaded = [], []
    for path in files:
        try:
            loaded.append(load_scenario(path, applied, scale))
        except ScenarioError as exc:
            problems.append(exc.message)
    if problems:
        raise ChaosError("\n".join(problems) + "\nnothing ran: fix these first")
    rows: list[SuiteRow] = []
    journals: list[Journal] = []
    for index, scenario in enumerate(loaded):
        click.echo(f"suite: {index + 1}/{len(loaded)} {scenario.path}")
        run_dir = _run_dir(runs_dir, scenario)
        try:
            journal = _run_one(options, scenario, run_dir, live, last=index == len(loaded) - 1)
        except ChaosError as exc:  # this one could not run (its target did not start, ...): the next may
            click.echo(f"error: {exc.message}" + (f"\nhint: {exc.hint}" if exc.hint else ""), err=True)
            rows.append(SuiteRow.unrun(scenario, exc, str(run_dir) if run_dir.exists() else None))
            continue
        except KeyboardInterrupt:  # before this run took the signals over: nothing of it to restore
            rows += [SuiteRow.skipped(rest) for rest in loaded[index:]]
            break
        rows.append(SuiteRow.of(scenario, journal, str(run_dir)))
        journals.append(journal)
        if journal.status is RunStatus.INTERRUPTED:
            rows += [SuiteRow.skipped(rest) for rest in loaded[index + 1 :]]
            break
    render_suite(rows, console())
    if junit is not None:
        from chaos.report.files import suite_junit

        _written(lambda: [suite_junit(journals, junit)])
    return suite_exit_code(rows)


def _run_dir(runs_dir: Path, loaded: ScenarioFile) -> Path:
    from chaos.run.lifecycle import new_run_id

    return runs_dir.resolve() / f"{loaded.scenario.name}-{new_run_id()}"  # absolute: children run elsewhere


def _run_one(
    options: Options,
    loaded: ScenarioFile,
    run_dir: Path,
    live: bool | None,
    *,
    last: bool,
    junit: Path | None = None,
    freeze_override: FreezeOverride | None = None,
) -> Journal:
    """One run of ``loaded`` in ``run_dir`` to its journal, its verdict printed and its
    reports written (the JUnit XML also to ``junit``). Once the ``last`` run of the
    command is judged, signals are ignored until the process exits."""
    import asyncio  # here, not at the top: every other command starts faster without it
    import os

    from chaos import logs
    from chaos.envrefs import Resolver
    from chaos.load.config import resolve_headers
    from chaos.report.console import console
    from chaos.report.console_run import render_run
    from chaos.report.files import write_reports
    from chaos.report.live import LiveView
    from chaos.run.lifecycle import run_scenario
    from chaos.rundir import RunDir

    # Headers every request would fail to send are refused before anything starts.
    resolve_headers(loaded.scenario.target.headers, Resolver(os.environ))
    run_id = run_dir.name.removeprefix(f"{loaded.scenario.name}-")
    run_dir.mkdir(parents=True, exist_ok=False)
    interactive = sys.stdout.isatty() if live is None else live
    out = console()
    with RunDir(run_dir).orchestrator_log.open("a", encoding="utf-8") as log_file:
        tee = _Tee(log_file, None if interactive else sys.stderr)
        logs.configure(json_lines=True, level=options.log_level, stream=cast(TextIO, tee))
        out.print(f"run {run_id}: {loaded.scenario.name} -> {run_dir}")
        with _signals(keep_ignored=last) as judged:
            with LiveView(out, interactive=interactive) as view:
                journal = asyncio.run(
                    run_scenario(loaded, run_dir, run_id, watch=view, freeze_override=freeze_override)
                )
                judged()
            render_run(journal, out, str(run_dir))
            _written(lambda: write_reports(journal, run_dir, junit_to=junit))
    return journal


def _written(write: Callable[[], list[Path]]) -> None:
    """Write reports and say where; a file that cannot be written is said, and the run
    keeps its verdict and exit code (its journal is written already)."""
    try:
        paths = write()
    except OSError as exc:
        click.echo(f"error: the reports could not be written: {exc}", err=True)
        return
    except Exception as exc:  # a rendering bug must not take the verdict's exit code with it
        click.echo(
            f"error: the reports could not be rendered ({type(exc).__name__}: {exc}); this is a bug in chaos."
            " The journal is intact: `chaos report RUN_DIR` renders them again once it is fixed.",
            err=True,
        )
        return
    shown = [path for path in paths if path.suffix != ".svg"]  # the Markdown report's charts go without saying
    click.echo("reports: " + ", ".join(str(path) for path in shown))


@contextlib.contextmanager
def _signals(*, keep_ignored: bool) -> Iterator[Callable[[], None]]:
    """Until the run takes SIGINT and SIGTERM over (it restores whatever it started),
    SIGTERM stops the command as Ctrl-C does; once the run is judged (``judged()``), both
    are ignored, so that its exit code is the journal's: until the process exits when
    ``keep_ignored`` (the command's last run), else until the block ends."""
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
        if not (done and keep_ignored):
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
@click.option(
    "--force",
    is_flag=True,
    help="Also break the lease (the run's, or with --all whoever holds it) before it lapses: for a run that died. "
    "A live run whose lease is broken stops, restores its faults and ends aborted.",
)
@click.pass_obj
def reset(
    options: Options,
    *,
    run_id: str | None,
    everything: bool,
    scenario: Path | None,
    toxiproxy: str | None,
    providers_admin: str | None,
    force: bool,
) -> int:
    """Clear what a run left behind in an environment: its provider behaviours, its
    toxics, the proxies it disabled, and with --force its lease. Scoped to one run
    (--run), or --all. CHAOS_ADMIN_TOKEN, if set, is sent to the providers' admin API."""
    import asyncio
    import os

    from chaos.providers.admin_models import admin_token
    from chaos.run.reset import reset_environment, urls_from

    if (run_id is None) == (not everything):
        raise click.UsageError("give --run RUN_ID or --all")
    admin_url, toxiproxy_url = urls_from(scenario, toxiproxy=toxiproxy, providers_admin=providers_admin)
    options.configure_logging()
    report = asyncio.run(
        reset_environment(admin_url, toxiproxy_url, run_id=run_id, force=force, admin_token=admin_token(os.environ))
    )
    for line in report:
        click.echo(line)
    return int(ExitCode.PASS)


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path, exists=True), required=False)
@click.option("--rebuild", is_flag=True, help="Judge the raw records again, even if the journal is complete.")
@click.option(
    "--format",
    "formats",
    default="html,md,junit",
    show_default=True,
    metavar="FORMATS",
    help="The report files to write, comma-separated: html (report.html), md (report.md and charts/), "
    "junit (junit.xml).",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the report files go (default: the run directory; with --compare, the current directory).",
)
@click.option(
    "--compare",
    nargs=2,
    type=click.Path(path_type=Path, exists=True),
    metavar="RUN_A RUN_B",
    help="Compare two runs (directories or journal files): comparison.html and comparison.md.",
)
def report(
    run_dir: Path | None, rebuild: bool, formats: str, out: Path | None, compare: tuple[Path, Path] | None
) -> int:
    """Show the verdict of the run in RUN_DIR and write its reports, rendered from its
    journal: report.html, report.md and junit.xml. The journal is rebuilt from the raw
    records if the run was killed before it could finish it, if journal.json was lost
    (from the scenario.yaml and run.json the run kept beside it), or with --rebuild.
    RUN_DIR may also be a journal file, rendered as it is.

    With --compare RUN_A RUN_B: run B against run A (the same scenario at two versions of
    the target, or two models), per SLO and segment, with deltas and a regression flag;
    exit 1 if B regressed, else 0.

    Exit codes as chaos run's; 2 when there is nothing to judge, or the file is not a
    journal (or one of another schema version)."""
    from chaos.report.console import console
    from chaos.report.console_run import render_run
    from chaos.report.files import load_journal, parse_formats, write_reports
    from chaos.run.rebuild import journal_to_show

    chosen = parse_formats(formats)
    if compare is not None:
        if run_dir is not None or rebuild:
            raise click.UsageError("--compare takes its two runs alone: no RUN_DIR, no --rebuild")
        return _compare(*compare, chosen, out or Path("."))
    if run_dir is None:
        raise click.UsageError("give RUN_DIR, or --compare RUN_A RUN_B")
    if run_dir.is_dir():
        journal, note = journal_to_show(run_dir, rebuild=rebuild)
    elif rebuild:
        raise click.UsageError("--rebuild needs the run directory, not its journal file")
    else:
        journal, note = load_journal(run_dir), None
    if note:
        click.echo(note, err=True)
    render_run(journal, console(), str(run_dir))
    _written(lambda: write_reports(journal, out or (run_dir if run_dir.is_dir() else run_dir.parent), chosen))
    return journal.exit_code if journal.exit_code is not None else int(ExitCode.INVALID)


def _compare(run_a: Path, run_b: Path, formats: tuple[Format, ...], out: Path) -> int:
    from chaos.report.compare import regressions, slo_comparison
    from chaos.report.console import console, render_table
    from chaos.report.files import load_journal, write_comparison

    a, b = load_journal(run_a), load_journal(run_b)
    shown = console()
    render_table(slo_comparison(a, b), shown)
    worse = regressions(a, b)
    for line in worse:
        shown.print(f"[bold red]regression:[/bold red] {line}")
    shown.print(
        f"B ({b.run_id}) against A ({a.run_id}): " + (f"{len(worse)} regression(s)" if worse else "no regression")
    )
    _written(lambda: write_comparison(a, b, out, formats))
    return int(ExitCode.FAIL) if worse else int(ExitCode.PASS)


COMMANDS = (run, suite, reset, report)
