"""``pytest --chaos-report PATH``: what the session exercised, as Markdown or HTML.

One page, three tables: the fault kinds the suite injected (how often, in how many
tests), every client finding with the test that showed it, and every scenario verdict
with its run directory. A fault kind the suite never injects is listed too, as never
exercised: that is what a CI job reading the report wants to see.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from chaos.pytest_plugin.session_log import SessionLog
from chaos.scenario.faults import BEHAVIOURS, FaultKind


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    empty: str


def tables(log: SessionLog) -> list[Table]:
    kinds = [*BEHAVIOURS, FaultKind.NETWORK]
    injected = Counter(fault["kind"] for fault in log.faults)
    tests = {kind.value: {f["test"] for f in log.faults if f["kind"] == kind.value} for kind in kinds}
    faults = Table(
        "Faults injected",
        ("kind", "times injected", "tests", "example settings"),
        [
            (
                kind.value,
                str(injected[kind.value]) if injected[kind.value] else "never exercised",
                str(len(tests[kind.value])),
                _example(log, kind.value),
            )
            for kind in kinds
        ],
        "",
    )
    findings = Table(
        "Client findings",
        ("test", "finding", "provider", "detail", "request ids"),
        [
            (f["test"], f["kind"], f["provider"], f["detail"], ", ".join(f["request_ids"][:5]))
            for f in log.findings_seen
        ],
        "No test's providers showed a client finding.",
    )
    verdicts = Table(
        "Scenario verdicts",
        ("test", "scenario", "verdict", "exit code", "run directory"),
        [(v["test"], v["scenario"], v["verdict"], str(v["exit_code"]), v["run_dir"]) for v in log.verdicts],
        "No scenario was run.",
    )
    return [faults, findings, verdicts]


def _example(log: SessionLog, kind: str) -> str:
    for fault in log.faults:
        if fault["kind"] == kind:
            times = f", times={fault['times']}" if fault["times"] is not None else ""
            return json.dumps(fault["settings"], sort_keys=True) + times
    return ""


def markdown(log: SessionLog) -> str:
    lines = ["# Chaos: what this test session exercised", "", _summary(log)]
    for table in tables(log):
        lines += ["", f"## {table.title}", ""]
        if not table.rows:
            lines.append(table.empty)
            continue
        lines.append("| " + " | ".join(table.headers) + " |")
        lines.append("|" + "---|" * len(table.headers))
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def html_page(log: SessionLog) -> str:
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Chaos: what this test session exercised</title>',
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}"
        "table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;"
        "text-align:left;vertical-align:top}th{background:#f3f3f3}</style></head><body>",
        "<h1>Chaos: what this test session exercised</h1>",
        f"<p>{html.escape(_summary(log))}</p>",
    ]
    for table in tables(log):
        parts.append(f"<h2>{html.escape(table.title)}</h2>")
        if not table.rows:
            parts.append(f"<p>{html.escape(table.empty)}</p>")
            continue
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in table.headers)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _summary(log: SessionLog) -> str:
    tests = {fault["test"] for fault in log.faults} | {v["test"] for v in log.verdicts}
    kinds = {fault["kind"] for fault in log.faults}
    return (
        f"{len(log.faults)} faults of {len(kinds)} kinds injected in {len(tests)} tests; "
        f"{len(log.findings_seen)} client findings; {len(log.verdicts)} scenario runs."
    )


def write_session_report(log: SessionLog, path: Path) -> Path:
    """Write the report (HTML if ``path`` ends in .html or .htm, else Markdown), atomically."""
    text = html_page(log) if path.suffix.lower() in (".html", ".htm") else markdown(log)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
