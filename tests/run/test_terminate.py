"""``terminate``: SIGTERM first, SIGKILL once the grace is over (the helper every test,
benchmark and ``chaos load`` stops a process with)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from chaos.stack.processes import terminate

STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
)


def started(code: str, *, session: bool = False) -> tuple[subprocess.Popen[bytes], bytes]:
    """The process, once it said it is ready, and what it said."""
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=session)
    assert process.stdout is not None
    line = process.stdout.readline()
    process.stdout.close()
    assert line.startswith(b"ready")
    return process, line


def test_a_process_that_stops_on_sigterm_gives_its_own_exit_code() -> None:
    process, _ = started(
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)"
    )
    assert terminate(process, grace=30) == 7


def test_a_process_that_ignores_sigterm_is_killed_once_its_grace_is_over() -> None:
    process, _ = started(STUBBORN)
    began = time.monotonic()
    assert terminate(process, grace=0.5) == -signal.SIGKILL
    assert 0.5 <= time.monotonic() - began < 10


def test_with_group_its_children_are_killed_too() -> None:
    spawner = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"child = subprocess.Popen([sys.executable, '-c', {STUBBORN!r}], stdout=subprocess.PIPE)\n"
        "child.stdout.readline()\n"
        "print('ready', child.pid, flush=True)\n"
        "time.sleep(60)"
    )
    process, said = started(spawner, session=True)
    child = int(said.split()[1])
    assert terminate(process, grace=0.2, group=True) == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_process_that_has_exited_is_left_as_it_is() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()
    assert terminate(process, grace=0.1) == 3
