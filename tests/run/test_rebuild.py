"""``chaos report`` on a killed run: the journal rebuilt from the raw files says it was
rebuilt, from what, and where the judged timeline ended (the last record)."""

from __future__ import annotations

from pathlib import Path

import yaml

from chaos.journal import Journal, RunStatus, versions, write_journal
from chaos.records import dump_record
from chaos.run.rebuild import rebuild_journal
from chaos.rundir import RunDir
from tests.slo.slo_runs import BASE, T0, Run

TIMES = {"duration": "100s", "warmup": "9s", "stop_grace": "5s", "mix": {"chat_stream": 0.7, "chat": 0.3, "eval": 0}}


def killed_run_dir(folder: Path) -> Path:
    """A run killed at 25.6 s: 156 requests sent, the last five still in flight."""
    run = Run()
    for index in range(156):
        sent = 10.05 + index / 10
        run.request(sent, duration=0.5, ends=sent + 0.5 <= 25.6)
    run.fault("outage", 20)
    run.ledger(25.6, "primary", duration=0.0)
    files = RunDir(folder)
    for path, kinds in (
        (files.records, ("sent", "ended", "load")),
        (files.events, ("fault",)),
        (files.ledger, ("ledger",)),
    ):
        path.write_text("".join(dump_record(r) for r in run.records if r.record in kinds))
    write_journal(
        folder,
        Journal(
            run_id="killed",
            status=RunStatus.RUNNING,
            scenario_name="test",
            scenario_path=str(folder / "test.yaml"),
            scenario_text=yaml.safe_dump({**BASE, "load": {**BASE["load"], **TIMES}}),
            environment="local",
            started_at=T0 - 2,
            t0=T0,
            versions=versions(),
        ),
    )
    return folder


def test_a_killed_run_s_rebuilt_journal_says_from_what_and_where_it_ended(tmp_path: Path) -> None:
    journal = rebuild_journal(
        killed_run_dir(tmp_path), Journal.model_validate_json(RunDir(tmp_path).journal.read_text())
    )
    assert journal.status is RunStatus.REBUILT
    assert journal.rebuilt is not None
    assert journal.rebuilt.reason == "the run was killed before it finished its journal"
    assert journal.rebuilt.files == {"records.jsonl": 1 + 156 + 151, "events.jsonl": 1, "ledger.jsonl": 1}
    assert journal.rebuilt.ended_at == 25.6
    assert journal.evaluation is not None
    assert journal.evaluation.aborted is not None
    assert (journal.evaluation.aborted.rule, journal.evaluation.aborted.at) == ("killed", 25.6)
    assert (journal.evaluation.counts.horizon, journal.evaluation.counts.cut_by_stop) == (25.6, 5)
    assert journal.reason == (
        "aborted by killed: the run stopped before it finished its journal; nothing had failed before it; "
        "5 requests cut by the stop, not judged"
    )
