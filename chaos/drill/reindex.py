"""``chaos drill reindex``: the history rebuilt from the files under a runs directory alone.

Every ``journal.json`` is a run; every ``drills/*/drill.json`` a drill, judged again
from the suite text it kept and its runs' journals. A drill killed mid-scenario (its
record says ``running`` and nobody holds its lock) has the journal of the run it was in
rebuilt from that run's raw files (as ``chaos report`` does), and is indexed as killed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from chaos.actions import ACTION_ITEMS_FILE
from chaos.drill.actions import action_rows, exercise_items, write_items
from chaos.drill.index import drill_index, drill_status, judged_entries, read_journal_view, run_row
from chaos.drill.record import DRILL_RECORD, DRILLS_DIR, DrillStatus, read_record
from chaos.drill.view import JournalView
from chaos.errors import ChaosError
from chaos.history.closures import read_closures
from chaos.history.store import DrillIndex, History
from chaos.journal import RunStatus
from chaos.run.rebuild import journal_to_show
from chaos.rundir import RunDir


@dataclass(frozen=True)
class Reindexed:
    runs: int
    drills: int
    rebuilt: list[Path]
    skipped: list[str]


def reindex(runs_dir: Path, history: Path) -> Reindexed:
    runs_dir = runs_dir.resolve()  # the paths a drill indexes as it ends are absolute
    rebuilt: list[Path] = []
    skipped: list[str] = []
    drills: list[DrillIndex] = []
    records = []
    for record_path in sorted((runs_dir / DRILLS_DIR).glob(f"*/{DRILL_RECORD}")):
        directory = record_path.parent
        try:
            record = read_record(directory)
        except (OSError, ValueError, ValidationError) as exc:
            skipped.append(f"{record_path}: not a drill record ({type(exc).__name__})")
            continue
        status = drill_status(directory, record)
        if status is DrillStatus.RUNNING:
            skipped.append(f"{directory}: still running")
            continue
        if status is DrillStatus.KILLED:
            rebuilt += _rebuild_killed_runs(directory, [e.run_dir for e in record.entries if e.run_dir])
        records.append((directory, record, status))
    journals: dict[Path, JournalView] = {}
    for journal_path in sorted(runs_dir.rglob(RunDir(Path()).journal.name)):
        journal = read_journal_view(journal_path.parent)
        if journal is None:
            skipped.append(f"{journal_path}: not a journal")
            continue
        journals[journal_path.parent] = journal
    runs = [run_row(journal, run_dir) for run_dir, journal in journals.items()]
    for directory, record, status in records:
        judged = judged_entries(directory, record, journals)
        if status is DrillStatus.KILLED and not (directory / ACTION_ITEMS_FILE).exists():
            write_items(directory, record, judged)  # the drill died before it could
        drills.append(drill_index(directory, record, judged))
    actions = []
    for path, items in exercise_items(runs_dir):
        if items is None:
            skipped.append(f"{path}: not an action-items file")
            continue
        actions += action_rows(items)
    with History.open(history) as store:
        store.rebuild(runs, drills, actions, read_closures(runs_dir))
    return Reindexed(runs=len(runs), drills=len(drills), rebuilt=rebuilt, skipped=skipped)


def _rebuild_killed_runs(directory: Path, run_dirs: list[str]) -> list[Path]:
    rebuilt = []
    for name in run_dirs:
        run_dir = directory / name
        journal = read_journal_view(run_dir)
        if journal is not None and journal.status != RunStatus.RUNNING.value:
            continue
        try:
            journal_to_show(run_dir, rebuild=False)
        except ChaosError:  # killed before its load started: nothing to judge, the entry stays unrun
            continue
        rebuilt.append(run_dir)
    return rebuilt
