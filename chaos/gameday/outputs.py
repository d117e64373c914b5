"""What a game day leaves in its directory once it ends: the merged timeline, the
postmortem draft (Markdown, from ``templates/postmortem.md.j2``), the action items
(``chaos.actions``) and the game-day report (``report.py``). All are views of the state and the runs'
journals, and can be written again at any time (``chaos gameday report DIR``).
"""

from __future__ import annotations

import jinja2

from chaos.actions import ACTION_ITEMS_FILE, write_action_items
from chaos.gameday.findings import Findings, findings, impact
from chaos.gameday.plan import DebriefStep, Plan
from chaos.gameday.report import write_gameday_report
from chaos.gameday.state import CheckpointDone, GameDayDir, Mark
from chaos.gameday.timeline import GameDayRecord, clock, read_record, seconds
from chaos.journal import iso
from chaos.scenario.units import format_duration


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("chaos.gameday", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def write_outputs(day: GameDayDir, plan: Plan) -> tuple[GameDayRecord, Findings]:
    record = read_record(day, plan)
    source = f"gameday {plan.name} {record.start.gameday} ({day.path})"
    found = findings(record, source)
    write_action_items(day.path, source, found.actions)
    day.postmortem.write_text(render_postmortem(record, found), encoding="utf-8")
    day.timeline.write_text(render_timeline(record), encoding="utf-8")
    write_gameday_report(day, record, found)
    return record, found


def _context(record: GameDayRecord, found: Findings) -> dict[str, object]:
    judged = [d for d in record.deadlines if d.status != "no anchor"]
    severities = [e.severity for e in record.events if isinstance(e, CheckpointDone | Mark) and e.severity]
    return {
        "plan": record.plan,
        "start": record.start,
        "status": record.status,
        "started": iso(record.started_at),
        "ended": iso(record.ended_at) if record.ended_at is not None else "not ended",
        "runs": record.runs,
        "impacts": [i for i in (impact(run) for run in record.runs) if i is not None],
        "detections": record.detections,
        "deadlines": record.deadlines,
        "deadlines_met": sum(d.status == "met" for d in judged),
        "deadlines_judged": len(judged),
        "entries": record.entries,
        "findings": found,
        "severities": severities,
        "debrief": [q for step in record.plan.steps if isinstance(step, DebriefStep) for q in step.debrief],
        "action_file": ACTION_ITEMS_FILE,
        "clock": lambda at: clock(record, at),
        "seconds": seconds,
        "duration": format_duration,
    }


def render_postmortem(record: GameDayRecord, found: Findings) -> str:
    return _environment().get_template("postmortem.md.j2").render(**_context(record, found))


def render_timeline(record: GameDayRecord) -> str:
    lines = [
        f"# Timeline: {record.plan.title}",
        "",
        f"Game day `{record.start.gameday}`, started {iso(record.started_at)}; {record.status}.",
        "",
        "| game day | run time | who | what |",
        "|---|---|---|---|",
    ]
    for entry in record.entries:
        offset = "" if entry.run_offset is None else f"t+{entry.run_offset:.1f}s"
        lines.append(f"| {clock(record, entry.at)} | {offset} | {entry.who} | {entry.what} |")
    return "\n".join(lines) + "\n"
