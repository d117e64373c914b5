"""The README's probe, as a user runs it, against the reference gateway and a mock
provider whose quota admits 8 requests a second: the knee it finds is the quota, within
one step (2 a second), the quota saturated, and the burst above the knee judged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "chaos capacity probe examples/capacity/probe.yaml"
QUOTA = 8  # requests a second: examples/capacity/probe.yaml
STEP = 2


@pytest.mark.e2e
def test_the_knee_is_the_quota_within_a_step(tmp_path: Path) -> None:
    assert COMMAND in (ROOT / "README.md").read_text(encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "chaos", *COMMAND.split()[1:], "--runs-dir", str(tmp_path), "-o", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((tmp_path / "out" / "probe.json").read_text(encoding="utf-8"))
    knee = result["knee"]
    assert knee["rate"] is not None, knee
    assert abs(knee["rate"] - QUOTA) <= STEP, knee
    assert knee["broken_rate"] == knee["rate"] + STEP
    assert knee["broke_first"] == "availability"
    assert "quota" in knee["saturated"], knee["saturated"]
    assert "The knee: " in done.stdout
    burst = result["burst"]
    assert burst["rate"] == pytest.approx(1.5 * knee["rate"])
    assert burst["shed"] > 0  # half again the knee's rate: the quota refuses what is over it
    assert burst["http_429_to_users"] == 0  # the gateway answers canned rather than pass a 429 on
    assert isinstance(burst["recovery"], float), burst["recovery"]  # back within the 16 s after it
    assert (tmp_path / "out" / "report.html").is_file()
    assert (tmp_path / "out" / "charts" / "probe-steps.svg").is_file()
