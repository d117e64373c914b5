"""Incident comms: a pre-authored Jinja2 template rendered with the game day's live figures.

A template may name only the figures ``CommsFigures`` holds (``chaos gameday plan``
refuses any other name, located in the template), and every figure a run has not yet
measured renders as "unknown", never as an empty string in a customer notice.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import jinja2.meta
from pydantic import BaseModel, ConfigDict, Field

from chaos.errors import Problem


class CommsFigures(BaseModel):
    """What a comms template can say. Shares are fractions; ``*_text`` are for people."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(description="The plan's title.")
    gameday: str = Field(description="The game day's id.")
    now: str = Field(description="UTC, e.g. 2026-12-07 14:02 UTC.")
    elapsed: str = Field(description="Since the game day started, e.g. 4m12s.")
    severity: str = Field(description="The latest severity declared, or 'not declared'.")
    incident_commander: str = Field(description="Who holds the role incident_commander, if the plan has it.")
    run: str = Field(description="The scenario run going on (or the last one), or 'none'.")
    active_faults: str = Field(description="Faults in effect now, comma-separated, or 'none'.")
    segment: str = Field(description="The segment the run is in now (baseline, a fault's name, recovery, ...).")
    requests: int = Field(description="Requests answered or failed so far in the run.")
    failed: int = Field(description="Of those, failed.")
    availability: str = Field(description="Good share of the run's requests so far, e.g. 97.1%.")
    availability_now: str = Field(description="Over the last 10 s.")
    degraded_share: str = Field(description="Cached or canned answers so far.")
    serving: str = Field(description="Who served most answers over the last 10 s.")
    served_by: str = Field(description="Shares over the last 10 s, e.g. secondary 98%, failed 2%.")
    alerts: str = Field(description="Synthetic alerts firing now, or 'none'.")
    cost_usd: str = Field(description="Billed so far in the run, e.g. $0.41.")


COMMS_FIELDS = frozenset(CommsFigures.model_fields)


def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown and plain text, posted as written
    )


def check_template(path: Path) -> list[Problem]:
    """Problems with a comms template: missing, not Jinja2, or naming an unknown figure."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [Problem(str(path), None, None, "", f"cannot read the template: {exc.strerror or exc}")]
    try:
        parsed = _environment(path.parent).parse(text)
    except jinja2.TemplateSyntaxError as exc:
        return [Problem(str(path), exc.lineno, None, "", f"not a valid Jinja2 template: {exc.message}")]
    problems = []
    for name in sorted(jinja2.meta.find_undeclared_variables(parsed) - COMMS_FIELDS):
        line = next((n for n, row in enumerate(text.splitlines(), 1) if name in row), None)
        problems.append(
            Problem(str(path), line, None, "", f"unknown figure {name!r}; one of: {', '.join(sorted(COMMS_FIELDS))}")
        )
    return problems


def render(path: Path, figures: CommsFigures) -> str:
    template = _environment(path.parent).get_template(path.name)
    return template.render(**figures.model_dump())
