"""A suite's verdicts in one table: scenario -> verdict -> what failed, for a review.

Each row is read from the run's journal (or says why the scenario did not run), so the
table shows nothing that its run directories do not hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from chaos.errors import ChaosError, ExitCode
from chaos.journal import Journal
from chaos.report.console_run import STYLE, slo_figure
from chaos.scenario.loading import ScenarioFile
from chaos.wilson import Verdict

# The suite's exit code is its worst row's, in this order.
_WORST_FIRST = (ExitCode.ABORTED, ExitCode.INVALID, ExitCode.FAIL, ExitCode.INCONCLUSIVE, ExitCode.PASS)
_LISTED = 4  # problems named per row; the rest are counted


@dataclass(frozen=True)
class SuiteRow:
    scenario: str
    verdict: str
    exit_code: int
    what: list[str]
    run_dir: str | None

    @classmethod
    def of(cls, loaded: ScenarioFile, journal: Journal, run_dir: str) -> SuiteRow:
        code = journal.exit_code if journal.exit_code is not None else int(ExitCode.ABORTED)
        return cls(str(loaded.path), journal.verdict or "error", code, what_failed(journal), run_dir)

    @classmethod
    def unrun(cls, loaded: ScenarioFile, error: ChaosError, run_dir: str | None) -> SuiteRow:
        return cls(str(loaded.path), "error", int(error.exit_code), [error.message.splitlines()[0]], run_dir)

    @classmethod
    def skipped(cls, loaded: ScenarioFile) -> SuiteRow:
        return cls(str(loaded.path), "not run", int(ExitCode.ABORTED), ["the suite was interrupted before it"], None)


def what_failed(journal: Journal) -> list[str]:
    """What a reviewer must look at: failed, then undecided SLOs and expectations (after a
    failed baseline, nothing was injected: only the baseline's failures)."""
    evaluation = journal.evaluation
    if evaluation is None or journal.verdict in ("aborted", "error"):
        return [journal.reason or "no verdict"]
    if evaluation.baseline_gate_failed:
        failed = [r for r in evaluation.slos if r.verdict is Verdict.FAIL]
        return [journal.reason or "the baseline failed", *(f"{r.slo} in {r.segment}: {slo_figure(r)}" for r in failed)]
    found = []
    for verdict, word in ((Verdict.FAIL, "failed"), (Verdict.INCONCLUSIVE, "undecided")):
        found += [f"{r.slo} in {r.segment} {word}: {slo_figure(r)}" for r in evaluation.slos if r.verdict is verdict]
        found += [f"{e.expectation} {word}: {e.reason}" for e in evaluation.expectations if e.verdict is verdict]
    return found


def render_suite(rows: list[SuiteRow], out: Console) -> None:
    table = Table(title="Suite", title_justify="left", show_lines=True)
    for column in ("scenario", "verdict", "what failed", "run directory"):
        table.add_column(column, overflow="fold")
    for row in rows:
        style = STYLE.get(row.verdict, "bold red")
        shown = row.what[:_LISTED] + ([f"(and {len(row.what) - _LISTED} more)"] if len(row.what) > _LISTED else [])
        table.add_row(row.scenario, f"[{style}]{row.verdict}[/{style}]", "\n".join(shown) or "-", row.run_dir or "-")
    out.print(table)
    code = suite_exit_code(rows)
    counts = ", ".join(f"{sum(r.verdict == v for r in rows)} {v}" for v in dict.fromkeys(r.verdict for r in rows))
    out.print(f"suite: {len(rows)} scenarios ({counts}) exit {code}")


def suite_exit_code(rows: list[SuiteRow]) -> int:
    codes = {row.exit_code for row in rows}
    return int(next((code for code in _WORST_FIRST if code in codes), ExitCode.PASS))
