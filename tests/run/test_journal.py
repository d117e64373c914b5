"""The journal file: schema-versioned, and written atomically (a reader never sees half of
one, and a write that fails leaves the last complete one)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from chaos.journal import Journal, JournalSchemaError, RunStatus, bills, read_journal, versions, write_journal
from chaos.kinds import LoadEventKind
from chaos.records import LedgerRow, LoadEvent
from chaos.rundir import RunDir
from chaos.slo.frame import build_frame
from chaos.slo.results import RunVerdict
from tests.slo.slo_runs import Run, scenario


def journal(problems: int = 0) -> Journal:
    return Journal(
        run_id="r1",
        status=RunStatus.RUNNING,
        scenario_name="s",
        scenario_path="s.yaml",
        scenario_text="version: 1\nname: s\n# ${SECRET} stays a reference\n",
        environment="local",
        started_at=1.0,
        versions=versions("2.12.0"),
        problems=["x" * 4096] * problems,  # a file of ~100 KiB, written in many chunks
    )


def test_a_reader_never_sees_a_partial_journal(tmp_path: Path) -> None:
    write_journal(tmp_path, journal())
    done = threading.Event()
    seen: list[int] = []
    broken: list[str] = []

    def read() -> None:
        while not done.is_set():
            text = RunDir(tmp_path).journal.read_text()
            try:
                seen.append(len(json.loads(text)["problems"]))
            except ValueError:
                broken.append(text[-80:])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for index in range(60):
            write_journal(tmp_path, journal(problems=25 * (index % 2)))
    finally:
        done.set()
        reader.join()
    assert broken == []
    assert set(seen) == {0, 25}, "the reader saw both versions of the file"
    assert sorted(path.name for path in tmp_path.iterdir()) == [RunDir(tmp_path).journal.name]  # no temporary file left


def test_a_failed_write_keeps_the_last_complete_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_journal(tmp_path, journal())

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_journal(tmp_path, journal(problems=3))
    assert read_journal(tmp_path).problems == []
    assert sorted(path.name for path in tmp_path.iterdir()) == [RunDir(tmp_path).journal.name]


def test_the_journal_says_its_schema_version_and_the_versions_that_made_it(tmp_path: Path) -> None:
    write_journal(tmp_path, journal())
    data = json.loads(RunDir(tmp_path).journal.read_text())
    assert data["schema_version"] == 1
    assert {"chaos", "python", "locust", "toxiproxy"} <= set(data["versions"])
    assert data["scenario_text"].endswith("# ${SECRET} stays a reference\n")
    data["schema_version"] = 2
    RunDir(tmp_path).journal.write_text(json.dumps(data))
    with pytest.raises(JournalSchemaError, match=r"a journal of schema version 2; this chaos \(.*\) reads version 1"):
        read_journal(tmp_path)  # refused by name: neither misread nor rebuilt over


def test_the_journals_bills_and_the_verdicts_cost_price_the_same_rows() -> None:
    sc = scenario()  # primary: 10 / 20 USD per 1M input / output tokens; secondary: 1 / 2
    run = Run()
    request = run.request(11)
    run.ledger(11.1, "primary", request_id=request, input_tokens=1234, output_tokens=567)
    run.ledger(11.2, "secondary", request_id=request, input_tokens=100, output_tokens=50)
    run.ledger(11.3, "primary", input_tokens=10**6, canary=True)  # the target's own probe: kept apart
    rows = [record for record in run.records if isinstance(record, LedgerRow)]
    billed = bills(sc, rows)
    assert billed["primary"].cost_usd == pytest.approx((1234 * 10 + 567 * 20) / 1e6)
    assert billed["secondary"].cost_usd == pytest.approx((100 * 1 + 50 * 2) / 1e6)
    frame = build_frame(sc, run.data(sc))
    assert frame.ledger_cost.sum() == pytest.approx(sum(bill.cost_usd for bill in billed.values()))


def test_a_journals_verdict_is_a_run_verdict(tmp_path: Path) -> None:
    unjudged = journal()
    unjudged.verdict, unjudged.exit_code = RunVerdict.ERROR, 2  # the environment failed before the load
    write_journal(tmp_path, unjudged)
    assert read_journal(tmp_path).verdict is RunVerdict.ERROR
    data = json.loads(RunDir(tmp_path).journal.read_text())
    assert data["verdict"] == "error"
    data["verdict"] = "mostly fine"
    RunDir(tmp_path).journal.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="verdict"):
        read_journal(tmp_path)


def test_a_split_loads_workers_come_from_its_events_with_their_clocks_and_losses() -> None:
    t0 = 1000.0
    events = [
        LoadEvent(event=LoadEventKind.WORKER_READY, t=t0 - 1.0, worker="a", detail=ready(0.25, 0.002, 11, "m1")),
        LoadEvent(event=LoadEventKind.WORKER_READY, t=t0 - 0.5, worker="b", detail=ready(-0.5, 0.004, 12, "m2")),
        LoadEvent(event=LoadEventKind.START, t=t0),
        LoadEvent(
            event=LoadEventKind.WORKER_LOST,
            t=t0 + 4.25,
            worker="b",
            detail={"reason": "missed its heartbeats", "pid": 12, "in_flight": ["x", "y"], "sent": 30, "ended": 28},
        ),
        LoadEvent(
            event=LoadEventKind.SUMMARY,
            t=t0 + 9.0,
            detail={"requests": 99, "workers": {"a": {"sent": 70, "ended": 70}, "b": {"sent": 31, "ended": 29}}},
        ),
    ]
    written = journal()
    written.t0 = t0
    written.record_workers(events)
    a, b = written.load_workers
    assert (a.id, a.host, a.pid, a.clock_offset_s, a.round_trip_s, a.joined_at) == ("a", "m1", 11, 0.25, 0.002, 999.0)
    assert (a.sent, a.ended, a.lost_at) == (70, 70, None)
    assert (b.clock_offset_s, b.lost_at, b.in_flight_when_lost) == (-0.5, 1004.25, 2)
    assert b.lost_reason == "missed its heartbeats"
    assert (b.sent, b.ended) == (30, 28), "a lost worker's counts are those when it was lost"
    assert written.problems == [
        "load worker b (pid 12) was lost at +4.2 s: missed its heartbeats; 30 requests it sent are kept, "
        "2 of them in flight then never ended (judged as timed out)"
    ]
    written.record_workers(events)
    assert len(written.problems) == 1, "recording again (a rebuild) does not repeat the problem"
    assert Journal.model_validate_json(written.model_dump_json()).load_workers == written.load_workers


def test_a_load_on_one_process_has_no_workers() -> None:
    written = journal()
    written.record_workers([LoadEvent(event=LoadEventKind.START, t=1.0), LoadEvent(event=LoadEventKind.SUMMARY, t=2.0)])
    assert written.load_workers == []
    assert written.problems == []


def ready(offset: float, round_trip: float, pid: int, host: str) -> dict[str, object]:
    return {"clock_offset": offset, "round_trip": round_trip, "pid": pid, "host": host}
