"""Files written whole or not at all: a reader (a report, the history, a person) never
sees half of one, and a process killed while writing leaves the old file in place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o644  # the records are for the people who read them; mkstemp's 0600 would hide them


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path``: a temporary file in the same folder, synced, then renamed."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
