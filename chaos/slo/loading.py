"""A run directory's JSONL files -> ``RunData``, streamed in batches.

Lines are parsed with orjson a batch at a time (one JSON array per batch) and turned
into columns at once, so a run of millions of records loads in seconds without holding
its text or its objects in memory. A last line cut short (the writer was killed while
writing it) is skipped; any other bad line is a located error.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from chaos.errors import ChaosError
from chaos.scenario.model import Scenario
from chaos.slo.data import RunData, RunDataBuilder

RUN_FILES = ("records.jsonl", "events.jsonl", "ledger.jsonl", "proxies.jsonl")
BATCH_BYTES = 8 << 20


class RunDataError(ChaosError):
    """A run's record files cannot be read."""


def load_run(directory: Path, scenario: Scenario, files: Sequence[str] = RUN_FILES) -> RunData:
    """Read the run's record files that exist (a run may lack proxies.jsonl, say)."""
    builder = RunDataBuilder(scenario)
    for name in files:
        path = directory / name
        if not path.is_file():
            continue
        for first_line, batch in read_batches(path):
            try:
                builder.add(batch)
            except (KeyError, TypeError, ValueError) as exc:
                raise RunDataError(
                    f"{path}: a record from line {first_line} on lacks a field or has a wrong type: {exc!r}"
                ) from exc
    return builder.build()


def read_batches(path: Path, batch_bytes: int = BATCH_BYTES) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """``(first line number, parsed objects)`` for each batch of about ``batch_bytes``."""
    line_number = 1
    with path.open("rb") as stream:
        while lines := stream.readlines(batch_bytes):
            # Only the file's last line can lack its newline: it may have been cut short.
            yield line_number, _parse(path, line_number, lines, partial_last=not lines[-1].endswith(b"\n"))
            line_number += len(lines)


def _parse(path: Path, first_line: int, lines: list[bytes], *, partial_last: bool) -> list[dict[str, Any]]:
    kept = [line for line in lines if line.strip()]
    try:
        objects: list[dict[str, Any]] = orjson.loads(b"[" + b",".join(kept) + b"]")
    except orjson.JSONDecodeError:
        objects = []
        for offset, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                objects.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                if partial_last and offset == len(lines) - 1:
                    break
                raise RunDataError(f"{path}:{first_line + offset}: not a JSON record: {exc}") from None
    if not all(isinstance(obj, dict) and "record" in obj for obj in objects):
        raise RunDataError(f"{path}: lines {first_line}..{first_line + len(lines) - 1}: a line is not a record")
    return objects
