"""The history: an SQLite file indexing every run and drill, rebuilt from their files at will.

The files are the record (journals, drill records, action-item files, the closures
file); the history is an index over them for the quarterly report. Each write is one
transaction (``BEGIN IMMEDIATE``), so a reader or a second writer sees a drill whole or
not at all, and a writer killed mid-way leaves nothing of its transaction behind. The
file is in WAL mode (readers never block the writer) and waits up to ``BUSY_TIMEOUT_S``
for another writer's transaction, so two drills can share one history.

Standard-library ``sqlite3``: the schema is six tables and the queries are fixed, so
an ORM or a query builder would add a dependency and hide the transactions this module
exists to get right.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from chaos.errors import ChaosError
from chaos.history.quarters import quarter_of
from chaos.history.schema import MIGRATIONS, VERSION

BUSY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class BudgetRow:
    """A run's error budget for one ratio SLO: its requests judged and the bad ones."""

    slo: str
    objective: float
    judged: int
    bad: int


@dataclass(frozen=True)
class RunRow:
    run_id: str
    scenario: str
    path: str
    started_at: float
    status: str
    verdict: str | None
    scale: float
    detect: float | None
    mitigate: float | None
    recover: float | None
    failed: int | None
    availability: float | None
    extra_cost: float | None
    budgets: tuple[BudgetRow, ...] = ()  # in a table of their own

    @property
    def columns(self) -> tuple[object, ...]:
        """The ``runs`` table's row, its quarter computed from ``started_at``."""
        values = astuple(self)[: len(fields(self)) - 1]
        return (*values[:4], quarter_of(self.started_at), *values[4:])


@dataclass(frozen=True)
class WindowBudget:
    """What the history holds of one SLO's error budget: over the runs of a scenario that
    started in a window."""

    runs: int
    judged: int
    bad: int


@dataclass(frozen=True)
class DrillRow:
    drill_id: str
    suite: str
    kind: str
    owner: str
    path: str
    started_at: float
    status: str


@dataclass(frozen=True)
class ResultRow:
    drill_id: str
    position: int
    entry: str
    run_id: str | None
    verdict: str
    passed: bool
    checks: str  # JSON: [[target, measure, limit, measured, met], ...]


@dataclass(frozen=True)
class ActionRow:
    id: str
    title: str
    source: str
    detail: str
    owner: str
    seen_at: float


@dataclass(frozen=True)
class Closure:
    id: str
    note: str
    closed_at: float


@dataclass(frozen=True)
class DrillIndex:
    """What one drill adds to the history, written in one transaction."""

    drill: DrillRow
    runs: tuple[RunRow, ...]
    results: tuple[ResultRow, ...]
    actions: tuple[ActionRow, ...]


@dataclass(frozen=True)
class ResultLine:
    """A result with its drill and run, as the quarterly report reads it."""

    quarter: str
    started_at: float
    suite: str
    kind: str
    drill_id: str
    drill_status: str
    entry: str
    verdict: str
    passed: bool
    checks: str
    detect: float | None
    mitigate: float | None
    recover: float | None
    failed: int | None
    availability: float | None
    extra_cost: float | None


@dataclass(frozen=True)
class ActionLine:
    id: str
    title: str
    source: str
    detail: str
    owner: str
    first_seen: float
    last_seen: float
    note: str | None
    closed_at: float | None


class HistoryError(ChaosError):
    pass


