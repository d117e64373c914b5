"""The drill's fast view of a journal reads what the journal's own models read."""

from __future__ import annotations

from pathlib import Path

from chaos.drill.view import read_view
from chaos.journal import read_journal
from tests.drill.journals import journal, write_run


def test_the_view_and_the_journal_model_agree_on_every_field_the_view_has(tmp_path: Path) -> None:
    budgets = {"availability": (0.99, 9, 4)}
    made = journal("r1", "outage", 1.79e9, detect=3.5, recover="never", failed=4, fault_cost=2.5, budgets=budgets)
    write_run(tmp_path, made)
    full, view = read_journal(tmp_path), read_view(tmp_path / "journal.json")
    assert (view.run_id, view.scenario_name, view.status, view.started_at, view.scale, view.verdict) == (
        full.run_id,
        full.scenario_name,
        full.status.value,
        full.started_at,
        full.scale,
        full.verdict,
    )
    assert full.evaluation is not None
    assert view.evaluation is not None
    for mine, theirs in zip(view.evaluation.segments, full.evaluation.segments, strict=True):
        assert (mine.name, mine.faults, mine.requests, mine.failed, mine.availability, mine.cost_usd) == (
            theirs.name,
            theirs.faults,
            theirs.requests,
            theirs.failed,
            theirs.availability,
            theirs.cost_usd,
        )
    for got, want in zip(view.evaluation.responses, full.evaluation.responses, strict=True):
        assert (got.fault, got.detect, got.mitigate, got.recover) == (
            want.fault,
            want.detect,
            want.mitigate,
            want.recover,
        )
    assert view.evaluation.verdict.verdict == full.evaluation.verdict.verdict.value
    assert (
        [(b.slo, b.objective, b.judged, b.bad) for b in view.evaluation.budgets]
        == [(b.slo, b.objective, b.judged, b.bad) for b in full.evaluation.budgets]
        == [("availability", 0.99, 9, 4)]
    )
