"""Closed action items: ``action-closures.jsonl`` in the runs directory, one line each.

Closing an item is a decision people make, not something a journal holds, so it is
written to this file first (appended under a lock, one JSON object per line, fsynced)
and to the history second: ``chaos drill reindex`` reads it back with the journals, and a
rebuilt history keeps every closure. The last line for an id wins.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from chaos.history.store import Closure

CLOSURES_FILE = "action-closures.jsonl"


def append_closure(runs_dir: Path, closure: Closure) -> Path:
    path = runs_dir / CLOSURES_FILE
    runs_dir.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"id": closure.id, "note": closure.note, "closed_at": closure.closed_at}) + "\n"
    with path.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def read_closures(runs_dir: Path) -> list[Closure]:
    """Every closure in the file, the last of each id; a line cut short by a kill is skipped."""
    path = runs_dir / CLOSURES_FILE
    if not path.exists():
        return []
    found: dict[str, Closure] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
            closure = Closure(str(data["id"]), str(data["note"]), float(data["closed_at"]))
        except (ValueError, KeyError, TypeError):
            continue
        found[closure.id] = closure
    return list(found.values())
