"""A run's verdict on the console: SLOs x segments, expectations, response times, one line.

Every figure shown is in the journal, computed from the raw records kept beside it.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chaos.journal import Journal, RunStatus
from chaos.report.budget import freeze_override, policy_lines
from chaos.report.console import TONE_STYLE
from chaos.segments import JOINED_BY, SHORT
from chaos.slo.results import Counts, Evaluation, FaultResponse, ResponseTime, RunVerdict, SloResult

STYLE = TONE_STYLE  # a verdict's colour, as every console view shows it


def render_run(journal: Journal, out: Console, run_dir: str) -> None:
    evaluation = journal.evaluation
    out.print(f"[bold]{journal.scenario_name}[/bold]  run {journal.run_id}  ->  {run_dir}")
    for problem in journal.problems:
        out.print(f"[red]problem:[/red] {problem}")
    if journal.freeze_override is not None:
        out.print(f"[yellow]budget freeze overridden:[/yellow] {escape(freeze_override(journal))}")
    if evaluation is None:
        out.print(_verdict_line(journal))
        return
    if journal.rebuilt is not None:
        files = ", ".join(f"{name} ({records} records)" for name, records in journal.rebuilt.files.items())
        out.print(f"rebuilt: {journal.rebuilt.reason}; from {files}; judged until {journal.rebuilt.ended_at:.1f}s")
    out.print(_counts(evaluation))
    short = _too_short(evaluation)
    if short:
        out.print(short)
    out.print(_slo_table(evaluation))
    if evaluation.budgets:
        out.print(_budget_table(evaluation))
    if evaluation.expectations:
        out.print(_expectations(evaluation))
    if evaluation.responses:
        out.print(_responses(evaluation.responses))
        out.print(RESPONSE_LEGEND, style="dim")
    if evaluation.alerts:
        fired = ", ".join(f"{a.rule} on {a.slo} at {a.fired_at:.0f}s" for a in evaluation.alerts)
        out.print(f"alerts fired: {fired}")
    if journal.change is not None:
        out.print(_change(journal))
    for line in policy_lines(evaluation):
        out.print(line)
    for finding in journal.findings:
        out.print(f"[yellow]client finding:[/yellow] {finding.kind.value} at {finding.provider}: {finding.detail}")
    out.print(_verdict_line(journal))


RESPONSE_LEGEND = (
    "detect: the first page alert; mitigate: availability over 10 s back within its objective while the fault "
    "lasts; recover: every SLO back within its objective for the settle time after the restore. "
    "not needed: the SLOs never left their objectives; never: not within the run."
)


def _counts(evaluation: Evaluation) -> str:
    """Why the figures below count fewer requests than were sent."""
    counts = evaluation.counts
    judged = sum(segment.requests for segment in evaluation.segments)
    return (
        f"{counts.requests} requests sent, {judged} of them judged in {len(evaluation.segments)} segments "
        "(the warm-up, the settle after a restore, the stop grace and any segment shorter than the scenario's "
        "min_segment are not judged; each SLO counts the "
        "requests it measures: TTFT streamed ones, eval pass rate eval questions); "
        f"{_unfinished(counts)}. "
        f"{counts.ledger_rows} provider calls billed (retries and fallbacks included), "
        f"{counts.canary_rows} canary calls apart."
    )


def _too_short(evaluation: Evaluation) -> str:
    """The spans left unjudged as too short: the table has no column for them."""
    spans = [
        f"{JOINED_BY.join(span.faults) or 'no fault'} {span.start:.3f}-{span.end:.3f}s ({span.end - span.start:.3f}s)"
        for span in evaluation.spans
        if span.name == SHORT
    ]
    return f"too short to judge (min_segment): {', '.join(spans)}" if spans else ""


def _unfinished(counts: Counts) -> str:
    if counts.cut_by_stop:
        return f"{counts.cut_by_stop} cut by the stop, not judged"
    return f"{counts.in_flight_at_end} still in flight at the end, counted as timed out"


def _verdict_line(journal: Journal) -> str:
    verdict = journal.verdict or RunVerdict.ERROR
    style = STYLE.get(verdict, "bold red")
    if journal.status is RunStatus.NOT_STARTED:
        reason = journal.reason or ""
        return f"[{style}]not started[/{style}]: {reason} (nothing ran, nothing to judge) exit {journal.exit_code}"
    return f"[{style}]verdict: {verdict.upper()}[/{style}] ({journal.reason or ''}) exit {journal.exit_code}"


def _cell(result: SloResult) -> str:
    style = STYLE[result.verdict.value]
    return f"{slo_figure(result)}\n[{style}]{result.verdict.value}[/{style}]"


def slo_figure(result: SloResult) -> str:
    """``99.12% of 841, p95 1.21s``: the good share of the requests it counted, and the figure."""
    if result.cost is not None:
        per = result.cost.per_request_usd
        figure = f"${per:.4f}/req" if per is not None else f"${result.cost.total_usd:.4f} total"
    elif result.ratio is not None:
        figure = f"{result.ratio * 100:.2f}% of {result.total}"
        if result.latency is not None and result.latency.value_s is not None:
            figure += f", p{result.latency.percentile:g} {result.latency.value_s:.2f}s"
        elif result.latency is not None:
            figure += f", p{result.latency.percentile:g} failed"
    else:
        figure = "no data"
    return figure


def _slo_table(evaluation: Evaluation) -> Table:
    segments = list(dict.fromkeys(result.segment for result in evaluation.slos))
    table = Table(title="SLOs by segment", title_justify="left", show_lines=True)
    table.add_column("SLO")
    for segment in segments:
        table.add_column(segment)
    for slo in dict.fromkeys(result.slo for result in evaluation.slos):
        cells = {r.segment: _cell(r) for r in evaluation.slos if r.slo == slo}
        objective = next(r for r in evaluation.slos if r.slo == slo)
        label = f"{slo}\n[dim]{_objective(objective)}[/dim]"
        table.add_row(label, *(cells.get(segment, "-") for segment in segments))
    return table


def _budget_table(evaluation: Evaluation) -> Table:
    """Each ratio SLO's share of the run's error budget spent in each segment."""
    segments = list(dict.fromkeys(spent.segment for budget in evaluation.budgets for spent in budget.segments))
    table = Table(title="Error budget spent (share of the run's budget)", title_justify="left")
    for column in ("SLO", *segments, "whole run"):
        table.add_column(column)
    for budget in evaluation.budgets:
        cells = {spent.segment: _share(spent.consumed) for spent in budget.segments}
        table.add_row(budget.slo, *(cells.get(segment, "-") for segment in segments), _share(budget.consumed))
    return table


def _share(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f}%"


def _objective(result: SloResult) -> str:
    if result.cost is not None:
        return f"<= ${result.objective:g}"
    if result.latency is not None:
        return f"p{result.latency.percentile:g} <= {result.latency.max_s:g}s"
    return f">= {result.objective * 100:g}%"


def _expectations(evaluation: Evaluation) -> Table:
    table = Table(title="Expectations", title_justify="left")
    for column in ("expectation", "verdict", "why"):
        table.add_column(column)
    for result in evaluation.expectations:
        style = STYLE[result.verdict.value]
        table.add_row(result.expectation, f"[{style}]{result.verdict.value}[/{style}]", result.reason)
    return table


def _responses(responses: list[FaultResponse]) -> Table:
    table = Table(title="Response times (from each fault's actual injection)", title_justify="left")
    for column in ("fault", "injected", "detect", "mitigate", "recover"):
        table.add_column(column)
    for response in responses:
        table.add_row(
            response.fault,
            f"{response.injected_at:.1f}s",
            _time(response.detect),
            _time(response.mitigate),
            _time(response.recover),
        )
    return table


def _time(value: ResponseTime) -> str:
    return f"{value:.1f}s" if isinstance(value, float | int) else value.replace("_", " ")


def _change(journal: Journal) -> str:
    """The canary plan in one line: how it ended, and who got the candidate."""
    change = journal.change
    assert change is not None
    line = f"change {change.baseline} -> {change.candidate}: {change.outcome.value.replace('_', ' ')}"
    gates = change.deciding_gates
    if gates:
        last = gates[-1]
        line += f" at t+{last.at:.1f}s after {len(gates)} gate{'s' if len(gates) != 1 else ''} ({last.gate.reason})"
    if change.time_to_roll_back is not None:
        line += f"; time to roll back {change.time_to_roll_back:.2f}s"
    if change.exposure is not None:
        exposure = change.exposure
        line += (
            f"; the candidate got {exposure.requests} requests, {exposure.failed_evals} of "
            f"{exposure.eval_answers} eval answers wrong, extra cost ${exposure.extra_cost_usd:+.4f}"
        )
    return line
