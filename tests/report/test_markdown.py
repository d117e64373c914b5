"""The Markdown report: the HTML report's content as GitHub-flavoured tables, each chart an
SVG file beside it that the report links to."""

from __future__ import annotations

import re
from pathlib import Path

from chaos.report.files import write_reports
from chaos.report.render import render_markdown
from chaos.report.view import Page, Section, table
from chaos.rundir import RunDir
from tests.report import journals
from tests.report.html_tree import parse, rows, tables


def markdown_tables(text: str) -> dict[str, list[list[str]]]:
    """Each table under its ``### title``, as rows of cells (the separator row left out)."""
    found: dict[str, list[list[str]]] = {}
    title = None
    for line in text.splitlines():
        if line.startswith("### "):
            title = line[4:]
        elif line.startswith("|") and title is not None and not re.fullmatch(r"\|(---\|)+", line):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            found.setdefault(title, []).append([cell.strip() for cell in cells])
    return found


def test_the_markdown_holds_the_html_reports_tables_row_for_row(tmp_path: Path) -> None:
    write_reports(journals.failing(), tmp_path)
    files = RunDir(tmp_path)
    markdown = markdown_tables(files.report_md.read_text(encoding="utf-8"))
    html = tables(parse(files.report_html.read_text(encoding="utf-8")))
    assert set(html) <= set(markdown)
    for title, element in html.items():
        assert len(markdown[title]) == len(rows(element)), title
    outage = next(row for row in markdown["SLOs by segment"] if row[:2] == ["availability", "outage"])
    assert outage == ["availability", "outage", "&gt;= 95%", "160 of 200", "80.0% of 200", "[73.9%, 85.0%]", "❌ fail"]


def test_each_chart_is_a_file_beside_the_report_that_it_links_to(tmp_path: Path) -> None:
    written = write_reports(journals.passing(), tmp_path)
    files = RunDir(tmp_path)
    text = files.report_md.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == [f"charts/{name}.svg" for name in ("throughput", "latency", "served", "cost")]
    for link in links:
        chart = tmp_path / link
        assert chart in written
        assert chart.read_text(encoding="utf-8").startswith("<svg")
    assert text.startswith("# test: pass\n")
    assert "> ✅ **PASS: every SLO and expectation passed**" in text


def test_a_pipe_in_a_cell_does_not_split_it_and_code_keeps_its_text() -> None:
    page = Page(
        "t",
        "h",
        "pass",
        sections=(Section("s", tables=(table("cells", ("a", "b"), [("x | y", "<b>")]),)),),
    )
    text = render_markdown(page)
    assert "| x \\| y | &lt;b&gt; |" in text
    assert markdown_tables(text)["cells"] == [["a", "b"], ["x \\| y", "&lt;b&gt;"]]


def test_the_scenario_is_fenced_even_when_it_holds_backticks() -> None:
    page = Page("t", "h", "pass", sections=(Section("s", code="a: ```b```\n"),))
    assert "````\na: ```b```\n````" in render_markdown(page)
