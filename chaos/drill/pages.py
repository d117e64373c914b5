"""The drill report and the quarterly DR report as pages (``chaos.report.view``), rendered
to HTML and Markdown by the run report's templates."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from chaos.drill.charts import trend_chart
from chaos.drill.figures import MEASURES, format_figure
from chaos.drill.index import JudgedEntry
from chaos.drill.quarterly import MEASURE_WORDS, QuarterReport, Spread
from chaos.drill.record import DrillRecord
from chaos.history.store import ActionLine
from chaos.journal import iso
from chaos.report.view import Cell, Page, Section, table
from chaos.rundir import RunDir


def drill_page(directory: Path, record: DrillRecord, judged: Sequence[JudgedEntry], actions: Sequence[str]) -> Page:
    passed = sum(item.judgement.passed for item in judged)
    tone = "pass" if passed == len(judged) and record.status.value == "finished" else "fail"
    headline = f"{passed} of {len(judged)} scenarios passed their SLOs and targets ({record.status.value})"
    rows = []
    for item in judged:
        judgement = item.judgement
        checks = "; ".join(check.sentence() for check in judgement.checks)
        report = str(RunDir(item.run_dir).report_html.relative_to(directory)) if item.run_dir else "-"
        rows.append(
            (
                Cell(item.entry, code=True),
                Cell(judgement.verdict, tone=_tone(judgement.verdict)),
                checks,
                Cell("pass" if judgement.passed else "fail", tone="pass" if judgement.passed else "fail"),
                Cell(report, code=True),
            )
        )
    scenarios = table(
        "Each scenario against its targets",
        ("scenario", "run verdict", "targets", "result", "run report"),
        rows,
        note="A scenario passes when its run's own verdict is pass and it meets every target.",
    )
    figures = [
        table(
            "Measured",
            ("scenario", *(MEASURE_WORDS[m] for m in MEASURES)),
            [
                (Cell(item.entry, code=True), *(format_figure(m, item.judgement.figures.get(m)) for m in MEASURES))
                for item in judged
            ],
            note="Times: the worst fault of the run. Failed requests and availability: the fault segments pooled. "
            "Extra cost: what the fault segments billed beyond the baseline's cost per request.",
        )
    ]
    found = Section("Action items", paragraphs=tuple(actions) or ("None: nothing failed.",))
    return Page(
        title=f"DR drill {record.suite_name} {record.drill_id}",
        headline=headline,
        tone=tone,
        facts=(
            ("suite", record.suite_name),
            ("kind", record.kind),
            ("owner", record.owner),
            ("started", iso(record.started_at)),
            ("scale", f"{record.scale:g}"),
            ("status", record.status.value),
        ),
        sections=(Section("Scenarios", tables=(scenarios, *figures)), found),
    )


def quarter_page(made: QuarterReport) -> Page:
    failing = [s for s in made.scenarios if not s.latest_passed]
    trouble = failing or made.regressions or made.due
    headline = (
        f"{made.quarter}: {made.drills} drills; {len(made.scenarios) - len(failing)} of {len(made.scenarios)} "
        f"scenarios passing; {len(made.regressions)} regressions; {len(made.due)} scenarios due and not run; "
        f"{len(made.open_actions)} action items open"
    )
    return Page(
        title=f"Quarterly DR report {made.quarter}",
        headline=headline,
        tone="fail" if trouble else "pass",
        facts=(("quarter", made.quarter), ("compared with", f"{made.quarters[0]} to {made.quarters[-2]}")),
        sections=(
            _scenarios(made),
            Section(
                "Regressions",
                paragraphs=tuple(f"{r.entry}: {r.sentence}." for r in made.regressions)
                or (f"None against the quarters before {made.quarter}.",),
            ),
            _trends(made),
            _due(made),
            _actions("Open action items", made.open_actions, closed=False),
            _actions("Closed action items", made.closed_actions, closed=True),
        ),
    )


def _scenarios(made: QuarterReport) -> Section:
    rows: list[tuple[str | Cell, ...]] = [
        (
            Cell(s.entry, code=True),
            s.suite,
            f"{s.passed} of {s.runs}",
            Cell("pass" if s.latest_passed else "fail", tone="pass" if s.latest_passed else "fail"),
            *(_spread(m, s.spreads[m]) for m in MEASURES),
            "; ".join(s.latest_missed) or "-",
        )
        for s in made.scenarios
    ]
    return Section(
        "Scenarios this quarter",
        paragraphs=() if rows else (f"No drill ran in {made.quarter}.",),
        tables=(
            table(
                "Pass or fail against the targets, and the spread of each figure",
                ("scenario", "suite", "runs passed", "latest", *(MEASURE_WORDS[m] for m in MEASURES), "latest missed"),
                rows,
                note="Each figure: the median of the quarter's runs, with the lowest and highest in brackets.",
            ),
        )
        if rows
        else (),
    )


def _spread(measure: str, spread: Spread | None) -> str:
    if spread is None:
        return "-"
    median = format_figure(measure, spread.median)
    if spread.low == spread.high:
        return median
    return f"{median} ({format_figure(measure, spread.low)} to {format_figure(measure, spread.high)})"


def _trends(made: QuarterReport) -> Section:
    measures = [m for m in MEASURES if any(t.measure == m for t in made.trends)]
    charts = tuple(trend_chart(m, made.quarters, [t for t in made.trends if t.measure == m]) for m in measures)
    rows: list[tuple[str | Cell, ...]] = [
        (Cell(t.entry, code=True), MEASURE_WORDS[t.measure], *(_median(t.measure, v) for v in t.medians))
        for t in made.trends
    ]
    medians = table("Medians by quarter", ("scenario", "figure", *made.quarters), rows)
    return Section("Trends", charts=charts, tables=(medians,) if rows else ())


def _median(measure: str, value: float | None) -> str:
    if value is None:
        return "-"
    return "never" if math.isinf(value) else format_figure(measure, value)


def _due(made: QuarterReport) -> Section:
    rows = [(d.suite, d.kind, Cell(d.entry, code=True), d.last_run or "never") for d in made.due]
    return Section(
        "Due but not run",
        paragraphs=() if rows else ("Every scenario due was run.",),
        tables=(table("Scenarios due", ("suite", "kind", "scenario", "last run"), rows),) if rows else (),
    )


def _actions(title: str, actions: Sequence[ActionLine], *, closed: bool) -> Section:
    rows: list[tuple[Cell | str, ...]]
    if closed:
        columns: tuple[str, ...] = ("id", "title", "closed", "note")
        rows = [(Cell(a.id, code=True), a.title, iso(a.closed_at or 0)[:10], a.note or "") for a in actions]
    else:
        columns = ("id", "title", "found by", "owner", "first seen", "last seen")
        rows = [
            (Cell(a.id, code=True), a.title, a.source, a.owner, iso(a.first_seen)[:10], iso(a.last_seen)[:10])
            for a in actions
        ]
    return Section(title, paragraphs=() if rows else ("None.",), tables=(table(title, columns, rows),) if rows else ())


def _tone(verdict: str) -> str:
    return verdict if verdict in {"pass", "fail", "inconclusive", "aborted", "error"} else "error"
