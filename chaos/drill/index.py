"""Rows for the history, from the files alone: a run's journal, a drill's record.

The same functions serve a drill as it ends and ``chaos drill reindex``, so the history
a drill writes and the one rebuilt from its files are the same rows.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import msgspec

from chaos.drill.figures import figures_of
from chaos.drill.judge import Judgement, judge
from chaos.drill.record import DrillRecord, DrillStatus, is_held
from chaos.drill.suite import Suite
from chaos.drill.view import JournalView, read_view
from chaos.history.store import BudgetRow, DrillIndex, DrillRow, ResultRow, RunRow
from chaos.rundir import RunDir
from chaos.scenario.loading import validate_model
from chaos.scenario.yamlsource import parse_mapping


def run_row(journal: JournalView, run_dir: Path) -> RunRow:
    figures = figures_of(journal)
    return RunRow(
        run_id=journal.run_id,
        scenario=journal.scenario_name,
        path=str(run_dir),
        started_at=journal.started_at,
        status=journal.status,
        verdict=journal.verdict,
        scale=journal.scale,
        detect=figures.detect,
        mitigate=figures.mitigate,
        recover=figures.recover,
        failed=figures.failed,
        availability=figures.availability,
        extra_cost=figures.extra_cost,
        budgets=tuple(
            BudgetRow(slo=b.slo, objective=b.objective, judged=b.judged, bad=b.bad)
            for b in (journal.evaluation.budgets if journal.evaluation is not None else [])
        ),
    )


def read_journal_view(run_dir: Path) -> JournalView | None:
    """The run's journal, or None when it has none a reader can decode (killed before t = 0, lost)."""
    try:
        return read_view(RunDir(run_dir).journal)
    except (OSError, msgspec.DecodeError):
        return None


@dataclass(frozen=True)
class JudgedEntry:
    entry: str
    run_dir: Path | None
    journal: JournalView | None
    judgement: Judgement


def judged_entries(
    directory: Path, record: DrillRecord, journals: Mapping[Path, JournalView] | None = None
) -> list[JudgedEntry]:
    """Each entry of the suite judged against its targets, from its run's journal (read
    from ``journals`` when given: the journals a reindex has read already)."""
    suite = suite_of(record.suite_text, record.suite_path)
    judged = []
    for entry_run in record.entries:
        entry = suite.scenarios[entry_run.index]
        run_dir = directory / entry_run.run_dir if entry_run.run_dir else None
        if run_dir is None:
            journal = None
        elif journals is not None:
            journal = journals.get(run_dir)
        else:
            journal = read_journal_view(run_dir)
        judged.append(JudgedEntry(entry_run.entry, run_dir, journal, judge(entry.targets, journal)))
    return judged


@functools.lru_cache(maxsize=64)
def suite_of(text: str, path: str) -> Suite:
    """The suite as a drill ran it, validated again from the text its record kept (a
    quarter's drills mostly ran the same few suites: each text is parsed once)."""
    data, source_map = parse_mapping(text, path, "a drill suite", "", "")
    return validate_model(Suite, data, source_map, path)


def drill_status(directory: Path, record: DrillRecord) -> DrillStatus:
    if record.status is DrillStatus.RUNNING and not is_held(directory):
        return DrillStatus.KILLED
    return record.status


def drill_index(directory: Path, record: DrillRecord, judged: list[JudgedEntry]) -> DrillIndex:
    runs = tuple(run_row(item.journal, item.run_dir) for item in judged if item.journal and item.run_dir)
    results = tuple(
        ResultRow(
            drill_id=record.drill_id,
            position=position,
            entry=item.entry,
            run_id=item.journal.run_id if item.journal else None,
            verdict=item.judgement.verdict,
            passed=item.judgement.passed,
            checks=json.dumps(
                [[c.target, c.measure, c.limit, c.measured, c.met] for c in item.judgement.checks],
                allow_nan=True,
            ),
        )
        for position, item in enumerate(judged)
    )
    drill = DrillRow(
        drill_id=record.drill_id,
        suite=record.suite_name,
        kind=record.kind,
        owner=record.owner,
        path=str(directory),
        started_at=record.started_at,
        status=drill_status(directory, record).value,
    )
    return DrillIndex(drill=drill, runs=runs, results=results, actions=())
