"""A real run's HTML report as a person sees it: Debian's headless Chromium draws
``report.html`` of a ``chaos run`` at a laptop's width, and the picture is kept in the
run directory (``report.png``), where CI keeps it as an artifact for a reviewer.

Chromium is required, not optional: CI installs it (``.ci/apt-packages``); a machine
without it fails this test, as it would fail any other missing tool of the suite. The run
directory is runs/report-screenshot/run-fallback-<run id>/, replaced by each run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from chaos.rundir import RunDir
from tests.run.harness import FALLBACK, ROOT, chaos_run

pytestmark = pytest.mark.e2e

LAPTOP_WIDTH = 1280
PAGE_HEIGHT = 5000  # the whole report: every section, every chart
PASS_BANNER = (218, 251, 225)  # --pass-bg of report.css: the verdict's banner
MARGIN = 30  # px at the right edge where nothing may be drawn: the page fits the width
ARTIFACTS = ROOT / "runs" / "report-screenshot"  # the latest run, kept after the test for CI to collect


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Debian's chromium is needed: apt-get install chromium (CI installs it from .ci/apt-packages)")
    return found


def screenshot(html: Path, png: Path) -> Image.Image:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--force-prefers-reduced-motion",
        f"--window-size={LAPTOP_WIDTH},{PAGE_HEIGHT}",
        f"--screenshot={png}",
        html.as_uri(),
    ]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert png.exists(), done.stderr[-2000:]
    return Image.open(png).convert("RGB")


def test_the_report_of_a_real_run_reads_in_a_browser_at_a_laptops_width(tmp_path: Path) -> None:
    junit = tmp_path / "ci" / "junit.xml"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # one run per runs directory: the last one's is kept
    finished = chaos_run(FALLBACK, runs_dir=ARTIFACTS, options=("--junit", str(junit)))
    assert finished.code == 0, finished.explain()
    assert finished.run_dir is not None
    files = RunDir(finished.run_dir)
    assert junit.read_text() == files.junit.read_text()  # --junit: the same file where CI wants it
    image = screenshot(files.report_html, files.screenshot)
    assert image.size == (LAPTOP_WIDTH, PAGE_HEIGHT)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 100, "a blank page"
    first_screen = image.crop((0, 0, LAPTOP_WIDTH, 600)).getcolors(maxcolors=1 << 20)
    assert first_screen is not None
    banner = sum(count for count, colour in first_screen if colour == PASS_BANNER)
    assert banner > 20_000, "the verdict's green banner is not on the first screen"
    right = image.crop((LAPTOP_WIDTH - MARGIN, 0, LAPTOP_WIDTH, PAGE_HEIGHT))
    assert right.getcolors() == [(MARGIN * PAGE_HEIGHT, (255, 255, 255))], "the page is wider than a laptop"
    print(f"screenshot: {files.screenshot}")
