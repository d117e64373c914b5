"""The report files of a run: what ``chaos run`` and ``chaos report`` write, and what game
days and drills call to render a run.

    write_reports(journal, out_dir)          report.html, report.md + charts/, junit.xml
    load_journal(path)                       a journal file or run directory, or a clear error

Every file is rendered from the journal alone (its per-second buckets for the charts),
so a report says what the exit code says. Names come from ``chaos.rundir.RunDir``; each file
is written whole or not at all (``chaos.atomic.write_atomically``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path

from pydantic import ValidationError

from chaos.atomic import write_atomically
from chaos.errors import ChaosError
from chaos.journal import Journal, parse_journal
from chaos.report.junit import render_junit
from chaos.report.render import render_html, render_markdown
from chaos.report.run_page import run_page
from chaos.report.view import Chart, Page
from chaos.rundir import RunDir


class Format(StrEnum):
    HTML = "html"
    MD = "md"
    JUNIT = "junit"


ALL_FORMATS: tuple[Format, ...] = tuple(Format)


def parse_formats(text: str) -> tuple[Format, ...]:
    """``md,html`` -> the formats, in the order given; a clear error for an unknown one."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in {f.value for f in Format}]
    if unknown or not names:
        known = ", ".join(f.value for f in Format)
        raise ChaosError(f"--format {text!r}: unknown format {', '.join(unknown) or '(none given)'}; known: {known}")
    return tuple(dict.fromkeys(Format(name) for name in names))


def load_journal(path: Path) -> Journal:
    """The journal at ``path`` (a ``journal.json``, or a run directory holding one); a
    ``ChaosError`` (exit 2) for a path that holds none, a file that is not a journal, or a
    journal of another schema version."""
    file = RunDir(path).journal if path.is_dir() else path
    try:
        return parse_journal(file)
    except FileNotFoundError:
        raise ChaosError(
            f"{file}: no such journal", hint="give a run directory (runs/<scenario>-<run id>) or its journal.json"
        ) from None
    except OSError as exc:
        raise ChaosError(f"{file} cannot be read: {exc.strerror}") from None
    except (ValueError, ValidationError) as exc:
        first = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise ChaosError(f"{file} is not a chaos journal: {first}") from None


def run_charts(journal: Journal) -> list[Chart]:
    """The run's charts (matplotlib imported here, and only here)."""
    if journal.evaluation is None:
        return []
    from chaos.report.charts import run_charts as draw

    return draw(journal.evaluation)


def write_reports(
    journal: Journal, out_dir: Path, formats: Iterable[Format] = ALL_FORMATS, *, junit_to: Path | None = None
) -> list[Path]:
    """Render ``journal`` into ``out_dir`` in each of ``formats`` (and the JUnit XML also
    to ``junit_to``); return the files written."""
    formats = tuple(formats)
    files = RunDir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if junit_to is not None:
        junit_to.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    page: Page | None = None
    if Format.HTML in formats or Format.MD in formats:
        page = run_page(journal, run_charts(journal))
    if Format.HTML in formats and page is not None:
        written.append(write_atomically(files.report_html, render_html(page)))
    if Format.MD in formats and page is not None:
        written += write_markdown(page, files)
    junit = render_junit([journal]) if Format.JUNIT in formats or junit_to is not None else None
    if Format.JUNIT in formats and junit is not None:
        written.append(write_atomically(files.junit, junit))
    if junit_to is not None and junit is not None:
        written.append(write_atomically(junit_to, junit))
    return written


def write_markdown(page: Page, files: RunDir, path: Path | None = None) -> list[Path]:
    """The Markdown report (``files.report_md``, or ``path`` in the same folder) and its
    charts beside it in ``files.charts``, as SVG files it links to."""
    if page.charts:
        files.charts.mkdir(parents=True, exist_ok=True)
    charts = [write_atomically(files.chart(chart.name), chart.svg) for chart in page.charts]
    relative = files.charts.relative_to(files.path).as_posix()
    return [write_atomically(path or files.report_md, render_markdown(page, chart_dir=relative)), *charts]


def write_comparison(a: Journal, b: Journal, out_dir: Path, formats: Iterable[Format] = ALL_FORMATS) -> list[Path]:
    """``comparison.html`` and ``comparison.md`` (its charts in ``charts/``) of run B against
    run A, into ``out_dir``; JUnit has no comparison and is skipped."""
    from chaos.report.compare import COMPARISON_HTML, COMPARISON_MD, compare_page

    formats = tuple(formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts: list[Chart] = []
    if a.evaluation is not None and b.evaluation is not None:
        from chaos.report.charts import compare_charts

        charts = compare_charts(a.evaluation, b.evaluation)
    page = compare_page(a, b, charts)
    written = []
    if Format.HTML in formats:
        written.append(write_atomically(out_dir / COMPARISON_HTML, render_html(page)))
    if Format.MD in formats:
        written += write_markdown(page, RunDir(out_dir), out_dir / COMPARISON_MD)
    return written


def suite_junit(journals: Sequence[Journal], path: Path) -> Path:
    """One JUnit file for a suite of runs: a testsuite per scenario."""
    return write_atomically(path, render_junit(journals))
