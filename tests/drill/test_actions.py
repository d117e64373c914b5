"""Action items in the drill history: drills' and game days' alike, closed with a note
by ``chaos drill action close``, and still closed after a reindex."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from chaos.actions import ActionItem, Failure, write_action_items
from chaos.drill.reindex import reindex
from chaos.history.store import History
from tests.drill import five_quarters

ROOT = Path(__file__).resolve().parents[2]


def chaos(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chaos", *map(str, args)], capture_output=True, text=True, check=False, timeout=60
    )


def test_drill_failures_and_game_day_items_are_open_until_closed_and_stay_closed(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    five_quarters.build(runs)
    gameday = runs / "gamedays" / "outage-day"
    gameday.mkdir(parents=True)
    late = ActionItem.of(Failure.checkpoint("outage-day", "declare-severity"), "Declare severity sooner", "game day")
    write_action_items(gameday, "game day outage-day", [late])
    reindex(runs, runs / "history.sqlite")
    with History.open(runs / "history.sqlite") as history:
        items = {item.id: item for item in history.actions()}
    storm = Failure(kind="response", scope="rate-limit-storm", subject="availability over target").action_id
    assert set(items) == {late.id, storm}  # three drills missed it in 2026Q4: one item
    assert items[storm].title == "rate-limit-storm: availability 98.00%, target at least 99.00%: missed"
    assert items[late.id].source == "game day"

    closed = chaos("drill", "action", "close", late.id, "--note", "paging rota fixed", "--runs-dir", runs)
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout == f"closed {late.id}: paging rota fixed\n"
    unknown = chaos("drill", "action", "close", "AI-0000000000", "--note", "x", "--runs-dir", runs)
    assert unknown.returncode == 2
    assert f"no action item AI-0000000000 in {runs / 'history.sqlite'}" in unknown.stderr

    reindex(runs, tmp_path / "again.sqlite")
    with History.open(tmp_path / "again.sqlite") as history:
        (kept,) = [item for item in history.actions() if item.closed_at is not None]
    assert (kept.id, kept.note) == (late.id, "paging rota fixed")
    assert kept.closed_at is not None
    assert kept.closed_at <= time.time()
