"""The game day's console and its state, with people in the loop and no stack: a mark
from another terminal acknowledges a checkpoint (late, so overdue is notified); a second
console is refused or follows; a console killed with SIGKILL resumes without recording
anything twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chaos.actions import Failure, read_action_items
from chaos.gameday.state import GameDayDir
from tests.gameday.receiver import receiver

PLAN = """\
version: 1
name: mini
title: Mini game day
objectives: [Practise declaring]
roles:
  incident_commander: {title: Incident commander, who: [Ann]}
severities: {SEV-1: all down, SEV-2: degraded, SEV-3: minor}
notify:
  - {name: hooks, url: "${MINI_HOOK}", format: json, timeout: 500ms, retries: 1}
steps:
  - brief: Hello
  - checkpoint: {id: declare, role: incident_commander, do: Declare, within: 1s, records: [severity], mark: severity}
  - wait: {for: WAIT}
  - debrief: ["What surprised you?"]
"""


def chaos(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "chaos", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def state(gamedays: Path) -> list[dict[str, Any]]:
    days = list(gamedays.glob("mini-*"))
    if not days or not (days[0] / "state.jsonl").exists():
        return []
    return [json.loads(line) for line in (days[0] / "state.jsonl").read_text().splitlines()]


def has(gamedays: Path, event: str, **fields: Any) -> bool:
    return any(e["event"] == event and all(e.get(k) == v for k, v in fields.items()) for e in state(gamedays))


def setup(tmp_path: Path, wait: str = "1s") -> tuple[Path, Path]:
    plan = tmp_path / "mini.yaml"
    plan.write_text(PLAN.replace("WAIT", wait), encoding="utf-8")
    return plan, tmp_path / "gamedays"


def test_a_mark_from_another_terminal_acknowledges_a_late_checkpoint(tmp_path: Path) -> None:
    plan, gamedays = setup(tmp_path)
    with receiver() as rx:
        console = chaos(
            "gameday",
            "run",
            str(plan),
            "--gamedays-dir",
            str(gamedays),
            env={**os.environ, "MINI_HOOK": f"{rx.url}/ok/mini"},
        )
        wait_for(lambda: has(gamedays, "step_started", step=1))
        wait_for(lambda: any(b["event"] == "checkpoint_overdue" for b in rx.bodies("/ok/")))
        wrong = subprocess.run(
            [
                sys.executable,
                "-m",
                "chaos",
                "gameday",
                "mark",
                "severity",
                "SEV-9",
                "--by",
                "bob",
                "--gamedays-dir",
                str(gamedays),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert wrong.returncode == 2
        assert "one of SEV-1, SEV-2, SEV-3" in wrong.stderr
        marked = subprocess.run(
            [
                sys.executable,
                "-m",
                "chaos",
                "gameday",
                "mark",
                "severity",
                "SEV-2",
                "--by",
                "bob",
                "--gamedays-dir",
                str(gamedays),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert marked.returncode == 0, marked.stdout + marked.stderr
        output, _ = console.communicate(timeout=30)
        assert console.returncode == 1, output  # a late checkpoint
        events = [b["event"] for b in rx.bodies("/ok/")]
    assert events == ["gameday_started", "checkpoint_overdue", "gameday_ended"]
    (day,) = gamedays.iterdir()
    (done,) = [e for e in state(gamedays) if e["event"] == "checkpoint"]
    (mark,) = [e for e in state(gamedays) if e["event"] == "mark"]
    assert (done["by"], done["how"], done["severity"], done["at"]) == ("bob", "mark", "SEV-2", mark["at"])
    assert mark["pid"] != console.pid
    items = read_action_items(day)
    assert items is not None
    assert [item.id for item in items.items] == [Failure.checkpoint("mini", "declare").action_id]
    postmortem = (day / "postmortem.md").read_text()
    assert "| declare | incident_commander | Declare | 1s |" in postmortem
    assert "**late** |" in postmortem
    assert "marked severity SEV-2" in (day / "timeline.md").read_text()


def test_a_second_console_is_refused_or_follows_and_marks_after_the_end_are_refused(tmp_path: Path) -> None:
    plan, gamedays = setup(tmp_path, wait="3s")
    first = chaos("gameday", "run", str(plan), "--auto", "--gamedays-dir", str(gamedays))
    wait_for(lambda: has(gamedays, "step_started", step=2))
    second = subprocess.run(
        [sys.executable, "-m", "chaos", "gameday", "run", str(plan), "--auto", "--gamedays-dir", str(gamedays)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert second.returncode == 2
    assert f"is being run by another console (pid {first.pid})" in second.stderr
    follower = chaos("gameday", "run", str(plan), "--attach", "--gamedays-dir", str(gamedays))
    followed, _ = follower.communicate(timeout=30)
    first.communicate(timeout=30)
    assert first.returncode == 0
    assert follower.returncode == 0
    assert '"event":"ended"' in followed.splitlines()[-1]
    late = subprocess.run(
        [
            sys.executable,
            "-m",
            "chaos",
            "gameday",
            "mark",
            "note",
            "too",
            "late",
            "--by",
            "x",
            "--gameday",
            str(next(gamedays.iterdir())),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert late.returncode == 2
    assert "has ended" in late.stderr


def test_a_killed_console_resumes_and_records_nothing_twice(tmp_path: Path) -> None:
    plan, gamedays = setup(tmp_path, wait="4s")
    first = chaos("gameday", "run", str(plan), "--auto", "--gamedays-dir", str(gamedays))
    wait_for(lambda: has(gamedays, "step_started", step=2))
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    (day,) = gamedays.iterdir()
    assert GameDayDir(day).holder() is None
    before = state(gamedays)
    resumed = chaos("gameday", "run", str(plan), "--auto", "--gamedays-dir", str(gamedays))
    output, _ = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, output
    assert "resuming game day" in output
    after = state(gamedays)
    assert after[: len(before)] == before  # appended to, never rewritten
    kinds = Counter((e["event"], e.get("step"), e.get("id")) for e in after)
    assert kinds[("started", None, None)] == 1
    assert kinds[("resumed", None, None)] == 1
    assert kinds[("checkpoint", 1, "declare")] == 1
    assert all(count == 1 for (event, _, _), count in kinds.items() if event in ("step_started", "step_done"))
    assert [e["status"] for e in after if e["event"] == "ended"] == ["finished"]


def test_a_failing_or_hanging_webhook_changes_neither_the_outcome_nor_the_timing(tmp_path: Path) -> None:
    plan, _ = setup(tmp_path, wait="2s")
    outcomes = {}
    with receiver() as rx:
        for kind in ("ok", "fail", "hang"):
            gamedays = tmp_path / kind
            started = time.monotonic()
            console = chaos(
                "gameday",
                "run",
                str(plan),
                "--auto",
                "--gamedays-dir",
                str(gamedays),
                env={**os.environ, "MINI_HOOK": f"{rx.url}/{kind}/mini"},
            )
            console.communicate(timeout=60)
            took = time.monotonic() - started
            steps = state(gamedays)
            outcomes[kind] = (console.returncode, steps[-1]["status"], steps[-1]["at"] - steps[0]["at"], took)
        attempts = Counter(r.path for r in rx.received)
    assert [outcomes[kind][:2] for kind in ("ok", "fail", "hang")] == [(0, "finished")] * 3
    for kind in ("fail", "hang"):
        # the steps took as long as with a healthy receiver: 2 s of wait, give or take
        assert 2.0 <= outcomes[kind][2] < outcomes["ok"][2] + 0.5
        # and the process at most the last notice's bounded retry longer (0.5 s x 2 + 0.25 s, + 0.5 s)
        assert outcomes[kind][3] < outcomes["ok"][3] + 1.75 + 1.0
    assert attempts["/fail/mini"] == 2 * 2  # two notices (started, ended), each tried twice
