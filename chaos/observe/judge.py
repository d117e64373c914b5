"""The observability checks of a run, and the verdict with them.

Each check is an expectation result (``observe.<part>.<check>``), listed with the
scenario's own expectations and weighed the same way in the run's verdict.
"""

from __future__ import annotations

from collections.abc import Sequence

from chaos.observe.facts import read_requests
from chaos.observe.logs import judge_logs
from chaos.observe.spans import read_spans
from chaos.observe.traces import judge_traces
from chaos.records import LedgerRow
from chaos.rundir import RunDir
from chaos.scenario.loading import ScenarioFile
from chaos.slo.evaluate import overall
from chaos.slo.results import Evaluation, ExpectationResult


def observe_run(loaded: ScenarioFile, run_dir: RunDir, ledger: Sequence[LedgerRow]) -> list[ExpectationResult]:
    """Every check the scenario's ``observe:`` asks for, from the run directory's files
    (and the target's log file, when ``observe.logs.path`` names one)."""
    checks = loaded.scenario.observe
    if checks.traces is None and checks.logs is None:
        return []
    requests = read_requests(run_dir.records, ledger)
    results = []
    if checks.traces is not None:
        results += judge_traces(checks.traces, requests, read_spans(run_dir.spans))
    if checks.logs is not None:
        path = loaded.resolve(checks.logs.path) if checks.logs.path is not None else run_dir.log("target")
        results += judge_logs(checks.logs, path, requests, tuple(loaded.scenario.providers))
    return results


def with_observations(evaluation: Evaluation, observed: Sequence[ExpectationResult]) -> Evaluation:
    """``evaluation`` with the observability checks among its expectations, and its verdict
    weighed again with them."""
    if not observed:
        return evaluation
    expectations = [*evaluation.expectations, *observed]
    verdict = overall(
        evaluation.slos,
        expectations,
        aborted=evaluation.aborted,
        baseline_gate_failed=evaluation.baseline_gate_failed,
        cut_by_stop=evaluation.counts.cut_by_stop,
    )
    return evaluation.model_copy(update={"expectations": expectations, "verdict": verdict})
