"""A drill: each entry of a suite run through the run machinery, judged, indexed, reported.

The drill does not run scenarios itself: ``run_one`` (``chaos drill run`` gives it
``chaos run``'s own) runs one to its journal in a run directory the drill names first,
so that a drill killed mid-scenario leaves a record pointing at that run's raw files.
The history gets the whole drill in one transaction once it ends: a killed drill adds
nothing to it until ``chaos drill reindex`` finds its files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from chaos.drill.actions import write_items
from chaos.drill.index import JudgedEntry, drill_index, judged_entries
from chaos.drill.record import DRILLS_DIR, DrillRecord, DrillStatus, EntryRun, holding, write_record
from chaos.drill.report_files import write_drill_report
from chaos.drill.suite import SuiteFile
from chaos.errors import ChaosError
from chaos.history.store import History
from chaos.journal import Journal, RunStatus
from chaos.run.lifecycle import new_run_id
from chaos.scenario.loading import ScenarioFile

# (scenario, run directory to create, whether it is the drill's last run) -> its journal
RunOne = Callable[[ScenarioFile, Path, bool], Journal]
Say = Callable[[str], None]


@dataclass(frozen=True)
class DrillOutcome:
    directory: Path
    record: DrillRecord
    judged: list[JudgedEntry]

    @property
    def passed(self) -> bool:
        return all(item.judgement.passed for item in self.judged)


def drill_directory(runs_dir: Path, suite: SuiteFile) -> tuple[Path, str]:
    drill_id = new_run_id()
    directory = runs_dir.resolve() / DRILLS_DIR / f"{suite.suite.name}-{drill_id}"
    directory.mkdir(parents=True, exist_ok=False)
    return directory, drill_id


def run_drill(
    suite: SuiteFile,
    runs_dir: Path,
    history: Path,
    run_one: RunOne,
    *,
    overrides: Sequence[str] = (),
    scale: float = 1.0,
    say: Say = print,
) -> DrillOutcome:
    directory, drill_id = drill_directory(runs_dir, suite)
    record = DrillRecord(
        drill_id=drill_id,
        suite_name=suite.suite.name,
        kind=suite.suite.kind.value,
        owner=suite.suite.owner,
        suite_path=str(suite.path),
        suite_text=suite.text,
        overrides=list(overrides),
        scale=scale,
        started_at=time.time(),
        entries=[EntryRun(entry=entry.name, index=entry.index) for entry in suite.entries],
    )
    with holding(directory):
        write_record(directory, record)
        say(f"drill {drill_id}: {suite.suite.name} ({suite.suite.kind.value}) -> {directory}")
        record.status = _run_entries(suite, directory, record, run_one, say)
        record.ended_at = time.time()
        write_record(directory, record)
        judged = judged_entries(directory, record)
        rows = write_items(directory, record, judged)
        with History.open(history) as store:
            store.index_drill(replace(drill_index(directory, record, judged), actions=tuple(rows)))
        write_drill_report(directory, record, judged, [f"{row.id}: {row.title}" for row in rows])
    return DrillOutcome(directory, record, judged)


def _run_entries(suite: SuiteFile, directory: Path, record: DrillRecord, run_one: RunOne, say: Say) -> DrillStatus:
    for index, entry in enumerate(suite.entries):
        run_dir = directory / f"{entry.scenario.scenario.name}-{new_run_id()}"
        record.entries[index].run_dir = run_dir.name
        write_record(directory, record)
        say(f"drill: {index + 1}/{len(suite.entries)} {entry.name}")
        try:
            journal = run_one(entry.scenario, run_dir, index == len(suite.entries) - 1)
        except ChaosError as exc:  # this one could not run (its target did not start, ...): the next may
            say(f"error: {entry.name}: {exc.message}")
            continue
        except KeyboardInterrupt:
            return DrillStatus.INTERRUPTED
        if journal.status is RunStatus.INTERRUPTED:
            return DrillStatus.INTERRUPTED
    return DrillStatus.FINISHED