def _switch_to_wal(db: sqlite3.Connection) -> None:
    """WAL mode, waiting out another process that is switching the same new file.

    Changing the journal mode takes an exclusive lock, and SQLite answers "database is
    locked" at once, without its busy handler, when another connection holds one: two
    drills opening a new history at the same moment met it (1 open in 120).
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class History:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[History]:
        """The history at ``path`` (created and migrated if need be), closed on exit."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"{path}: cannot open the history: {exc}") from None
        try:
            _switch_to_wal(db)
            db.execute("PRAGMA synchronous = NORMAL")  # WAL keeps every commit atomic; NORMAL skips an fsync each
            db.execute("PRAGMA foreign_keys = ON")
            history = cls(db, path)
            history._migrate()
            yield history
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{path}: not a history this chaos can read: {exc}") from None
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        if self.version == VERSION:
            return
        self._db.execute("BEGIN EXCLUSIVE")  # read again inside: another process may have migrated meanwhile
        try:
            current = self.version
            if current > VERSION:
                raise HistoryError(
                    f"{self.path}: written by a newer chaos (schema {current}, this one knows {VERSION})",
                    hint="upgrade chaos, or give another --history",
                )
            for step in MIGRATIONS[current:]:
                for statement in step:
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {VERSION}")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def index_run(self, run: RunRow) -> None:
        with self._transaction() as db:
            _put_runs(db, [run])

    def index_drill(self, drill: DrillIndex) -> None:
        """The drill, its runs, results and action items: all of them or nothing."""
        with self._transaction() as db:
            _put_drill(db, drill)

    def add_actions(self, actions: Iterable[ActionRow]) -> None:
        with self._transaction() as db:
            _put_actions(db, actions)

    def close_action(self, closure: Closure) -> None:
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM actions WHERE id = ?", (closure.id,)).fetchone() is None:
                raise HistoryError(f"no action item {closure.id} in {self.path}", hint="chaos drill report lists them")
            _put_closures(db, [closure])

    def has_action(self, action_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM actions WHERE id = ?", (action_id,)).fetchone() is not None

    def rebuild(
        self,
        runs: Sequence[RunRow],
        drills: Sequence[DrillIndex],
        actions: Sequence[ActionRow],
        closures: Sequence[Closure],
    ) -> None:
        """Replace everything with what the files say, in one transaction: a reader sees
        the old history or the new one, never a history half rebuilt."""
        with self._transaction() as db:
            for table in ("results", "drills", "budgets", "runs", "closures", "actions"):
                db.execute(f"DELETE FROM {table}")
            _put_runs(db, runs)
            for drill in drills:
                _put_drill(db, drill)
            _put_actions(db, actions)
            _put_closures(db, [closure for closure in closures if _known(db, closure.id)])

    def results(self, quarters: Sequence[str]) -> list[ResultLine]:
        """Every drill result of ``quarters``, oldest first."""
        marks = ",".join("?" * len(quarters))
        rows = self._db.execute(
            f"""SELECT d.quarter, d.started_at, d.suite, d.kind, d.drill_id, d.status, r.entry, r.verdict,
                       r.passed, r.checks, u.detect, u.mitigate, u.recover, u.failed, u.availability, u.extra_cost
                FROM results r JOIN drills d USING (drill_id) LEFT JOIN runs u ON u.run_id = r.run_id
                WHERE d.quarter IN ({marks}) ORDER BY d.started_at, r.position""",
            tuple(quarters),
        )
        return [ResultLine(*row[:8], bool(row[8]), *row[9:]) for row in rows]  # type: ignore[call-arg]

    def last_run_quarters(self, until: str) -> dict[str, str]:
        """Entry -> the latest quarter, up to ``until``, a drill ran it in."""
        rows = self._db.execute(
            "SELECT r.entry, MAX(d.quarter) FROM results r JOIN drills d USING (drill_id) "
            "WHERE r.verdict != 'not run' AND d.quarter <= ? GROUP BY r.entry",
            (until,),
        )
        return dict(rows)

    def budget_spent(self, scenario: str, slo: str, since: float, until: float) -> WindowBudget:
        """The requests judged and the bad ones, by ``slo``, in the runs of ``scenario``
        that started after ``since`` and at or before ``until`` (epoch seconds)."""
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(b.judged), 0), COALESCE(SUM(b.bad), 0) FROM budgets b "
            "JOIN runs r USING (run_id) WHERE r.scenario = ? AND b.slo = ? AND r.started_at > ? AND r.started_at <= ?",
            (scenario, slo, since, until),
        ).fetchone()
        return WindowBudget(runs=int(row[0]), judged=int(row[1]), bad=int(row[2]))

    def actions(self) -> list[ActionLine]:
        rows = self._db.execute(
            "SELECT a.id, a.title, a.source, a.detail, a.owner, a.first_seen, a.last_seen, c.note, c.closed_at "
            "FROM actions a LEFT JOIN closures c USING (id) ORDER BY a.first_seen, a.id"
        )
        return [ActionLine(*row) for row in rows]

    def counts(self) -> dict[str, int]:
        return {
            table: int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("runs", "drills", "results", "actions", "closures")
        }


def _put_runs(db: sqlite3.Connection, runs: Iterable[RunRow]) -> None:
    runs = list(runs)
    db.executemany(
        f"INSERT OR REPLACE INTO runs VALUES ({','.join('?' * len(fields(RunRow)))})", [run.columns for run in runs]
    )
    db.executemany("DELETE FROM budgets WHERE run_id = ?", [(run.run_id,) for run in runs])
    db.executemany(
        "INSERT INTO budgets VALUES (?, ?, ?, ?, ?)",
        [(run.run_id, b.slo, b.objective, b.judged, b.bad) for run in runs for b in run.budgets],
    )


def _put_drill(db: sqlite3.Connection, drill: DrillIndex) -> None:
    row = drill.drill
    db.execute("DELETE FROM results WHERE drill_id = ?", (row.drill_id,))
    db.execute(
        "INSERT OR REPLACE INTO drills VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (*astuple(row)[:6], quarter_of(row.started_at), row.status),
    )
    _put_runs(db, drill.runs)
    db.executemany("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?)", [astuple(r) for r in drill.results])
    _put_actions(db, drill.actions)


def _put_actions(db: sqlite3.Connection, actions: Iterable[ActionRow]) -> None:
    db.executemany(
        """INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET
             first_seen = MIN(first_seen, excluded.first_seen),
             last_seen = MAX(last_seen, excluded.last_seen),
             source = CASE WHEN excluded.last_seen >= last_seen THEN excluded.source ELSE source END,
             detail = CASE WHEN excluded.last_seen >= last_seen THEN excluded.detail ELSE detail END""",
        [(a.id, a.title, a.source, a.detail, a.owner, a.seen_at, a.seen_at) for a in actions],
    )


def _put_closures(db: sqlite3.Connection, closures: Iterable[Closure]) -> None:
    db.executemany("INSERT OR REPLACE INTO closures VALUES (?, ?, ?)", [astuple(c) for c in closures])


def _known(db: sqlite3.Connection, action_id: str) -> bool:
    return db.execute("SELECT 1 FROM actions WHERE id = ?", (action_id,)).fetchone() is not None
