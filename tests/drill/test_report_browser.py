"""The quarterly report of five fixture quarters as a reviewer sees it: headless Chromium
draws ``report.html`` at a laptop's width (as the run report's screenshot test does)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.drill.reindex import reindex
from chaos.drill.report_files import write_quarter_report
from tests.drill import five_quarters
from tests.report.test_screenshot import LAPTOP_WIDTH, MARGIN, PAGE_HEIGHT, screenshot

ROOT = Path(__file__).resolve().parents[2]
FAIL_BANNER = (255, 235, 233)  # --fail-bg of report.css: regressions and due scenarios make the headline fail

pytestmark = pytest.mark.e2e


def test_the_quarterly_report_reads_in_a_browser_at_a_laptops_width(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    five_quarters.build(runs)
    reindex(runs, runs / "history.sqlite")
    suites = sorted((ROOT / "gameday" / "drills").glob("*.yaml"))
    files = write_quarter_report(runs / "history.sqlite", "2026Q4", suites, tmp_path / "report")
    html = tmp_path / "report" / "report.html"
    assert html in files
    image = screenshot(html, tmp_path / "report.png")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 100, "a blank page"
    top = image.crop((0, 0, LAPTOP_WIDTH, 600)).getcolors(maxcolors=1 << 20)
    assert top is not None
    assert sum(count for count, colour in top if colour == FAIL_BANNER) > 20_000, "no red headline on the first screen"
    right = image.crop((LAPTOP_WIDTH - MARGIN, 0, LAPTOP_WIDTH, PAGE_HEIGHT))
    assert right.getcolors() == [(MARGIN * PAGE_HEIGHT, (255, 255, 255))], "the page is wider than a laptop"
