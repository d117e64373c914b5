"""One run's report as a page: the executive summary on top, the engineering detail below.

Every figure is read from the journal (its evaluation, events, ledger and findings); the
page judges nothing, so it can never say other than the exit code. The charts are made
apart (``chaos.report.charts``, which needs matplotlib) and placed here.
"""

from __future__ import annotations

from collections.abc import Sequence

from chaos.journal import Journal, RunStatus
from chaos.report import figures as fig
from chaos.report.budget import freeze_override, policy_table, spent_table
from chaos.report.change_page import change_section
from chaos.report.view import Cell, Chart, Figure, Page, Section, Table, table
from chaos.slo.results import Evaluation, SegmentSummary, SloResult
from chaos.wilson import Verdict

_WORST_FIRST = (Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.PASS)

RESPONSE_NOTE = (
    "From each fault's actual injection. Detect: the first page alert; mitigate: availability back within its "
    "objective while the fault lasts; recover: every SLO back within its objective for the settle time after "
    "the restore. Not needed: the SLOs never left their objectives; never: not within the run."
)


def verdict_word(journal: Journal) -> str:
    """The page's tone: the verdict, ``error`` for a run that has none."""
    return journal.verdict.value if journal.verdict is not None else "error"


def headline(journal: Journal) -> str:
    """The verdict in one sentence."""
    if journal.status is RunStatus.NOT_STARTED:
        return f"Not started: {journal.reason or 'no reason recorded'}. Nothing ran, nothing was judged."
    if journal.verdict is None:
        return "No verdict yet: the run is going, or was killed before it finished its journal."
    reason = (journal.reason or "").removeprefix(f"{journal.verdict.value}: ")
    return f"{journal.verdict.value.upper()}: {reason}"


def run_page(journal: Journal, charts: Sequence[Chart] = ()) -> Page:
    """The run report of ``journal``, with ``charts`` (``chaos.report.charts.run_charts``)."""
    evaluation = journal.evaluation
    sections: list[Section] = []
    if evaluation is not None:
        sections.append(summary(evaluation))
        if charts:
            sections.append(Section("Charts", charts=tuple(charts)))
        sections.append(detail(journal, evaluation))
    if journal.change is not None:
        sections.append(change_section(journal.change))
    sections.append(the_run(journal))
    return Page(
        title=f"{journal.scenario_name}: {verdict_word(journal)}",
        headline=headline(journal),
        tone=verdict_word(journal),
        facts=facts(journal),
        figures=tuple(headline_figures(evaluation)) if evaluation is not None else (),
        sections=tuple(sections),
    )


def facts(journal: Journal) -> tuple[tuple[str, str], ...]:
    found = [
        ("scenario", journal.scenario_name),
        ("run", journal.run_id),
        ("status", journal.status.value.replace("_", " ")),
        ("exit code", "-" if journal.exit_code is None else str(journal.exit_code)),
        ("environment", journal.environment),
        ("started", _iso(journal.started_at)),
    ]
    if journal.ended_at is not None and journal.t0 is not None:
        found.append(("load and judging", f"{journal.ended_at - journal.t0:,.0f}s from t = 0"))
    if journal.scale != 1:
        found.append(("scale", f"{journal.scale:g}"))
    if "target" in journal.versions:
        found.append(("target version", journal.versions["target"]))
    if journal.freeze_override is not None:
        found.append(("budget freeze overridden", freeze_override(journal)))
    return tuple(found)


def _iso(epoch: float) -> str:
    from chaos.journal import iso

    return iso(epoch)


def worst(results: Sequence[SloResult]) -> SloResult:
    """The result to headline an SLO by: its worst verdict, and of those its lowest good
    share (a fault's segment, where all passed), else the first."""
    return min(
        results,
        key=lambda result: (_WORST_FIRST.index(result.verdict), result.ratio if result.ratio is not None else 1.0),
    )


