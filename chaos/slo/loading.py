"""A run directory's JSONL files -> ``RunData``, streamed in chunks.

A chunk of whole lines is decoded at once and turned into columns, so a run of millions
of records loads in seconds without holding its text or its objects in memory. A last
line without its newline (being written, or cut short when the writer was killed) is
left out, so the files of a run still going can be read; any bad line is an error
located by file and line.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from chaos.errors import ChaosError
from chaos.scenario.model import Scenario
from chaos.slo.builder import RunDataBuilder
from chaos.slo.data import RunData
from chaos.slo.wire import BadRecord

RUN_FILES = ("records.jsonl", "events.jsonl", "ledger.jsonl", "proxies.jsonl")
CHUNK_BYTES = 4 << 20


class RunDataError(ChaosError):
    """A run's record files cannot be read."""


def load_run(directory: Path, scenario: Scenario, files: Sequence[str] = RUN_FILES) -> RunData:
    """Read the run's record files that exist (a run may lack proxies.jsonl, say)."""
    builder = RunDataBuilder(scenario)
    with _collector_paused():
        for name in files:
            path = directory / name
            if path.is_file():
                for offset, chunk in read_chunks(path):
                    try:
                        builder.add_chunk(chunk)
                    except BadRecord as exc:
                        line = _line_at(path, offset) + exc.line
                        raise RunDataError(f"{path}:{line}: not a valid record: {exc}") from None
        return builder.build()


def read_chunks(path: Path, size: int = CHUNK_BYTES) -> Iterator[tuple[int, bytes]]:
    """``(byte offset, whole lines)`` for each chunk of about ``size`` bytes, each ending
    with a newline. A last line without its newline is left out: every record is written
    with one, so it is being written or was cut short."""
    offset = 0
    with path.open("rb") as stream:
        while block := stream.read(size):
            block += stream.readline()
            if not block.endswith(b"\n"):
                block = block[: block.rfind(b"\n") + 1]
            if block:
                yield offset, block
            offset += len(block)


def _line_at(path: Path, offset: int) -> int:
    """The number of the line starting at byte ``offset`` (counted only to report an error)."""
    with path.open("rb") as stream:
        return stream.read(offset).count(b"\n") + 1


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: loading allocates millions of short-lived
    containers, none in a cycle, and collections triggered by them only cost time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
