"""The rows of the run directory's observability files (``spans.jsonl``, ``metrics.jsonl``,
``alerts.jsonl``): one JSON line per row, written as the rows come."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from chaos.records import Record

R = TypeVar("R", bound=Record)


def read_rows(path: Path, row: type[R]) -> Iterator[R]:
    """The rows of ``path`` (none if the file is absent); a line that is not a row (a run
    killed mid-write) is skipped, so a rebuilt journal reads what the run kept."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                yield row.model_validate_json(line)
            except ValueError:
                continue
