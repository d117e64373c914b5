"""A run's verdict on the console: what it did not judge, and why."""

from __future__ import annotations

from rich.console import Console

from chaos.journal import Journal, RunStatus
from chaos.report.console_run import render_run
from chaos.slo.evaluate import evaluate
from tests.slo.slo_runs import T0, restored_one_by_one_on_an_abort, scenario


def test_a_fault_segment_too_short_to_judge_is_named_with_its_times() -> None:
    """The real aborted run: ``a`` and ``b`` injected together at 12 s, restored one by one
    on the abort, ``b`` at 17.381 s and ``a`` at 17.385 s. The 4 ms of ``a`` alone are not
    judged (shorter than min_segment); the table has no column for them, so the counts
    say which span it was, not only that some spans were left out."""
    sc = scenario()
    run = restored_one_by_one_on_an_abort()
    run.stop(17.4)
    journal = Journal(
        status=RunStatus.FINISHED,
        run_id="r",
        scenario_name=sc.name,
        scenario_path="s.yaml",
        scenario_text="",
        environment="local",
        started_at=T0,
        versions={},
        evaluation=evaluate(sc, run.data(sc)),
    )
    out = Console(record=True, width=400)
    render_run(journal, out, "runs/r")
    text = out.export_text()
    assert "any segment shorter than the scenario's min_segment are not judged" in text
    assert "too short to judge (min_segment): a 17.381-17.385s (0.004s)" in text
