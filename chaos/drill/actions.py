"""What a drill found to fix, as action items (``chaos.actions``, shared with game days),
and every exercise's items as rows of the history.

A drill raises one item per failure of each run: an SLO that failed in a segment, an
expectation that failed, and a drill target missed (a ``response`` failure whose
subject is the target, e.g. ``time to recover over target``). The scope is the
scenario's name, so the same failure found by a game day or a later drill is the same
item. Items are written to the drill's ``action-items.json``; the history indexes every
such file under the runs directory, drills' and game days' alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from chaos.actions import (
    ACTION_ITEMS_FILE,
    ActionItem,
    ActionItems,
    Failure,
    FailureKind,
    read_action_items,
    write_action_items,
)
from chaos.drill.index import JudgedEntry
from chaos.drill.record import DrillRecord
from chaos.history.store import ActionRow


def drill_items(directory: Path, record: DrillRecord, judged: list[JudgedEntry]) -> list[ActionItem]:
    source = f"drill {record.suite_name} {record.drill_id} ({directory})"
    items = []
    for item in judged:
        journal = item.journal
        scenario = journal.scenario_name if journal is not None else item.entry
        if journal is not None and journal.evaluation is not None:
            for slo in journal.evaluation.slos:
                if slo.verdict == "fail":
                    failure = Failure.slo(scenario, slo.slo, slo.segment)
                    title = f"{scenario}: {slo.slo} failed in {slo.segment}"
                    items.append(ActionItem.of(failure, title, source))
            for expectation in journal.evaluation.expectations:
                if expectation.verdict == "fail":
                    failure = Failure.expectation(scenario, expectation.expectation)
                    title = f"{scenario}: expectation {expectation.expectation} failed"
                    items.append(ActionItem.of(failure, title, source, expectation.reason))
        for check in item.judgement.missed():
            failure = Failure(kind=FailureKind.RESPONSE, scope=scenario, subject=f"{check.words} over target")
            items.append(ActionItem.of(failure, f"{scenario}: {check.sentence()}", source))
    return items


def write_items(directory: Path, record: DrillRecord, judged: list[JudgedEntry]) -> list[ActionRow]:
    """The drill's ``action-items.json``, and its rows as the history gets them (read back
    from the file, as a reindex reads them)."""
    items = drill_items(directory, record, judged)
    write_action_items(directory, f"drill {record.suite_name} {record.drill_id}", items)
    written = read_action_items(directory)
    return action_rows(written) if written is not None else []


def action_rows(items: ActionItems) -> list[ActionRow]:
    return [
        ActionRow(item.id, item.title, item.source, item.detail, item.owner, items.written_at) for item in items.items
    ]


def exercise_items(runs_dir: Path) -> Iterator[tuple[Path, ActionItems | None]]:
    """Each ``action-items.json`` under ``runs_dir`` (drills' and game days'), None when unreadable."""
    for path in sorted(runs_dir.rglob(ACTION_ITEMS_FILE)):
        try:
            yield path, read_action_items(path.parent)
        except (OSError, ValueError, ValidationError):
            yield path, None
