"""A run directory's JSONL files -> ``RunData``, streamed in chunks.

A chunk of whole lines is decoded at once and turned into columns, so a run of millions
of records loads in seconds without holding its text or its objects in memory. A last
line cut short (the writer was killed while writing it) is skipped; any other bad line
is an error located by file and line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
    for name in files:
        path = directory / name
        if path.is_file():
            for first_line, chunk in read_chunks(path):
                try:
                    builder.add_chunk(chunk)
                except BadRecord as exc:
                    raise RunDataError(f"{path}:{first_line + exc.line}: not a valid record: {exc}") from None
    return builder.build()


def read_chunks(path: Path, size: int = CHUNK_BYTES) -> Iterator[tuple[int, bytes]]:
    """``(number of its first line, whole lines)`` for each chunk of about ``size`` bytes;
    a last line without its newline is dropped when it is not a whole record."""
    line_number = 1
    rest = b""
    with path.open("rb") as stream:
        while block := stream.read(size):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                yield line_number, block[:cut]
                line_number += block.count(b"\n", 0, cut)
    if rest.strip().endswith(b"}"):
        yield line_number, rest
