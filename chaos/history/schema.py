"""The history's schema, as numbered steps: ``PRAGMA user_version`` is how many ran.

A step is never edited once released; a change is a new step appended here. Opening a
history runs the steps it lacks, all in one exclusive transaction, so that two processes
opening a new file at once migrate it once, and a history written by a newer chaos (a
``user_version`` beyond the last step) is refused rather than misread.

Times are epoch seconds; a quarter is spelled ``2026Q4`` (UTC). Response times are
seconds, ``0`` when not needed and ``inf`` when it never happened (SQLite stores both).
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: runs, drills, their results, action items and their closures.
    (
        """CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            scenario TEXT NOT NULL,
            path TEXT NOT NULL,
            started_at REAL NOT NULL,
            quarter TEXT NOT NULL,
            status TEXT NOT NULL,
            verdict TEXT,
            scale REAL NOT NULL,
            detect REAL, mitigate REAL, recover REAL,
            failed INTEGER, availability REAL, extra_cost REAL
        )""",
        """CREATE TABLE drills (
            drill_id TEXT PRIMARY KEY,
            suite TEXT NOT NULL,
            kind TEXT NOT NULL,
            owner TEXT NOT NULL,
            path TEXT NOT NULL,
            started_at REAL NOT NULL,
            quarter TEXT NOT NULL,
            status TEXT NOT NULL
        )""",
        """CREATE TABLE results (
            drill_id TEXT NOT NULL REFERENCES drills (drill_id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            entry TEXT NOT NULL,
            run_id TEXT REFERENCES runs (run_id),
            verdict TEXT NOT NULL,
            passed INTEGER NOT NULL,
            checks TEXT NOT NULL,
            PRIMARY KEY (drill_id, entry)
        )""",
        """CREATE TABLE actions (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            source TEXT NOT NULL,
            detail TEXT NOT NULL,
            owner TEXT NOT NULL,
            first_seen REAL NOT NULL,
            last_seen REAL NOT NULL
        )""",
        """CREATE TABLE closures (
            id TEXT PRIMARY KEY,
            note TEXT NOT NULL,
            closed_at REAL NOT NULL
        )""",
    ),
    # 2: what the quarterly report looks things up by.
    (
        "CREATE INDEX results_by_entry ON results (entry)",
        "CREATE INDEX drills_by_quarter ON drills (quarter)",
        "CREATE INDEX runs_by_quarter ON runs (quarter, scenario)",
    ),
    # 3: each run's error budget per ratio SLO, what a budget freeze is decided by
    # (chaos.history.freeze); runs indexed before it have none until a reindex.
    (
        """CREATE TABLE budgets (
            run_id TEXT NOT NULL,
            slo TEXT NOT NULL,
            objective REAL NOT NULL,
            judged INTEGER NOT NULL,
            bad INTEGER NOT NULL,
            PRIMARY KEY (run_id, slo)
        )""",
        "CREATE INDEX runs_by_scenario ON runs (scenario, started_at)",
    ),
)

VERSION = len(MIGRATIONS)
