"""A run directory's JSONL files -> ``RunData``, streamed in chunks.

A chunk of whole lines is decoded at once and turned into columns, so a run of millions
of records loads in seconds without holding its text or its objects in memory. Chunks
are read into one buffer, used again for each: a fresh buffer of megabytes per chunk
costs page faults, which are dear on a virtual machine. A last line without its newline
(being written, or cut short when the writer was killed) is left out, so the files of a
run still going can be read; any bad line is an error located by file and line.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from chaos.errors import ChaosError
from chaos.rundir import RunDir
from chaos.scenario.model import Scenario
from chaos.slo.builder import RunDataBuilder
from chaos.slo.data import RunData
from chaos.slo.wire import BadRecord

CHUNK_BYTES = 1 << 20  # a chunk's records stay in the CPU's caches while read into columns


class RunDataError(ChaosError):
    """A run's record files cannot be read."""


def load_run(directory: Path, scenario: Scenario, files: Sequence[Path] | None = None) -> RunData:
    """Read the run's record files that exist (a run may lack proxies.jsonl, say), or
    those of ``files`` (paths in the run directory)."""
    builder = RunDataBuilder(scenario)
    with _collector_paused():
        for path in RunDir(directory).record_files if files is None else files:
            if path.is_file():
                for offset, lines in read_blocks(path, CHUNK_BYTES):
                    try:
                        builder.add_chunk(lines)
                    except BadRecord as exc:
                        line = _line_at(path, offset) + exc.line
                        raise RunDataError(f"{path}:{line}: not a valid record: {exc}") from None
        return builder.build()


def read_blocks(path: Path, size: int = CHUNK_BYTES) -> Iterator[tuple[int, memoryview]]:
    """``(byte offset, whole lines)`` for each chunk of about ``size`` bytes, each ending
    with a newline. A last line without its newline is left out: every record is written
    with one, so it is being written or was cut short. The lines are a view of a buffer
    that the next chunk overwrites."""
    buffer = bytearray(size)
    offset = kept = 0  # file offset of the buffer's start; bytes of a line carried over
    with path.open("rb", buffering=0) as stream:
        while read := stream.readinto(memoryview(buffer)[kept:]):
            filled = kept + read
            end = buffer.rfind(b"\n", 0, filled) + 1
            if end == 0 and filled == len(buffer):  # a line longer than the buffer: a new one
                buffer, kept = buffer + bytes(len(buffer)), filled  # (views of the old stay valid)
                continue
            if end:
                yield offset, memoryview(buffer)[:end]
            buffer[: filled - end] = buffer[end:filled]
            offset, kept = offset + end, filled - end


def read_chunks(path: Path, size: int = CHUNK_BYTES) -> Iterator[tuple[int, bytes]]:
    """The chunks of ``read_blocks``, each in bytes of its own, for a caller that keeps them."""
    for offset, lines in read_blocks(path, size):
        yield offset, bytes(lines)


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
