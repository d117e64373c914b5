"""The report templates travel with the package: a wheel built from the tree holds every
file of ``chaos/report/templates`` (pyproject's package-data), so an installed chaos
renders the same pages as a checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from chaos.report.render import TEMPLATES

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_every_template(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w"]
    subprocess.run([*command, str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=120)
    (wheel,) = tmp_path.glob("*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(f"chaos/report/templates/{path.name}" for path in TEMPLATES.iterdir())
    assert templates
    assert [name for name in templates if name not in packaged] == []
