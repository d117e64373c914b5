"""``chaos drill ...``: DR drill suites, their history and the quarterly report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from chaos.cli.history_file import HISTORY_OPTION, history_path
from chaos.cli.main import Options
from chaos.cli.run import LIVE_OPTION, RUNS_DIR_OPTION
from chaos.cli.scenario import SET_HELP, overrides_from, scale_option, target_options
from chaos.cli.schema_output import OUTPUT_OPTION, emit_schema
from chaos.errors import ChaosError, ExitCode, ScenarioError


@click.group()
def drill() -> None:
    """DR drills: run a suite of scenarios against targets, keep their history, and
    render the quarterly report."""


@drill.command("run")
@click.argument("suite", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP + " Applies to every scenario.")
@click.option(
    "--only", "names", multiple=True, metavar="NAME", help="Run only this scenario of the suite (repeatable)."
)
@scale_option
@target_options
@RUNS_DIR_OPTION
@HISTORY_OPTION
@LIVE_OPTION
@click.pass_obj
def run_command(
    options: Options,
    /,
    suite: Path,
    *,
    overrides: tuple[str, ...],
    names: tuple[str, ...],
    scale: float,
    runs_dir: Path,
    history: Path | None,
    live: bool | None,
    **target: Any,
) -> int:
    """Run every scenario of SUITE (or those --only names), judge each against its targets beside its own SLOs,
    index the drill in the history and write its report.

    Every scenario is validated before the first one runs. The drill's directory is
    runs/drills/<suite>-<drill id>/, with one run directory per scenario. Exit 0 when
    every scenario passed its SLOs and its targets, 1 otherwise (3 if interrupted).
    """
    from chaos.cli.run import _run_one
    from chaos.drill.console import render_drill
    from chaos.drill.record import DrillStatus
    from chaos.drill.run import run_drill
    from chaos.drill.suite import load_suite, only
    from chaos.report.console import console

    applied = overrides_from(target, overrides)
    loaded = only(load_suite(suite, applied, scale), names)

    def run_one(scenario: Any, run_dir: Path, last: bool) -> Any:
        return _run_one(options, scenario, run_dir, live, last=last)

    texts = [item if isinstance(item, str) else item.text for item in applied]
    outcome = run_drill(
        loaded, runs_dir, history_path(runs_dir, history), run_one, overrides=texts, scale=scale, say=click.echo
    )
    render_drill(outcome, console())
    if outcome.record.status is DrillStatus.INTERRUPTED:
        return int(ExitCode.ABORTED)
    return int(ExitCode.PASS if outcome.passed else ExitCode.FAIL)


@drill.command()
@click.argument("suites", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@scale_option
def validate(suites: tuple[Path, ...], scale: float) -> int:
    """Check drill SUITES and every scenario they name; print every problem, located.

    Exit 0 when every suite is valid, 2 otherwise."""
    from chaos.drill.suite import load_suite

    valid = True
    for path in suites:
        try:
            loaded = load_suite(path, (), scale)
        except ScenarioError as exc:
            click.echo(exc.message, err=True)
            valid = False
            continue
        click.echo(f"ok {path}: {loaded.suite.name} ({loaded.suite.kind.value}, {len(loaded.entries)} scenarios)")
    return int(ExitCode.PASS if valid else ExitCode.INVALID)


@drill.command()
@OUTPUT_OPTION
def schema(output: Path | None) -> int:
    """Print the JSON Schema of drill suites (gameday/drills/drill-suite.schema.json)."""
    from chaos.drill.suite import suite_schema

    return emit_schema(suite_schema(), output)


@drill.command()
@RUNS_DIR_OPTION
@HISTORY_OPTION
def reindex(runs_dir: Path, history: Path | None) -> int:
    """Rebuild the history from the journals, drill records and action-item files under
    the runs directory alone (a killed drill's interrupted run is rebuilt first)."""
    from chaos.drill.reindex import reindex as rebuild

    if not runs_dir.is_dir():
        raise ChaosError(f"no runs directory {runs_dir}", hint="give --runs-dir DIR")
    done = rebuild(runs_dir, history_path(runs_dir, history))
    for path in done.rebuilt:
        click.echo(f"rebuilt the journal of {path} (its drill was killed)")
    for line in done.skipped:
        click.echo(f"skipped {line}", err=True)
    click.echo(f"indexed {done.runs} runs and {done.drills} drills into {history_path(runs_dir, history)}")
    return int(ExitCode.PASS)


@drill.command()
@click.option("--quarter", metavar="YYYYQN", help="The quarter, e.g. 2026Q4 (default: the current one, UTC).")
@RUNS_DIR_OPTION
@HISTORY_OPTION
@click.option(
    "--suites",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("gameday/drills"),
    show_default=True,
    help="The suites whose scenarios are due (each *.yaml in it).",
)
@click.option(
    "-o", "--out", type=click.Path(path_type=Path, file_okay=False), help="Default: RUNS_DIR/reports/QUARTER."
)
def report(quarter: str | None, runs_dir: Path, history: Path | None, suites: Path, out: Path | None) -> int:
    """Render the quarterly DR report (report.html, report.md): each scenario's results
    and their spread, trends against the four quarters before with regressions in words,
    scenarios due but not run, and open and closed action items (drills' and game days')."""
    import time

    from chaos.drill.report_files import write_quarter_report
    from chaos.history.quarters import parse_quarter, quarter_of

    if quarter is None:
        quarter = quarter_of(time.time())
    try:
        parse_quarter(quarter)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--quarter") from None
    if not suites.is_dir():
        raise ChaosError(f"no suites directory {suites}", hint="give --suites DIR (the repository's gameday/drills)")
    path = history_path(runs_dir, history)
    if not path.exists():
        raise ChaosError(f"no history at {path}", hint="run a drill, or chaos drill reindex --runs-dir DIR")
    target = out if out is not None else runs_dir / "reports" / quarter
    files = write_quarter_report(path, quarter, sorted(suites.glob("*.yaml")), target, runs_dir=runs_dir)
    for file in files:
        click.echo(f"wrote {file}")
    return int(ExitCode.PASS)


@drill.group()
def action() -> None:
    """Action items from drills and game days."""


@action.command()
@click.argument("action_id", metavar="ID")
@click.option("--note", required=True, help="How it was fixed, or why it is closed: shown in the quarterly report.")
@RUNS_DIR_OPTION
@HISTORY_OPTION
def close(action_id: str, note: str, runs_dir: Path, history: Path | None) -> int:
    """Close the action item ID (AI-...). The closure is kept in RUNS_DIR/action-closures.jsonl
    (which a reindex reads back) and in the history."""
    import time

    from chaos.history.closures import append_closure
    from chaos.history.store import Closure, History, HistoryError

    if not note.strip():
        raise click.BadParameter("say why it is closed", param_hint="--note")
    path = history_path(runs_dir, history)
    if not path.exists():
        raise ChaosError(f"no history at {path}", hint="run a drill, or chaos drill reindex --runs-dir DIR")
    closure = Closure(action_id, note.strip(), time.time())
    with History.open(path) as store:
        if not store.has_action(action_id):
            raise HistoryError(f"no action item {action_id} in {path}", hint="chaos drill report lists them")
        append_closure(runs_dir, closure)
        store.close_action(closure)
    click.echo(f"closed {action_id}: {closure.note}")
    return int(ExitCode.PASS)


COMMANDS = (drill,)
