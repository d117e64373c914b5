"""Every shipped plan, as a user runs it, in ``--auto`` on the local stack, shortened with
``--scale 0.4``: people's marks sent from another process during the run land on the
timeline in order between the machine's events; webhooks hear the run's faults and
verdict; with the gateway's cost guard broken (``--break``), the postmortem's action
items are the run's failures. And a console killed mid-run resumes: its stack (and the
faults in it) is gone, the run is judged until its last record, nothing recorded twice."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from chaos.actions import Failure, read_action_items
from chaos.journal import RunStatus, read_journal
from chaos.wilson import Verdict
from tests.gameday.receiver import receiver
from tests.gameday.test_console import wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FAULTS = {
    "provider-outage": "primary-503",
    "cost-explosion": "primary-token-inflation",
    "quality-regression": "primary-model-regression",
}


def events(day: Path) -> list[dict[str, Any]]:
    path = day / "state.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def the_day(gamedays: Path) -> Path:
    wait_for(lambda: gamedays.is_dir() and any(gamedays.iterdir()), timeout=60)
    return next(gamedays.iterdir())


def run_dir(day: Path) -> Path:
    wait_for(lambda: any(e["event"] == "run_started" for e in events(day)), timeout=60)
    return Path(next(e["run_dir"] for e in events(day) if e["event"] == "run_started"))


def injected(run: Path) -> bool:
    path = run / "events.jsonl"
    return path.exists() and '"action":"inject"' in path.read_text()


def mark(gamedays: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chaos", "gameday", "mark", *args, "--gamedays-dir", str(gamedays)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def start(plan: str, gamedays: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    argv = ["gameday", "run", f"gameday/{plan}.yaml", "--auto", "--scale", "0.4", "--gamedays-dir", str(gamedays)]
    return subprocess.Popen(
        [sys.executable, "-m", "chaos", *argv, *extra],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("plan", sorted(FAULTS))
def test_a_shipped_plan_runs_in_auto_with_marks_from_another_terminal(plan: str, tmp_path: Path) -> None:
    gamedays = tmp_path / "gamedays"
    broken = plan == "cost-explosion"
    extra = ["--set", "target.start=[python, -m, chaos.demo.gateway, --break, cost-guard]"] if broken else []
    with receiver() as rx:
        hooks = {
            name: f"{rx.url}/ok/{name}"
            for name in ("GAMEDAY_SLACK_WEBHOOK_URL", "GAMEDAY_TEAMS_WEBHOOK_URL", "GAMEDAY_WEBHOOK_URL")
        }
        console = start(plan, gamedays, *extra, env=hooks)
        day = the_day(gamedays)
        run = run_dir(day)
        wait_for(lambda: injected(run), timeout=90)
        mark(gamedays, "detected", "--by", "alice", "error rate up on the dashboard")
        mark(gamedays, "severity", "SEV-2", "--by", "bob")
        mark(gamedays, "note", "--by", "carol", "failing over by hand is not needed")
        output, _ = console.communicate(timeout=200)
        heard = [json.dumps(r.body) for r in rx.received]  # each shape names its event
    journal = read_journal(run)
    assert journal.evaluation is not None
    assert console.returncode == (1 if broken else 0), output[-3000:]
    fault = FAULTS[plan]
    timeline = (day / "timeline.md").read_text()
    order = [
        f"fault {fault} injected",
        "| alice | marked detected: error rate up on the dashboard |",
        "| bob | marked severity SEV-2 |",
        "| carol | marked note: failing over by hand is not needed |",
        f"fault {fault} restored",
        "ended: finished",
    ]
    places = [timeline.index(text) for text in order]
    assert places == sorted(places), timeline
    for event in ("gameday_started", "fault_injected", "fault_restored", "verdict", "gameday_ended"):
        assert any(event in body for body in heard), (event, heard)
    acknowledged = Counter(e["id"] for e in events(day) if e["event"] == "checkpoint")
    assert set(acknowledged.values()) == {1}  # by --auto, or by a mark that came first
    # the postmortem's action items are the run's failures, one each (every deadline met in --auto)
    failed = [
        Failure.slo(journal.scenario_name, r.slo, r.segment).action_id
        for r in journal.evaluation.slos
        if r.verdict == Verdict.FAIL
    ] + [
        Failure.expectation(journal.scenario_name, e.expectation).action_id
        for e in journal.evaluation.expectations
        if e.verdict == Verdict.FAIL
    ]
    items = read_action_items(day)
    assert items is not None
    assert [item.id for item in items.items] == failed
    postmortem = (day / "postmortem.md").read_text()
    for item in items.items:
        assert f"| {item.id} |" in postmortem
    if broken:
        forced = Failure.slo("cost-explosion", "cost_per_request", "primary-token-inflation").action_id
        assert forced in failed
    else:
        assert failed == []
        assert "not marked" not in postmortem  # people's detection is measured


def refused(url: str) -> bool:
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port), timeout=1).close()
    except OSError:
        return True
    return False


def test_a_console_killed_mid_run_resumes_with_the_run_judged_until_it_died(tmp_path: Path) -> None:
    gamedays = tmp_path / "gamedays"
    console = start("provider-outage", gamedays)
    day = the_day(gamedays)
    run = run_dir(day)
    wait_for(lambda: injected(run), timeout=90)
    console.send_signal(signal.SIGKILL)
    console.communicate(timeout=10)
    endpoints = read_journal(run).endpoints
    # The local stack died with its console (parent-death signal), and its faults with it.
    wait_for(lambda: refused(endpoints["providers_admin"]) and refused(endpoints["toxiproxy"]), timeout=15)
    before = events(day)
    resumed = start("provider-outage", gamedays)
    output, _ = resumed.communicate(timeout=120)
    assert "resuming game day" in output
    after = events(day)
    assert after[: len(before)] == before
    journal = read_journal(run)
    assert journal.status is RunStatus.REBUILT
    assert journal.rebuilt is not None
    assert "killed" in journal.rebuilt.reason
    counted = Counter((e["event"], e.get("step"), e.get("id")) for e in after)
    assert counted[("run_ended", 1, None)] == 1
    assert counted[("run_started", 1, None)] == 1
    assert all(n == 1 for (event, _, _), n in counted.items() if event in ("step_started", "step_done", "checkpoint"))
    (ended,) = [e for e in after if e["event"] == "run_ended"]
    assert ended["how"] == "rebuilt"
    assert [e["status"] for e in after if e["event"] == "ended"] == ["finished"]
    timeline = (day / "timeline.md").read_text()
    assert "resumed after the console stopped" in timeline
    assert "(rebuilt after the console died)" in timeline
