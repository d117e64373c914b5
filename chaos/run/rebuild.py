"""A journal rebuilt from a run directory's raw files, for a run that was killed before it
could finish its own, or whose ``journal.json`` was lost (or to judge the same records
again). A directory with neither a journal nor the scenario copy a run keeps has nothing
to judge: that is a clear error (exit 2), never a traceback.

A killed run wrote no STOP record: its judged timeline ends at its last record, and the
requests in flight then were cut by the kill (``chaos.slo.frame``). A canary plan is
judged again from the decisions it kept (``change.jsonl``). The journal says it was
rebuilt, why, from which files, and where the judged timeline ended."""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import ValidationError

from chaos.errors import ChaosError
from chaos.journal import Journal, Rebuilt, RunStatus, bills, read_journal, read_start, versions, write_journal
from chaos.load.summary import load_events
from chaos.observe.judge import observe_run
from chaos.providers.findings import client_findings
from chaos.records import FaultEvent, LedgerRow, parse_record
from chaos.run.canary import judge_canary, read_change
from chaos.rundir import RunDir
from chaos.scenario.loading import scenario_from_text
from chaos.slo.evaluate import evaluate, with_expectations
from chaos.slo.loading import load_run
from chaos.slo.results import KILLED, AbortDecision


def _read(path: Path) -> list[object]:
    if not path.exists():
        return []
    lines = path.read_bytes().split(b"\n")
    return [parse_record(line) for line in lines[:-1] if line.strip()]  # the last may be half-written


def journal_to_show(run_dir: Path, *, rebuild: bool) -> tuple[Journal, str | None]:
    """The run's journal, rebuilt where it must be; and a note saying so, if it was."""
    files = RunDir(run_dir)
    lost: str | None = None
    try:
        journal = read_journal(run_dir)
    except FileNotFoundError:
        lost = f"no {files.journal.name}"
    except (ValueError, ValidationError) as exc:
        lost = f"{files.journal.name} is not a journal ({type(exc).__name__})"
    if lost is not None:
        journal = rebuild_journal(run_dir, _from_start(run_dir, lost), lost=lost)
        return journal, f"{run_dir}: {lost}: rebuilt from the raw files"
    if journal.status is RunStatus.NOT_STARTED:
        return journal, None  # nothing ran: there is nothing to rebuild
    if rebuild or journal.status is RunStatus.RUNNING:
        return rebuild_journal(run_dir, journal), None
    return journal, None


def _from_start(run_dir: Path, missing: str) -> Journal:
    """A journal begun again from ``run.json`` and the scenario copy, as the run began it."""
    files = RunDir(run_dir)
    kept = f"{files.run_start.name} and {files.scenario_copy.name}"
    try:
        start, text = read_start(run_dir)
    except FileNotFoundError:
        raise ChaosError(
            f"{run_dir} is not a run directory: {missing}, and no {kept} to rebuild it from",
            hint="give a directory that chaos run created (runs/<scenario>-<run id>)",
        ) from None
    except (OSError, ValueError, ValidationError) as exc:
        raise ChaosError(f"{run_dir}: {missing}, and {kept} cannot be read: {exc}") from None
    return Journal.starting(start, text, versions())


def _count(path: Path) -> int:
    """Complete records (lines) in a raw file; a last line without its newline was cut short."""
    with path.open("rb") as stream:
        return sum(chunk.count(b"\n") - chunk.count(b"\n\n") for chunk in iter(lambda: stream.read(1 << 20), b""))


def rebuild_journal(run_dir: Path, journal: Journal, *, lost: str | None = None) -> Journal:
    """Judge ``run_dir``'s raw files again into ``journal``. A run whose journal was
    ``lost`` is judged as finished if its load stopped by itself, as killed otherwise."""
    files = RunDir(run_dir)
    if journal.t0 is None and not files.records.exists():
        raise ChaosError(f"{run_dir}: the run recorded no load; there is nothing to judge")
    loaded = scenario_from_text(journal.scenario_text, Path(journal.scenario_path), journal.overrides, journal.scale)
    scenario = loaded.scenario
    data = load_run(run_dir, scenario)
    rows = [row for row in _read(files.ledger) if isinstance(row, LedgerRow)]
    events = [event for event in _read(files.events) if isinstance(event, FaultEvent)]
    findings = client_findings(rows)
    killed = journal.status is RunStatus.RUNNING and (lost is None or data.stopped is None)
    if lost is not None:
        journal.t0 = data.t0
    aborted = journal.evaluation.aborted if journal.evaluation is not None else None
    if killed:
        reason = "the run stopped before it finished its journal"
        aborted = AbortDecision(rule=KILLED, reason=reason, at=data.last_record)
    evaluation = evaluate(
        scenario,
        data,
        aborted=aborted,
        baseline_gate_failed=journal.evaluation.baseline_gate_failed if journal.evaluation is not None else False,
        findings=findings,
    )
    if scenario.change is not None and journal.t0 is not None:
        # The plan's decisions as the run kept them; a journal from before change.jsonl has them.
        plan = read_change(files) or journal.change
        if plan is not None:
            journal.change, evaluation = judge_canary(scenario, files, plan, evaluation, journal.t0)
    evaluation = with_expectations(evaluation, observe_run(loaded, files, rows, evaluation, journal.t0))
    journal.evaluation = evaluation
    journal.rebuilt = Rebuilt(
        at=time.time(),
        reason=_why(files, lost, killed=killed),
        files={path.name: _count(path) for path in files.record_files if path.exists()},
        ended_at=evaluation.counts.horizon,
    )
    journal.events = events
    journal.record_workers(load_events(files.records))
    journal.ledger = bills(scenario, rows)
    journal.findings = findings
    journal.verdict = evaluation.verdict.verdict
    journal.reason = evaluation.verdict.reason
    journal.exit_code = evaluation.verdict.exit_code
    if journal.status is RunStatus.RUNNING:
        journal.status = RunStatus.REBUILT
        journal.ended_at = journal.ended_at or time.time()
    write_journal(run_dir, journal)
    return journal


def _why(files: RunDir, lost: str | None, *, killed: bool) -> str:
    if lost is not None:
        kept = f"{files.run_start.name} and {files.scenario_copy.name}"
        return (
            f"{lost}, so from {kept} beside the raw files (they do not hold an abort rule's decision, "
            "the steady-state gate's or the load's own summary)"
            + ("; the run was killed before its load ended" if killed else "")
        )
    return "the run was killed before it finished its journal" if killed else "asked to (chaos report --rebuild)"
