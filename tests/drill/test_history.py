"""The history file: its migrations, two writers at once, and a writer killed mid-transaction."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chaos.history.schema import MIGRATIONS, VERSION
from chaos.history.store import ActionRow, Closure, DrillIndex, DrillRow, History, HistoryError, ResultRow, RunRow

T = 1_790_000_000.0  # 2026-09-21: 2026Q3


def drill(drill_id: str, entries: int = 4, at: float = T) -> DrillIndex:
    runs = tuple(
        RunRow(
            f"{drill_id}-r{i}",
            f"s{i}",
            f"/runs/{drill_id}/{i}",
            at,
            "finished",
            "pass",
            0.4,
            1.0,
            2.0,
            3.0,
            0,
            1.0,
            0.0,
        )
        for i in range(entries)
    )
    results = tuple(ResultRow(drill_id, i, f"s{i}", f"{drill_id}-r{i}", "pass", True, "[]") for i in range(entries))
    row = DrillRow(drill_id, "suite", "component", "me", f"/runs/{drill_id}", at, "finished")
    return DrillIndex(row, runs, results, (ActionRow(f"AI-{drill_id}", "fix it", "drill", "", "owner", at),))


def test_a_new_history_runs_every_step_and_records_it(tmp_path: Path) -> None:
    with History.open(tmp_path / "h.sqlite") as history:
        assert history.version == VERSION == 3
        history.index_drill(drill("d1"))
        assert history.counts() == {"runs": 4, "drills": 1, "results": 4, "actions": 1, "closures": 0}
    mode = sqlite3.connect(tmp_path / "h.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_a_history_of_schema_1_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    old = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        old.execute(statement)
    old.execute("INSERT INTO drills VALUES ('d0', 'suite', 'full', 'me', '/d0', 1.0, '1970Q1', 'finished')")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    with History.open(path) as history:
        assert history.version == 3
        assert history.counts()["drills"] == 1
    indexes = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"results_by_entry", "drills_by_quarter", "runs_by_quarter"} <= indexes


def test_a_history_from_a_newer_chaos_is_refused_not_misread(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    newer = sqlite3.connect(path)
    newer.execute("PRAGMA user_version = 9")
    newer.commit()
    newer.close()
    with (
        pytest.raises(HistoryError, match="written by a newer chaos \\(schema 9, this one knows 3\\)"),
        History.open(path),
    ):
        pass


def test_closing_an_unknown_item_says_so(tmp_path: Path) -> None:
    with History.open(tmp_path / "h.sqlite") as history, pytest.raises(HistoryError, match="no action item AI-nope"):
        history.close_action(Closure("AI-nope", "done", T))


WRITER = textwrap.dedent(
    """
    import sys
    from tests.drill.test_history import drill
    from chaos.history.store import History
    with History.open(__import__("pathlib").Path(sys.argv[1])) as history:
        for n in range(int(sys.argv[3])):
            history.index_drill(drill(f"{sys.argv[2]}-{n}"))
    """
)


def test_two_processes_writing_one_history_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    root = Path(__file__).resolve().parents[2]
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "150"], cwd=root, stderr=subprocess.PIPE)
        for name in ("a", "b")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    with History.open(path) as history:
        assert history.counts() == {"runs": 1200, "drills": 300, "results": 1200, "actions": 300, "closures": 0}
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


KILLED = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from chaos.history.store import History, _put_drill
    from tests.drill.test_history import drill
    with History.open(Path(sys.argv[1])) as history:
        with history._transaction() as db:
            _put_drill(db, drill("killed"))
            print("inside", flush=True)
            time.sleep(60)
    """
)


def test_a_writer_killed_inside_its_transaction_leaves_no_row(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with History.open(path) as history:
        history.index_drill(drill("before"))
    root = Path(__file__).resolve().parents[2]
    writer = subprocess.Popen([sys.executable, "-c", KILLED, str(path)], cwd=root, stdout=subprocess.PIPE)
    assert writer.stdout is not None
    assert writer.stdout.readline() == b"inside\n"
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    writer.stdout.close()
    with History.open(path) as history:
        assert history.counts() == {"runs": 4, "drills": 1, "results": 4, "actions": 1, "closures": 0}
        history.index_drill(drill("after"))  # the killed writer's lock went with it
        assert history.counts()["drills"] == 2
