"""The budget freeze end to end, with one short real run against the demo gateway: the
history says availability's budget is spent, the run is started with
``--override-freeze``, the journal and the reports say so, the verdict shows the budget
spent per segment and when the policy would have fired, and the run, indexed in the
history once judged, keeps the next run frozen."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from chaos.history.store import BudgetRow, History, RunRow
from chaos.journal import read_journal
from chaos.rundir import RunDir

HERE = Path(__file__).parent
SCENARIO = HERE / "budget-freeze.yaml"
FAULT = "primary-503+secondary-503"


def chaos(*args: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chaos", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.e2e
def test_an_overridden_freeze_runs_is_recorded_and_the_run_keeps_the_next_one_frozen(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    with History.open(history) as store:
        budget = (BudgetRow(slo="availability", objective=0.99, judged=1000, bad=20),)
        store.index_run(
            RunRow("old", "budget-freeze", "/old", time.time() - 86400, "finished", "fail", 1.0, *[None] * 6, budget)
        )
    runs = tmp_path / "runs"
    args = (str(SCENARIO), "--runs-dir", str(runs), "--history", str(history), "--no-live")

    ran = chaos("run", *args, "--override-freeze", "INC-7: the hotfix must be proven", cwd=tmp_path, timeout=240)
    output = ran.stdout + ran.stderr[-3000:]
    assert ran.returncode == 1, output  # availability fails while every provider is down
    (run_dir,) = runs.iterdir()
    journal = read_journal(run_dir)
    assert journal.freeze_override is not None
    assert journal.freeze_override.reason == "INC-7: the hotfix must be proven"
    assert journal.freeze_override.exhausted == [
        "availability has spent 200.0% of its error budget over the last 7d (20 bad of 1000 requests judged in 1 run "
        'of "budget-freeze"; objective 99%, the freeze rule is at 100%)'
    ]
    assert journal.evaluation is not None
    (budget,) = journal.evaluation.budgets
    spent = {segment.segment: segment for segment in budget.segments}
    assert spent[FAULT].bad > 0
    assert spent["baseline"].bad == 0
    assert budget.bad == sum(segment.bad for segment in budget.segments)
    freeze, page = budget.policy
    injected = next(event.t_actual for event in journal.events if event.fault == "primary-503") - (journal.t0 or 0)
    # The 5 s page fires on the first failures' ends, inside the outage (the first
    # second after the injection at the earliest).
    assert page.fired_at is not None, output
    assert injected < page.fired_at <= injected + 6, output
    assert page.segment == FAULT
    assert freeze.fired_at is not None
    assert freeze.fired_at >= page.fired_at
    assert "budget freeze overridden" in ran.stdout
    assert "budget policy: page at 100% of availability over 5s: would have fired at" in ran.stdout
    report = RunDir(run_dir).report_md.read_text(encoding="utf-8")
    assert 'budget freeze overridden: `"INC-7: the hotfix must be proven"' in report
    assert "### Budget policy: would it have fired?" in report

    with History.open(history) as store:
        indexed = store.budget_spent("budget-freeze", "availability", time.time() - 7 * 86400, time.time())
    assert (indexed.runs, indexed.judged, indexed.bad) == (2, 1000 + budget.judged, 20 + budget.bad)
    refused = chaos("run", *args, cwd=tmp_path, timeout=60)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "judged in 2 runs" in refused.stderr
    assert len(list(runs.iterdir())) == 1
