"""The files a capacity command writes into its output folder: the figures as JSON (the
record every report is a view of), and the reports, named as a run's are (``RunDir``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from chaos.atomic import write_atomically
from chaos.report.files import write_markdown
from chaos.report.render import render_html
from chaos.report.view import Page
from chaos.rundir import RunDir

FORECAST_FILE = "forecast.json"
PROBE_FILE = "probe.json"


def write_outputs(out_dir: Path, record_name: str, record: BaseModel, page: Page) -> list[Path]:
    """``record`` as JSON, then ``report.html`` and ``report.md`` (its charts in ``charts/``)."""
    files = RunDir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_atomically(out_dir / record_name, record.model_dump_json(indent=2))]
    written.append(write_atomically(files.report_html, render_html(page)))
    written += write_markdown(page, files)
    return written
