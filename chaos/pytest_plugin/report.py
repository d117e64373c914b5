"""``pytest --chaos-report PATH``: what the session exercised, as Markdown or HTML.

One page of the reports room's building blocks (``chaos.report.view``, rendered by its
templates), three tables: the fault kinds the suite injected (how often, in how many
tests), every client finding with the test that showed it, and every scenario verdict
with its run directory. A fault kind the suite never injects is listed too, as never
exercised: that is what a CI job reading the report wants to see.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from chaos.atomic import write_atomically
from chaos.pytest_plugin.session_log import SessionLog
from chaos.report.render import render_html, render_markdown
from chaos.report.view import Cell, Page, Section, Table, table
from chaos.scenario.faults import BEHAVIOURS, FaultKind

TEMPLATES = Path(__file__).parent / "templates"  # the reports room's layout, with this page's footer
TITLE = "Chaos: what this test session exercised"
VERDICT_TONES = {"pass": "pass", "fail": "fail", "inconclusive": "inconclusive", "aborted": "aborted"}


def session_page(log: SessionLog) -> Page:
    """The report as a page of the reports room's building blocks (``chaos.report.view``)."""
    failed = [v for v in log.verdicts if v["verdict"] != "pass"]
    tone = "fail" if log.findings_seen or failed else ("pass" if log.faults or log.verdicts else "")
    return Page(
        title=TITLE,
        headline=_summary(log),
        tone=tone,
        sections=(
            Section("Faults injected", tables=(_faults(log),)),
            Section("Client findings", tables=(_findings(log),)),
            Section("Scenario verdicts", tables=(_verdicts(log),)),
        ),
    )


def _faults(log: SessionLog) -> Table:
    kinds = [*BEHAVIOURS, FaultKind.NETWORK]
    injected = Counter(fault["kind"] for fault in log.faults)
    tests = {kind.value: {f["test"] for f in log.faults if f["kind"] == kind.value} for kind in kinds}
    rows = [
        (
            Cell(kind.value, code=True),
            str(injected[kind.value]) if injected[kind.value] else Cell("never exercised", tone="inconclusive"),
            str(len(tests[kind.value])),
            Cell(_example(log, kind.value), code=bool(injected[kind.value])),
        )
        for kind in kinds
    ]
    return table(
        "Each fault kind of the scenario language", ("kind", "times injected", "tests", "example settings"), rows
    )


def _findings(log: SessionLog) -> Table:
    rows = [
        (
            Cell(f["test"], code=True),
            Cell(f["kind"], tone="fail"),
            f["provider"],
            f["detail"],
            ", ".join(f["request_ids"][:5]),
        )
        for f in log.findings_seen
    ]
    note = "" if rows else "No test's providers showed a client finding."
    return table("At each test's end", ("test", "finding", "provider", "detail", "request ids"), rows, note)


def _verdicts(log: SessionLog) -> Table:
    rows = [
        (
            Cell(v["test"], code=True),
            Cell(v["scenario"], code=True),
            Cell(v["verdict"], tone=VERDICT_TONES.get(v["verdict"], "error")),
            str(v["exit_code"]),
            Cell(v["run_dir"], code=True),
        )
        for v in log.verdicts
    ]
    note = "" if rows else "No scenario was run."
    return table(
        "chaos_run and chaos_scenario", ("test", "scenario", "verdict", "exit code", "run directory"), rows, note
    )


def _example(log: SessionLog, kind: str) -> str:
    for fault in log.faults:
        if fault["kind"] == kind:
            times = f", times={fault['times']}" if fault["times"] is not None else ""
            return json.dumps(fault["settings"], sort_keys=True) + times
    return ""


def _summary(log: SessionLog) -> str:
    tests = {fault["test"] for fault in log.faults} | {v["test"] for v in log.verdicts}
    kinds = {fault["kind"] for fault in log.faults}
    return (
        f"{len(log.faults)} faults of {len(kinds)} kinds injected in {len(tests)} tests; "
        f"{len(log.findings_seen)} client findings; {len(log.verdicts)} scenario runs."
    )


def write_session_report(log: SessionLog, path: Path) -> Path:
    """Write the report (HTML if ``path`` ends in .html or .htm, else Markdown), atomically."""
    page = session_page(log)
    if path.suffix.lower() in (".html", ".htm"):
        text = render_html(page, "session.html.j2", template_dirs=[TEMPLATES])
    else:
        text = render_markdown(page, template="session.md.j2", template_dirs=[TEMPLATES])
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(path, text)
