"""The error budget in the reports and on the console: each SLO's budget spent per
segment, and when each rule of the budget policy would have fired, as the journal says.

The run: the primary down from 40 s to 60 s, every fifth request failing then (two a
second, each 0.8 s long); availability's objective 95%. Judged: 300 in the baseline, 200
in the outage (40 bad), 300 in the recovery: a budget of 40 bad requests, all spent in
the outage. The rule "rollback at 100% over 10 s" fires at 43 s, when the window [33, 43)
holds 100 requests and the first five failures (ended 40.8-42.8 s); at its peak (the
window inside the outage) 20 of 100 were bad: 400%.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from chaos.journal import FreezeOverride, Journal
from chaos.report.console_run import render_run
from chaos.report.files import write_reports
from chaos.rundir import RunDir
from tests.report.journals import _outage_run, journal_of
from tests.report.test_markdown import markdown_tables

RULES = [
    {"slo": "availability", "window": "10s", "burns": "100%", "then": "rollback"},
    {"slo": "availability", "window": "10s", "burns": "100%", "then": "page", "min_requests": 101},
]


def journal() -> Journal:
    return journal_of(_outage_run(failed_every=5), budget=RULES)


def test_the_report_shows_the_budget_spent_per_segment_and_when_the_policy_would_have_fired(tmp_path: Path) -> None:
    write_reports(journal(), tmp_path)
    tables = markdown_tables(RunDir(tmp_path).report_md.read_text(encoding="utf-8"))
    availability = [row for row in tables["Error budget spent, by segment"] if row[0] == "availability"]
    assert availability == [
        ["availability", "95.00%", "baseline", "300", "0", "0.0%"],
        ["availability", "95.00%", "outage", "200", "40", "100.0%"],
        ["availability", "95.00%", "recovery", "300", "0", "0.0%"],
        ["availability", "95.00%", "whole run", "800", "40", "100.0%"],
    ]
    header, *policy = tables["Budget policy: would it have fired?"]
    assert header == ["rule", "then", "would have fired", "spent then", "peak"]
    assert [row[1:] for row in policy] == [
        ["rollback", "at t+43.0s (in outage)", "100.0%", "400.0%"],
        ["page", "never decided: the window never held 101 requests", "-", "-"],
    ]
    assert "rollback at 100% of availability over 10s" in policy[0][0]


def test_the_console_shows_the_budget_and_the_policy() -> None:
    out = Console(record=True, width=300)
    render_run(journal(), out, "runs/r")
    text = out.export_text()
    assert "Error budget spent (share of the run's budget)" in text
    assert (
        "budget policy: rollback at 100% of availability over 10s: would have fired at t+43.0s (in outage), "
        "100.0% of the window's budget spent" in text
    )
    assert "budget policy: page at 100% of availability over 10s: never decided: the window never held 101" in text


def test_an_overridden_freeze_is_in_the_report_and_on_the_console(tmp_path: Path) -> None:
    made = journal()
    made.freeze_override = FreezeOverride(
        reason="hotfix [INC-7]", exhausted=["availability has spent 120.0% of its error budget over the last 7d (...)"]
    )
    shown = (
        '"hotfix [INC-7]" (the history said: availability has spent 120.0% of its error budget over the last 7d (...))'
    )
    write_reports(made, tmp_path)
    assert f"budget freeze overridden: `{shown}`" in RunDir(tmp_path).report_md.read_text(encoding="utf-8")
    out = Console(record=True, width=300)
    render_run(made, out, "runs/r")
    assert f"budget freeze overridden: {shown}" in out.export_text()
