"""A budget freeze, decided from a real SQLite history of hand-made runs: which runs
count (the scenario's, started inside the rule's window before now, whatever their
verdict), which requests (those each run's verdict judged), and the refusal of
``chaos run`` (exit 2, naming the SLO, the budget and the window) unless overridden.

Availability's objective is 99%: a budget of 1 bad request per 100 judged.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from chaos.cli import main
from chaos.drill.reindex import reindex
from chaos.history.freeze import exhausted_budgets
from chaos.history.schema import MIGRATIONS
from chaos.history.store import BudgetRow, History, RunRow
from chaos.scenario.model import Scenario
from tests.drill.journals import journal, write_run
from tests.slo.slo_runs import scenario

NOW = 1_790_000_000.0
DAY = 86400.0
WEEK = 7 * DAY
FREEZE = {"slo": "availability", "window": "7d", "then": "freeze"}


def policy(*rules: dict[str, Any]) -> Scenario:
    return scenario(
        slos={"availability": {"objective": "99%"}, "eval_pass_rate": {"objective": "90%"}}, budget=list(rules)
    )


def run(
    run_id: str, started_at: float, judged: int, bad: int, *, name: str = "test", slo: str = "availability"
) -> RunRow:
    budgets = (BudgetRow(slo=slo, objective=0.99, judged=judged, bad=bad),)
    return RunRow(
        run_id,
        name,
        f"/runs/{run_id}",
        started_at,
        "finished",
        "fail",
        1.0,
        None,
        None,
        None,
        None,
        None,
        None,
        budgets,
    )


def history_of(path: Path, *runs: RunRow) -> Path:
    with History.open(path) as history:
        for row in runs:
            history.index_run(row)
    return path


def reached(path: Path, sc: Scenario, now: float = NOW) -> list[str]:
    with History.open(path) as history:
        return [item.describe() for item in exhausted_budgets(history, sc, now)]


def test_the_runs_of_the_window_spend_the_budget_together(tmp_path: Path) -> None:
    """Three runs in the last week: 10 bad of 1000 judged, exactly the budget (100%)."""
    path = history_of(
        tmp_path / "h.sqlite", run("a", NOW - 6 * DAY, 300, 2), run("b", NOW - DAY, 300, 3), run("c", NOW, 400, 5)
    )
    assert reached(path, policy(FREEZE)) == [
        "availability has spent 100.0% of its error budget over the last 7d (10 bad of 1000 requests judged in 3 runs "
        'of "test"; objective 99%, the freeze rule is at 100%)'
    ]


@pytest.mark.parametrize(
    ("started_at", "counts"),
    [(NOW - WEEK, False), (NOW - WEEK + 1, True), (NOW, True), (NOW + 1, False)],
    ids=["window-start-out", "just-inside", "now", "after-now"],
)
def test_a_run_counts_if_it_started_inside_the_window_before_now(
    tmp_path: Path, started_at: float, counts: bool
) -> None:
    """9 bad of 1000 in one run spend 90%; a second run, 2 bad of 100, tips the budget to
    100% ((9 + 2) / (0.01 x 1100)) if it counts: started after now - 7d and not after now."""
    path = history_of(tmp_path / "h.sqlite", run("a", NOW - DAY, 1000, 9), run("edge", started_at, 100, 2))
    assert bool(reached(path, policy(FREEZE))) is counts


def test_other_scenarios_other_slos_and_the_threshold(tmp_path: Path) -> None:
    """Another scenario's runs and another SLO's rows spend nothing of this budget; 9 bad of
    1000 is 90%: below an exhausting freeze, past one at 90%, and never a page's business."""
    path = history_of(
        tmp_path / "h.sqlite",
        run("a", NOW - DAY, 1000, 9),
        run("other", NOW - DAY, 1000, 500, name="another-scenario"),
        run("evals", NOW - DAY, 1000, 500, slo="eval_pass_rate"),
    )
    assert reached(path, policy(FREEZE)) == []
    assert len(reached(path, policy({**FREEZE, "burns": "90%"}))) == 1
    assert reached(path, policy({**FREEZE, "burns": "90%", "then": "page"})) == []
    assert reached(path, policy({**FREEZE, "burns": "90%", "min_requests": 1001})) == []


def test_runs_indexed_from_their_journals_carry_their_budgets(tmp_path: Path) -> None:
    """The path a history takes in use: journals (an aborted run's too) indexed by a
    reindex; a run of the scenario older than the window counts nothing."""
    runs = tmp_path / "runs"
    write_run(runs / "r1", journal("r1", "test", NOW - DAY, budgets={"availability": (0.99, 600, 6)}))
    write_run(
        runs / "r2", journal("r2", "test", NOW - 2 * DAY, verdict="aborted", budgets={"availability": (0.99, 400, 4)})
    )
    write_run(runs / "r3", journal("r3", "test", NOW - 8 * DAY, budgets={"availability": (0.99, 100, 100)}))
    reindex(runs, tmp_path / "h.sqlite")
    assert reached(tmp_path / "h.sqlite", policy(FREEZE)) == [
        "availability has spent 100.0% of its error budget over the last 7d (10 bad of 1000 requests judged in 2 runs "
        'of "test"; objective 99%, the freeze rule is at 100%)'
    ]


def test_a_history_from_before_budgets_is_migrated_and_freezes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    old = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        for statement in step:
            old.execute(statement)
    old.execute(
        "INSERT INTO runs VALUES ('r0', 'test', '/r0', ?, '2026Q3', 'finished', 'fail', 1, "
        "NULL, NULL, NULL, 100, 0.9, NULL)",
        (NOW - DAY,),
    )
    old.execute("PRAGMA user_version = 2")
    old.commit()
    old.close()
    assert reached(path, policy(FREEZE)) == []


SCENARIO = """\
version: 1
name: test
target: {start: [python, -m, my_gateway]}
providers:
  primary: {api: openai, model: gpt-4o}
load: {users: 20, duration: 2m}
slos:
  availability: {objective: 99%}
budget:
  - {slo: availability, window: 7d, then: freeze}
"""


def test_chaos_run_is_refused_while_the_history_says_the_budget_is_spent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 before anything starts (no run directory), naming the SLO, how much of its
    budget the history says is spent, over which window, and how to override."""
    import time

    path = history_of(tmp_path / "h.sqlite", run("a", time.time() - DAY, 1000, 12))
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    runs = tmp_path / "runs"
    assert main(["run", str(tmp_path / "s.yaml"), "--history", str(path), "--runs-dir", str(runs)]) == 2
    err = capsys.readouterr().err
    assert f"budget freeze: the history ({path}) says the error budget is spent:" in err
    assert (
        "availability has spent 120.0% of its error budget over the last 7d (12 bad of 1000 requests judged in 1 run "
        'of "test"; objective 99%, the freeze rule is at 100%)' in err
    )
    assert "--override-freeze REASON" in err
    assert "Traceback" not in err
    assert not runs.exists()


def test_an_empty_override_reason_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    assert main(["run", str(tmp_path / "s.yaml"), "--override-freeze", " ", "--runs-dir", str(tmp_path)]) == 2
    assert "--override-freeze" in capsys.readouterr().err
