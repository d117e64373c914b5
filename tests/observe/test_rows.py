"""The run directory's observability files read back as a rebuilt journal reads them:
a run killed mid-write leaves a partial last line, which is skipped, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.observe.prometheus import AlertSeries
from chaos.observe.rows import read_rows
from chaos.observe.scrape import MetricSample
from chaos.observe.spans import SpanRow
from chaos.records import Record

ROWS: list[Record] = [
    AlertSeries(alert="Page", state="firing", first=10.0, last=12.0),
    MetricSample(name="gateway_requests_total", labels={}, value=3.0, t=10.0),
    SpanRow(
        trace_id="0" * 31 + "1",
        span_id="0" * 15 + "1",
        name="chat",
        kind="server",
        t_start=1.0,
        t_end=2.0,
        t_received=2.5,
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda row: type(row).__name__)
def test_a_partial_last_line_is_skipped_and_the_rows_before_it_are_kept(tmp_path: Path, row: Record) -> None:
    path = tmp_path / "rows.jsonl"
    line = row.model_dump_json()
    path.write_text(f"{line}\n{line}\n{line[: len(line) // 2]}", encoding="utf-8")
    assert list(read_rows(path, type(row))) == [row, row]


def test_a_file_the_run_never_wrote_has_no_rows(tmp_path: Path) -> None:
    assert list(read_rows(tmp_path / "alerts.jsonl", AlertSeries)) == []
