"""The HTML report of hand-made journals, parsed as a browser would: every section, every
table with the journal's figures, each chart an inline SVG with data in it and the fault
windows shaded, nothing fetched from anywhere, and the secret never written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chaos.report.files import write_reports
from chaos.report.render import render_html
from chaos.report.run_page import run_page
from chaos.rundir import RunDir
from tests.report import journals
from tests.report.html_tree import by_id, parse, rows, tables, text

CHARTS = ("throughput", "latency", "served", "cost")
SECTIONS = ("summary", "charts", "detail", "run")


def report(name: str, tmp_path: Path) -> str:
    """The report.html ``write_reports`` writes for the fixture journal ``name``."""
    write_reports(journals.ALL[name](), tmp_path)
    return RunDir(tmp_path).report_html.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["pass", "fail", "inconclusive", "aborted", "killed"])
def test_every_section_and_chart_of_a_judged_run(name: str, tmp_path: Path) -> None:
    root = parse(report(name, tmp_path))
    assert [section.get("id") for section in root.iter("section")] == list(SECTIONS)
    verdict = by_id(root, "verdict")
    tone = "aborted" if name == "killed" else name
    assert verdict.get("class") == f"verdict tone-{tone}"
    assert text(verdict).startswith(tone.upper() + ":")
    assert {text(h3) for h3 in root.iter("h3")} >= {
        "Who served during each fault",
        "SLOs by segment",
        "Expectations",
        "Time to detect, mitigate and recover",
        "Alerts fired and cleared",
        "Fault timeline: intended and actual",
        "Segments",
        "What each provider saw and billed",
        "Versions",
    }
    for chart in CHARTS:
        figure = by_id(root, f"chart-{chart}")
        assert figure.find("svg") is not None, chart


def test_the_slo_table_carries_the_journals_figures_and_verdicts(tmp_path: Path) -> None:
    """160 of 200 good in the outage against 95%: Wilson [73.9%, 85.0%], a fail; the
    headline figure of availability is its worst segment's."""
    root = parse(report("fail", tmp_path))
    slo_rows = rows(tables(root)["SLOs by segment"])
    assert slo_rows[0] == ["SLO", "segment", "objective", "good", "measured", "Wilson 95%", "verdict"]
    assert ["availability", "outage", ">= 95%", "160 of 200", "80.0% of 200", "[73.9%, 85.0%]", "fail"] in slo_rows
    assert ["availability", "baseline", ">= 95%", "300 of 300", "100.0% of 300", "[98.7%, 100.0%]", "pass"] in slo_rows
    figures = [text(card) for card in root.iter("div") if card.get("class", "").startswith("figure tone-")]
    assert figures[0] == "availability 80.0% in outage objective >= 95% · fail"
    findings = rows(tables(root)["Client findings"])
    assert findings[1] == [
        "hammering failed provider",
        "primary",
        "kept calling primary after it failed",
        "r401, r402, r403",
    ]


def test_alerts_fired_and_cleared_are_listed(tmp_path: Path) -> None:
    """A fifth of the outage's requests fail: a 2x burn-rate rule on 95% fires during it and clears after."""
    alert_rows = rows(tables(parse(report("fail", tmp_path)))["Alerts fired and cleared"])
    assert alert_rows[0] == ["rule", "severity", "SLO", "fired", "cleared"]
    assert [row[:3] for row in alert_rows[1:]] == [["page 2x 10s/2s", "page", "availability"]]


def test_an_inconclusive_slo_says_why(tmp_path: Path) -> None:
    root = parse(report("inconclusive", tmp_path))
    slo_rows = rows(tables(root)["SLOs by segment"])
    outage = next(row for row in slo_rows if row[:2] == ["availability", "outage"])
    assert outage[-1] == "inconclusive: the Wilson 95% interval [83.9%, 100.0%] contains the objective 95.00%"


def test_a_rebuilt_run_says_it_was_rebuilt_and_where_its_timeline_ended(tmp_path: Path) -> None:
    run = by_id(parse(report("killed", tmp_path)), "run")
    assert "Rebuilt by chaos report: the run was killed before it finished its journal" in text(run)
    assert "judged until t+25.6s" in text(run)


def test_each_chart_draws_its_series_and_shades_the_fault_window(tmp_path: Path) -> None:
    """The outage ran from 40 s to 60 s of a 105 s timeline: every chart shades it, once."""
    root = parse(report("fail", tmp_path))
    for chart in CHARTS:
        svg = by_id(root, f"chart-{chart}").find("svg")
        assert svg is not None
        series = [g for g in svg.iter("g") if g.get("id", "").startswith(f"{chart}-series-")]
        assert series, chart
        points = max(len(re.findall(r"[ML]", path.get("d", ""))) for g in series for path in g.iter("path"))
        assert points >= 50, f"{chart}: {points} points"  # a second each, 10 s to 100 s
        windows = [g for g in svg.iter("g") if g.get("id", "").startswith(f"{chart}-fault-")]
        assert [g.get("id") for g in windows] == [f"{chart}-fault-outage"]
        assert windows[0].find("path") is not None
        assert "fault: outage" in text(svg)  # its legend


def test_the_burn_rate_chart_draws_each_rule_against_its_factor(tmp_path: Path) -> None:
    """The failing run's one rule (page, 2x over 10 s) for availability: its burn rate,
    its factor as a dashed line, the outage shaded; the passing run has no rule, no chart."""
    svg = by_id(parse(report("fail", tmp_path / "fail")), "chart-burn-availability").find("svg")
    assert svg is not None
    ids = [g.get("id", "") for g in svg.iter("g")]
    assert {"burn-availability-series-0", "burn-availability-threshold-0", "burn-availability-fault-outage"} <= set(ids)
    assert "page 2x 10s/2s" in text(svg)
    passing = parse(report("pass", tmp_path / "pass"))
    assert [f.get("id") for f in passing.iter("figure")] == [f"chart-{name}" for name in CHARTS]


def test_the_page_needs_nothing_from_outside_and_no_script(tmp_path: Path) -> None:
    html = report("pass", tmp_path)
    root = parse(html)
    assert list(root.iter("script")) == []
    assert [e.tag for e in root.iter() if e.tag in ("link", "img", "iframe", "object")] == []
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert not re.search(r"url\((?!#)", html)  # the SVGs' clip paths point inside the page
    assert "@import" not in html
    assert "prefers-color-scheme: dark" in html
    assert "@media print" in html


def test_a_run_that_never_started_says_so_without_figures_or_charts(tmp_path: Path) -> None:
    root = parse(report("not-started", tmp_path))
    assert text(by_id(root, "verdict")).startswith("Not started: the target did not answer 2xx within 2 s")
    assert [section.get("id") for section in root.iter("section")] == ["run"]
    assert list(root.iter("svg")) == []
    assert not RunDir(tmp_path).charts.exists()


def test_the_secret_stays_a_reference_in_every_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sentinel = "sentinel-report-secret-value"
    monkeypatch.setenv(journals.SECRET_ENV, sentinel)
    for name, make in journals.ALL.items():
        written = write_reports(make(), tmp_path / name)
        assert written
        for path in written:
            assert sentinel not in path.read_text(encoding="utf-8"), path
        html = RunDir(tmp_path / name).report_html.read_text(encoding="utf-8")
        assert f"Authorization: Bearer {journals.REFERENCE}" in html  # the scenario as written


def test_text_from_the_scenario_is_escaped(tmp_path: Path) -> None:
    journal = journals.passing()
    journal.scenario_text += "description: <script>alert(1)</script>\n"
    html = render_html(run_page(journal))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
