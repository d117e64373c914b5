"""The game-day report, HTML and Markdown, built from the run reports' own blocks.

One ``chaos.report`` ``Page``: the game day's headline and figures, the merged timeline,
the checkpoints' deadlines, detection by alerts against detection by people, the action
items, and one section per run made of the run report's own tables and charts
(``run_page.slo_table``, ``run_page.timeline``, ``files.run_charts``), each chart named
after its run so that the Markdown report's files do not collide. Each run directory
keeps its own full report beside its journal.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from chaos.atomic import write_atomically
from chaos.gameday.findings import Findings, impact
from chaos.gameday.state import GameDayDir
from chaos.gameday.timeline import GameDayRecord, RunOutcome, clock, seconds
from chaos.journal import iso
from chaos.report import figures as fig
from chaos.report import run_page
from chaos.report.files import run_charts, write_markdown
from chaos.report.render import render_html
from chaos.report.view import Cell, Page, Section, table
from chaos.rundir import RunDir
from chaos.scenario.units import format_duration

_DEADLINE_TONES = {"met": "pass", "late": "fail", "missed": "fail", "no anchor": "inconclusive"}
_ORDER = ("aborted", "error", "fail", "inconclusive", "pass")


def write_gameday_report(day: GameDayDir, record: GameDayRecord, found: Findings) -> list[Path]:
    page = gameday_page(day, record, found)
    files = RunDir(day.path)
    return [write_atomically(files.report_html, render_html(page)), *write_markdown(page, files)]


def gameday_page(day: GameDayDir, record: GameDayRecord, found: Findings) -> Page:
    verdicts = [run.verdict for run in record.runs]
    late = [d for d in record.deadlines if d.status in ("late", "missed")]
    tone = next((word for word in _ORDER if word in verdicts), "pass")
    if tone == "pass" and late:
        tone = "fail"
    if record.status != "finished":
        tone = "aborted"
    met = sum(d.status == "met" for d in record.deadlines)
    judged = sum(d.status != "no anchor" for d in record.deadlines)
    headline = (
        f"Game day {record.status}: {len(record.runs)} run(s) ({', '.join(verdicts) or 'none'}), "
        f"{met} of {judged} checkpoint deadlines met, {len(found.actions)} action item(s)."
    )
    return Page(
        title=record.plan.title,
        headline=headline,
        tone=tone,
        facts=(
            ("game day", record.start.gameday),
            ("plan", f"{record.plan.name} ({record.start.plan_path})"),
            ("started", iso(record.started_at)),
            ("ended", iso(record.ended_at) if record.ended_at is not None else "not ended"),
            ("mode", "--auto" if record.start.auto else "people at the console"),
            ("postmortem draft", str(day.postmortem.name)),
        ),
        sections=(
            _timeline(record),
            _checkpoints(record),
            _detection(record),
            _actions(found),
            *(_run_section(day, run) for run in record.runs),
        ),
    )


def _timeline(record: GameDayRecord) -> Section:
    rows = [
        (
            clock(record, e.at),
            "" if e.run_offset is None else fig.offset(e.run_offset),
            e.who,
            e.what,
        )
        for e in record.entries
    ]
    note = "The machine's events (from each run's journal) and the people's (checkpoints, marks, comms) on one clock."
    return Section("Timeline", tables=(table("One timeline", ("game day", "run time", "who", "what"), rows, note),))


def _checkpoints(record: GameDayRecord) -> Section:
    rows = [
        (
            d.checkpoint.id,
            record.plan.roles[d.checkpoint.role].title,
            d.checkpoint.do,
            format_duration(d.checkpoint.within),
            clock(record, d.due) if d.due is not None else "-",
            f"{clock(record, d.done.at)} by {d.done.by} ({d.done.how})" if d.done is not None else "-",
            Cell(d.status, _DEADLINE_TONES[d.status]),
        )
        for d in record.deadlines
    ]
    columns = ("checkpoint", "role", "expected", "within", "due", "done", "deadline")
    return Section("Checkpoints", tables=(table("Deadlines met or missed", columns, rows),))


def _detection(record: GameDayRecord) -> Section:
    rows = [
        (
            d.fault,
            d.run,
            clock(record, d.injected_at),
            seconds(d.by_alert),
            f"{d.by_people:.1f} s ({d.person})" if d.by_people is not None else Cell("not marked", "fail"),
        )
        for d in record.detections
    ]
    columns = ("fault", "run", "injected", "alerts detected after", "people detected after")
    note = "Alerts are synthetic (the run's burn-rate rules); people detect with `chaos gameday mark detected`."
    return Section("Detection", tables=(table("Detection: alerts against people", columns, rows, note),))


def _actions(found: Findings) -> Section:
    rows = [(Cell(i.id, code=True), i.title, i.owner, i.status.value, i.detail) for i in found.actions]
    paragraphs = tuple(f"Went wrong: {line}" for line in found.went_wrong)
    return Section(
        "Action items",
        paragraphs=paragraphs,
        tables=(table("Action items", ("id", "action", "owner", "status", "found"), rows),),
    )


def _run_section(day: GameDayDir, run: RunOutcome) -> Section:
    journal = run.journal
    link = f"Its own report: {RunDir(run.run_dir).report_html.relative_to(day.path)}"
    if journal is None or journal.evaluation is None:
        return Section(f"Run {run.name}", paragraphs=(f"{run.verdict}: {run.reason}", link))
    found = impact(run)
    lines = [run_page.headline(journal), link]
    if found is not None:
        extra = fig.usd(found.extra_cost_usd) if found.extra_cost_usd is not None else "-"
        lines.append(
            f"{found.requests} requests, {found.failed} failed, {found.degraded} degraded answers, "
            f"{fig.usd(found.cost_usd)} billed ({extra} against the baseline's cost per request)."
        )
    charts = tuple(dataclasses.replace(c, name=f"{run.name}-{c.name}") for c in run_charts(journal))
    return Section(
        f"Run {run.name}: {journal.scenario_name}",
        paragraphs=tuple(lines),
        tables=(run_page.slo_table(journal.evaluation), run_page.timeline(journal)),
        charts=charts,
        key=f"run-{run.name}",
    )
