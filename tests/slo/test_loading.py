"""A run directory's JSONL files read into columns, as a run writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.records import LedgerRow, ProxyCounters, dump_record
from chaos.rundir import RunDir
from chaos.slo.loading import RunDataError, load_run, read_chunks
from tests.slo.slo_runs import Run, scenario


def write(directory: Path, run: Run) -> None:
    files = RunDir(directory)
    lines: dict[Path, list[str]] = {path: [] for path in files.record_files}
    for record in run.records:
        path = {"ledger": files.ledger, "fault": files.events, "proxy": files.proxies}.get(record.record, files.records)
        lines[path].append(dump_record(record))
    for path, written in lines.items():
        path.write_text("".join(written))


def sample_run() -> Run:
    run = Run()
    first = run.request(11, served="model-b")  # a model name maps to its provider
    run.request(12, ok=False)
    run.request(13, ends=False)
    run.ledger(11.1, "primary", status=503, request_id=first)
    run.ledger(11.2, "secondary", request_id=first, input_tokens=10)
    run.ledger(11.3, "tertiary", request_id="unknown-id")
    run.fault("outage", 20, 30)
    run.proxy(1, "primary", accepted=5, cut=1)
    run.stop(50)
    return run


def test_a_run_directory_loads_into_columns(tmp_path):
    write(tmp_path, sample_run())
    data = load_run(tmp_path, scenario())
    requests = data.requests
    assert len(requests) == 3
    assert list(requests.sent) == [11.0, 12.0, 13.0]
    assert list(requests.failed) == [False, True, False]
    assert list(requests.in_flight) == [False, False, True]
    assert list(requests.served) == [1, -1, -1]
    assert list(requests.ledger_served) == [1, -1, -1]
    assert list(data.ledger.request) == [0, 0, -1]
    assert list(data.ledger.provider) == [0, 1, -1]  # an unknown provider has no code
    assert data.stopped == 50
    assert [(event.fault, event.action.value) for event in data.faults] == [("outage", "inject"), ("outage", "restore")]
    assert data.proxies["primary"].refused_between(0, 10) == 1


def test_ledger_rows_read_before_their_requests_still_match(tmp_path):
    write(tmp_path, sample_run())
    files = RunDir(tmp_path)
    data = load_run(tmp_path, scenario(), files=(files.ledger, files.records))
    assert list(data.ledger.request) == [0, 0, -1]
    assert list(data.requests.ledger_served) == [1, -1, -1]


def test_a_last_line_cut_short_is_skipped_and_blank_lines_are_ignored(tmp_path):
    write(tmp_path, sample_run())
    records = RunDir(tmp_path).records
    records.write_text(records.read_text() + "\n\n" + '{"record":"sent","id":"x","ki')
    assert len(load_run(tmp_path, scenario()).requests) == 3


def test_a_bad_line_is_located(tmp_path):
    write(tmp_path, sample_run())
    records = RunDir(tmp_path).records
    lines = records.read_text().splitlines(keepends=True)
    lines.insert(3, '{"record":"ended","id":"y"}\n')
    records.write_text("".join(lines))
    with pytest.raises(RunDataError, match=r"records\.jsonl:4: not a valid record: .*"):
        load_run(tmp_path, scenario())


def test_chunks_split_only_between_lines(tmp_path):
    path = RunDir(tmp_path).proxies
    lines = [dump_record(ProxyCounters(t=float(i), proxy="p", accepted=i, cut=0, reset=0)) for i in range(50)]
    path.write_text("".join(lines))
    chunks = list(read_chunks(path, size=100))
    assert b"".join(chunk for _, chunk in chunks) == path.read_bytes()
    assert all(chunk.endswith(b"\n") for _, chunk in chunks)
    offsets = [offset for offset, _ in chunks]
    assert offsets == [sum(len(chunk) for _, chunk in chunks[:index]) for index in range(len(chunks))]


def test_rows_are_kept_in_ledger_order(tmp_path):
    run = Run()
    request = run.request(11)
    run.ledger(11.2, "secondary", request_id=request)
    run.ledger(11.1, "primary", request_id=request)
    rows = [r for r in run.records if isinstance(r, LedgerRow)]
    run.records = [r for r in run.records if not isinstance(r, LedgerRow)] + rows[::-1]  # written out of order
    write(tmp_path, run)
    data = load_run(tmp_path, scenario())
    assert list(data.requests.ledger_served) == [0]  # the row with the higher seq came last