def headline_figures(evaluation: Evaluation) -> list[Figure]:
    """Per SLO: the figure of its worst segment, against its objective."""
    by_slo: dict[str, list[SloResult]] = {}
    for result in evaluation.slos:
        by_slo.setdefault(result.slo, []).append(result)
    shown = []
    for name, results in by_slo.items():
        result = worst(results)
        shown.append(
            Figure(
                label=name,
                value=f"{_headline_value(result)} in {result.segment}",
                against=fig.objective(result),
                tone=result.verdict.value,
            )
        )
    return shown


def _headline_value(result: SloResult) -> str:
    if result.cost is not None:
        per = result.cost.per_request_usd
        return f"{fig.usd(per)}/request" if per is not None else f"{fig.usd(result.cost.total_usd)} in total"
    if result.latency is not None and result.latency.value_s is not None:
        return f"p{result.latency.percentile:g} {fig.seconds(result.latency.value_s)}"
    if result.latency is not None and result.total:
        return f"p{result.latency.percentile:g} lands on a failure"
    return fig.percent(result.ratio) if result.total else "no data"


def summary(evaluation: Evaluation) -> Section:
    faulted = [segment for segment in evaluation.segments if segment.faults]
    served = table(
        "Who served during each fault",
        ("segment", "by the providers' ledger", "by the target's answers", "degraded", "requests"),
        (
            (
                segment.name,
                _shares(segment.served_by_ledger),
                _shares(segment.served_by_target),
                fig.percent(segment.degraded_share),
                fig.count(segment.requests),
            )
            for segment in faulted
        ),
        note="Shares of the requests counted where the call that served them was made.",
    )
    return Section("Executive summary", tables=(served,) if faulted else (), key="summary")


def _shares(shares: dict[str, float]) -> str:
    ranked = sorted(((share, name) for name, share in shares.items() if share > 0), reverse=True)
    return ", ".join(f"{name} {fig.percent(share)}" for share, name in ranked) or "-"


def detail(journal: Journal, evaluation: Evaluation) -> Section:
    tables = [slo_table(evaluation)]
    if evaluation.expectations:
        tables.append(
            table(
                "Expectations",
                ("expectation", "verdict", "why"),
                (
                    (Cell(e.expectation, code=True), Cell(e.verdict.value, e.verdict.value), e.reason)
                    for e in evaluation.expectations
                ),
            )
        )
    if evaluation.responses:
        tables.append(
            table(
                "Time to detect, mitigate and recover",
                ("fault", "injected", "restored", "detect", "mitigate", "recover"),
                (
                    (
                        r.fault,
                        fig.offset(r.injected_at),
                        fig.offset(r.restored_at),
                        fig.response_time(r.detect),
                        fig.response_time(r.mitigate),
                        fig.response_time(r.recover),
                    )
                    for r in evaluation.responses
                ),
                note=RESPONSE_NOTE,
            )
        )
    tables.append(
        table(
            "Alerts fired and cleared",
            ("rule", "severity", "SLO", "fired", "cleared"),
            (
                (
                    a.rule,
                    a.severity.value,
                    a.slo,
                    fig.offset(a.fired_at),
                    fig.offset(a.cleared_at) + _still(a.cleared_at),
                )
                for a in evaluation.alerts
            ),
            note="" if evaluation.alerts else "No alert fired.",
        )
    )
    if evaluation.budgets:
        tables.append(spent_table(evaluation))
    policy = policy_table(evaluation)
    if policy is not None:
        tables.append(policy)
    tables += [timeline(journal), segment_table(evaluation.segments), ledger_table(journal)]
    if journal.findings:
        tables.append(
            table(
                "Client findings",
                ("finding", "provider", "what", "example request ids"),
                (
                    (
                        f.kind.value.replace("_", " "),
                        f.provider,
                        f.detail,
                        Cell(", ".join(f.request_ids[:3]), code=True),
                    )
                    for f in journal.findings
                ),
            )
        )
    return Section("Engineering detail", tables=tuple(tables), key="detail")


def _still(cleared: float | None) -> str:
    return " (still firing at the end)" if cleared is None else ""


