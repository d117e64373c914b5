"""Append-only JSON-lines files a run writes as things happen, and reads as they grow."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from chaos.records import Record, dump_record


class JsonlWriter:
    """Each record is written and flushed at once, so a killed run keeps every line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("a", encoding="utf-8")

    def write(self, record: Record) -> None:
        self._file.write(dump_record(record))
        self._file.flush()

    def write_all(self, records: list[Record]) -> None:
        self._file.write("".join(dump_record(record) for record in records))
        self._file.flush()

    def close(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class JsonlTail:
    """The complete lines appended to a file since the last read (a partial last line waits)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def read(self) -> list[bytes]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()
        return [line for line in lines if line.strip()]
