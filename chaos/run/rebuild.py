"""A journal rebuilt from a run directory's raw files, for a run that was killed before it
could finish its own (or to judge the same records again).

A killed run wrote no STOP record: its judged timeline ends at its last record, and the
requests in flight then were cut by the kill (``chaos.slo.frame``). The journal says it
was rebuilt, from which files, and where the judged timeline ended."""

from __future__ import annotations

import time
from pathlib import Path

from chaos.errors import ChaosError
from chaos.journal import Journal, Rebuilt, RunStatus, bills, write_journal
from chaos.providers.findings import client_findings
from chaos.records import FaultEvent, LedgerRow, parse_record
from chaos.rundir import RunDir
from chaos.scenario.loading import scenario_from_text
from chaos.slo.evaluate import evaluate
from chaos.slo.loading import load_run
from chaos.slo.results import AbortDecision


def _read(path: Path) -> list[object]:
    if not path.exists():
        return []
    lines = path.read_bytes().split(b"\n")
    return [parse_record(line) for line in lines[:-1] if line.strip()]  # the last may be half-written


def _count(path: Path) -> int:
    """Complete records (lines) in a raw file; a last line without its newline was cut short."""
    with path.open("rb") as stream:
        return sum(chunk.count(b"\n") - chunk.count(b"\n\n") for chunk in iter(lambda: stream.read(1 << 20), b""))


def rebuild_journal(run_dir: Path, journal: Journal) -> Journal:
    loaded = scenario_from_text(journal.scenario_text, Path(journal.scenario_path), journal.overrides, journal.scale)
    scenario = loaded.scenario
    data = load_run(run_dir, scenario)
    files = RunDir(run_dir)
    if journal.t0 is None and not files.records.exists():
        raise ChaosError(f"{run_dir}: the run recorded no load; there is nothing to judge")
    rows = [row for row in _read(files.ledger) if isinstance(row, LedgerRow)]
    events = [event for event in _read(files.events) if isinstance(event, FaultEvent)]
    findings = client_findings(rows)
    killed = journal.status is RunStatus.RUNNING
    aborted = journal.evaluation.aborted if journal.evaluation is not None else None
    if killed:
        reason = "the run stopped before it finished its journal"
        aborted = AbortDecision(rule="killed", reason=reason, at=data.last_record)
    evaluation = evaluate(
        scenario,
        data,
        aborted=aborted,
        baseline_gate_failed=journal.evaluation.baseline_gate_failed if journal.evaluation is not None else False,
        findings=findings,
    )
    journal.evaluation = evaluation
    journal.rebuilt = Rebuilt(
        at=time.time(),
        reason="the run was killed before it finished its journal" if killed else "asked to (chaos report --rebuild)",
        files={path.name: _count(path) for path in files.record_files if path.exists()},
        ended_at=evaluation.counts.horizon,
    )
    journal.events = events
    journal.ledger = bills(scenario, rows)
    journal.findings = findings
    journal.verdict = evaluation.verdict.verdict
    journal.reason = evaluation.verdict.reason
    journal.exit_code = evaluation.verdict.exit_code
    if killed:
        journal.status = RunStatus.REBUILT
        journal.ended_at = journal.ended_at or time.time()
    write_journal(run_dir, journal)
    return journal