def slo_table(evaluation: Evaluation) -> Table:
    return table(
        "SLOs by segment",
        ("SLO", "segment", "objective", "good", "measured", "Wilson 95%", "verdict"),
        (
            (
                r.slo,
                r.segment,
                fig.objective(r),
                fig.good_of_total(r),
                fig.measured(r),
                fig.wilson(r),
                Cell(
                    r.verdict.value + (f": {fig.undecided_because(r)}" if fig.undecided_because(r) else ""),
                    r.verdict.value,
                ),
            )
            for r in evaluation.slos
        ),
        note="Pass when the Wilson 95% interval of the good share lies at or above the objective, fail when it lies "
        "below, inconclusive when it contains it. Percentiles are exact (nearest rank), failures counting as "
        "infinitely slow.",
    )


def timeline(journal: Journal) -> Table:
    t0 = journal.t0 if journal.t0 is not None else journal.started_at
    return table(
        "Fault timeline: intended and actual",
        ("fault", "kind", "action", "intended", "actual", "late by", "outcome"),
        (
            (
                e.fault,
                e.kind,
                e.action.value,
                fig.offset(e.t_intended - t0),
                fig.offset(e.t_actual - t0),
                f"{(e.t_actual - e.t_intended) * 1000:,.0f} ms",
                Cell("ok") if e.ok else Cell(f"failed: {e.error or 'no reason'}", "fail"),
            )
            for e in journal.events
        ),
        note="" if journal.events else "No fault was injected.",
    )


def segment_table(segments: Sequence[SegmentSummary]) -> Table:
    return table(
        "Segments",
        ("segment", "spans", "requests", "moved in", "cut by the stop", "availability", "TTFT p95", "e2e p95", "cost"),
        (
            (
                s.name,
                ", ".join(f"{start:.1f}-{end:.1f}s" for start, end in s.spans),
                fig.count(s.requests),
                fig.count(s.moved_in),
                fig.count(s.cut_by_stop),
                fig.percent(s.availability, 2),
                fig.seconds(s.ttft.p95),
                fig.seconds(s.e2e.p95),
                fig.usd(s.cost_usd),
            )
            for s in segments
        ),
        note="Moved in: requests in flight at a fault's onset that it could affect, judged in its segment.",
    )


def ledger_table(journal: Journal) -> Table:
    return table(
        "What each provider saw and billed",
        ("provider", "calls", "statuses", "ended", "faults applied", "tokens in / out", "billed", "canary calls"),
        (
            (
                name,
                fig.count(bill.requests),
                _counted(bill.statuses),
                _counted(bill.ends),
                _counted(bill.faults_applied),
                f"{fig.count(bill.input_tokens)} / {fig.count(bill.output_tokens)}",
                fig.usd(bill.cost_usd),
                fig.count(bill.canary_requests),
            )
            for name, bill in journal.ledger.items()
        ),
        note="Simulated prices from the scenario's price table; canary probes are kept apart and cost nothing.",
    )


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{key.replace('_', ' ')} {value:,}" for key, value in counts.items()) or "-"


def the_run(journal: Journal) -> Section:
    paragraphs = [f"Problem: {problem}" for problem in journal.problems]
    evaluation = journal.evaluation
    if evaluation is not None:
        counts = evaluation.counts
        judged = sum(segment.requests for segment in evaluation.segments)
        paragraphs.append(
            f"{counts.requests:,} requests sent, {judged:,} judged in {len(evaluation.segments)} segments; "
            f"{counts.cut_by_stop:,} cut by the stop, {counts.in_flight_at_end:,} still in flight at the end; "
            f"{counts.ledger_rows:,} provider calls billed, {counts.canary_rows:,} canary calls apart."
        )
    if journal.rebuilt is not None:
        files = ", ".join(f"{name} ({records:,} records)" for name, records in journal.rebuilt.files.items())
        paragraphs.append(
            f"Rebuilt by chaos report: {journal.rebuilt.reason}; from {files}; "
            f"judged until t+{journal.rebuilt.ended_at:.1f}s."
        )
    if journal.overrides:
        paragraphs.append("Overrides: " + "; ".join(journal.overrides))
    versions = table("Versions", ("what", "version"), sorted(journal.versions.items()))
    return Section(
        "The run",
        paragraphs=tuple(paragraphs),
        tables=(versions,),
        code=journal.scenario_text,
        code_title="The scenario as written",
        key="run",
    )
