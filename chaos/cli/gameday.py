"""``chaos gameday plan|run|mark|report|schema``: game days, with people in the loop."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from chaos.cli.main import Options
from chaos.cli.scenario import SET_HELP, scale_option
from chaos.cli.schema_output import OUTPUT_OPTION, emit_schema
from chaos.errors import ChaosError, ExitCode

if TYPE_CHECKING:
    from chaos.gameday.loading import PlanFile
    from chaos.gameday.state import GameDayDir
    from chaos.gameday.timeline import GameDayRecord

GAMEDAYS_DIR_OPTION = click.option(
    "--gamedays-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("runs/gamedays"),
    show_default=True,
    help="Where game-day directories are created and looked for.",
)
EXIT_HELP = (
    "Exit codes: 0 every run passed and every deadline was met, 1 a run failed or a checkpoint was late or "
    "missed, 2 invalid plan or environment, 3 interrupted or a run aborted, 4 a run inconclusive."
)


@click.group()
def gameday() -> None:
    """Game days: scripted exercises with people in the loop (plans in gameday/*.yaml)."""


@gameday.command()
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP + " Applies to every run.")
@scale_option
def plan(plan_file: Path, overrides: tuple[str, ...], scale: float) -> int:
    """Validate PLAN_FILE and print its timeline: which faults run when, and what is
    expected of whom by when (times from the game day's start, with nobody late)."""
    from rich.table import Table

    from chaos.gameday.loading import load_plan
    from chaos.gameday.timetable import timetable
    from chaos.report.console import console

    loaded = load_plan(plan_file, overrides, scale)
    table = Table(title=f"{loaded.plan.title} ({loaded.plan.name})")
    for column in ("at", "who", "what", "due by"):
        table.add_column(column)
    for row in timetable(loaded):
        at = _clock(row.at) if row.at is not None else "when it happens"
        table.add_row(at, row.who, row.what, _clock(row.due) if row.due is not None else "")
    console().print(table)
    return int(ExitCode.PASS)


@gameday.command()
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--auto", is_flag=True, help="Acknowledge every checkpoint once its anchor happened (rehearsals, CI).")
@click.option("--attach", is_flag=True, help="Follow the game day another console is running, until it ends.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP + " Applies to every run.")
@scale_option
@GAMEDAYS_DIR_OPTION
@click.pass_obj
def run(
    options: Options,
    /,
    plan_file: Path,
    *,
    auto: bool,
    attach: bool,
    overrides: tuple[str, ...],
    scale: float,
    gamedays_dir: Path,
) -> int:
    """Run the game-day plan PLAN_FILE: its briefs, scenario runs, checkpoints, comms
    and debrief, everything recorded in a game-day directory (state.jsonl, runs/, the
    timeline, postmortem.md, action-items.json).

    If this plan's game day is going on in another console, this one is refused (or,
    with --attach, follows it); if its console died, this one resumes it: the dead run's
    faults are cleared, its journal rebuilt, and the plan goes on from where it stopped.
    From any other terminal, `chaos gameday mark ...` records what people notice and do.
    """
    from chaos.gameday.loading import load_plan
    from chaos.gameday.state import GameDayBusy, find_unfinished

    loaded = load_plan(plan_file, overrides, scale)
    unfinished = find_unfinished(gamedays_dir, loaded.plan.name)
    going = next((day for day in unfinished if day.holder() is not None), None)
    if going is not None:
        if attach:
            return _follow(going)
        raise GameDayBusy(going)
    if attach:
        raise ChaosError(f"no game day of {loaded.plan.name} is going on under {gamedays_dir}")
    if unfinished:
        day = unfinished[0]
        start = day.read_start()
        click.echo(f"resuming game day {start.gameday} ({day.path}) with its own options", err=True)
        loaded = load_plan(Path(start.plan_path), start.overrides, start.scale)
        return _play(options, loaded, day, auto=start.auto, resume=True)
    return _play(options, loaded, _new_day(loaded, gamedays_dir, auto), auto=auto, resume=False)


def _new_day(loaded: PlanFile, gamedays_dir: Path, auto: bool) -> GameDayDir:
    from chaos.gameday.state import GameDayDir, GameDayStart
    from chaos.run.lifecycle import new_run_id

    gameday_id = new_run_id()
    day = GameDayDir((gamedays_dir / f"{loaded.plan.name}-{gameday_id}").resolve())
    day.path.mkdir(parents=True)
    day.plan_copy.write_text(loaded.text, encoding="utf-8")
    start = GameDayStart(
        gameday=gameday_id,
        plan_name=loaded.plan.name,
        plan_path=str(loaded.path.resolve()),
        overrides=list(loaded.overrides),
        scale=loaded.scale,
        auto=auto,
        started_at=time.time(),
    )
    day.start.write_text(start.model_dump_json(indent=2), encoding="utf-8")
    return day


def _play(options: Options, loaded: PlanFile, day: GameDayDir, *, auto: bool, resume: bool) -> int:
    import asyncio

    from chaos import logs
    from chaos.gameday.outputs import write_outputs
    from chaos.gameday.people import AtConsole, Auto, Responder
    from chaos.gameday.runner import GameDay, LogSink
    from chaos.report.console import console

    out = console()
    with day.held(), day.log.open("a", encoding="utf-8") as log_file:
        sink = LogSink(log_file)
        logs.configure(json_lines=True, level=options.log_level, stream=sink)  # type: ignore[arg-type]
        out.print(f"game day {day.read_start().gameday}: {loaded.plan.title} -> {day.path}")
        responder: Responder = Auto() if auto else AtConsole(out)
        game = GameDay(loaded, day, responder=responder, console=out, sink=sink)
        status = asyncio.run(game.run(resume=resume))
        record, found = write_outputs(day, loaded.plan)
    for deadline in record.deadlines:
        out.print(f"checkpoint {deadline.checkpoint.id}: {deadline.status}")
    for run_outcome in record.runs:
        out.print(f"run {run_outcome.name}: {run_outcome.verdict} {run_outcome.reason}")
    out.print(f"game day {status}: {len(found.actions)} action items; postmortem draft: {day.postmortem}")
    return _exit_code(status, record)


def _exit_code(status: str, record: GameDayRecord) -> int:
    if status != "finished":
        return int(ExitCode.ABORTED)
    order = [ExitCode.ABORTED, ExitCode.INVALID, ExitCode.FAIL, ExitCode.INCONCLUSIVE, ExitCode.PASS]
    codes = {run.journal.exit_code if run.journal and run.journal.exit_code is not None else 2 for run in record.runs}
    worst = next((code for code in order if int(code) in codes), ExitCode.PASS)
    if worst is ExitCode.PASS and any(d.status in ("late", "missed") for d in record.deadlines):
        worst = ExitCode.FAIL
    return int(worst)


def _follow(day: GameDayDir) -> int:
    """Print the game day's state as it grows, until it ends or its console goes."""
    from chaos.gameday.state import Ended

    click.echo(f"following {day.path} (run by pid {day.holder()})")
    shown = 0
    while True:
        events = day.events()
        for event in events[shown:]:
            click.echo(event.model_dump_json())
        shown = len(events)
        if any(isinstance(e, Ended) for e in events) or day.holder() is None:
            return int(ExitCode.PASS)
        time.sleep(0.5)


@gameday.command()
@click.argument("kind", type=click.Choice(["detected", "mitigated", "resolved", "severity", "note"]))
@click.argument("text", nargs=-1)
@click.option("--by", required=True, help="Who noticed or did it.")
@click.option("--gameday", "gameday_dir", type=click.Path(path_type=Path, file_okay=False), help="The game day.")
@GAMEDAYS_DIR_OPTION
def mark(kind: str, text: tuple[str, ...], by: str, gameday_dir: Path | None, gamedays_dir: Path) -> int:
    """Record what people noticed or did, from any terminal, during a game day:
    `detected`, `mitigated`, `resolved`, `severity SEV-2` or `note TEXT`.

    This is how a responder's time to detect is measured, beside the synthetic alerts.
    Without --gameday, the one game day going on under --gamedays-dir."""
    from chaos.gameday.state import GameDayDir, MarkKind, find_unfinished, record_mark

    if gameday_dir is not None:
        day = GameDayDir(gameday_dir.resolve())
        if not day.start.is_file():
            raise ChaosError(f"{gameday_dir} is not a game-day directory (no {day.start.name})")
    else:
        unfinished = find_unfinished(gamedays_dir)
        if len(unfinished) != 1:
            found = ", ".join(str(d.path) for d in unfinished) or "none"
            raise ChaosError(
                f"{len(unfinished)} game days going on under {gamedays_dir} ({found})",
                hint="name one with --gameday DIR",
            )
        day = unfinished[0]
    words = list(text)
    severity = None
    if kind == "severity":
        severity = words.pop(0) if words else None
        allowed = _severities(day)
        if severity is None or (allowed and severity not in allowed):
            raise click.UsageError(f"severity takes a level: one of {', '.join(allowed) or 'SEV-1, SEV-2, SEV-3'}")
    recorded = record_mark(day, MarkKind(kind), by, " ".join(words), severity)
    click.echo(f"marked {recorded.kind.value}{' ' + severity if severity else ''} by {by} in {day.path}")
    return int(ExitCode.PASS)


def _severities(day: GameDayDir) -> list[str]:
    """The levels the game day's plan defines, read from its copy (already validated)."""
    from chaos.scenario.yamlsource import parse_yaml

    data, _ = parse_yaml(day.plan_copy.read_text(encoding="utf-8"))
    severities = data.get("severities") if isinstance(data, dict) else None
    return sorted(severities) if isinstance(severities, dict) else []


@gameday.command()
@click.argument("gameday_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
def report(gameday_dir: Path) -> int:
    """Write the timeline, the postmortem draft and the action items of the game day in
    GAMEDAY_DIR again, from its state and its runs' journals."""
    from chaos.gameday.loading import load_plan
    from chaos.gameday.outputs import write_outputs
    from chaos.gameday.state import GameDayDir

    day = GameDayDir(gameday_dir.resolve())
    start = day.read_start()
    _, found = write_outputs(day, load_plan(Path(start.plan_path), start.overrides, start.scale).plan)
    click.echo(f"{day.postmortem} ({len(found.actions)} action items)")
    return int(ExitCode.PASS)


@gameday.command()
@OUTPUT_OPTION
def schema(output: Path | None) -> int:
    """Print the JSON Schema of game-day plans (gameday.schema.json)."""
    from chaos.gameday.schema import plan_schema

    return emit_schema(plan_schema(), output)


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"+{whole // 60:d}:{whole % 60:02d}"


COMMANDS = (gameday,)
