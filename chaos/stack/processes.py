"""Child processes of a run: started with their output captured, stopped for sure.

Every child gets a parent-death signal (Linux ``PR_SET_PDEATHSIG``), so that it dies
with the orchestrator even when the orchestrator is killed with SIGKILL and no cleanup
code runs; a process group alone would not do that. Each child's stdout and stderr go
to its log file (``RunDir.log(name)``), and its environment carries ``CHAOS_RUN_ID``: the mark by
which anything a run left running can be found (``/proc/*/environ``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from chaos.errors import EnvironmentProblem
from chaos.stack.parent import die_with_parent

RUN_ID_ENV = "CHAOS_RUN_ID"


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


async def spawn(
    name: str,
    argv: Sequence[str],
    *,
    log_path: Path,
    run_id: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Child:
    """Start ``argv`` with its output in ``log_path`` and ``CHAOS_RUN_ID=run_id`` in its
    environment (``env``, or this process's); it dies with this process."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env={**(os.environ if env is None else env), RUN_ID_ENV: run_id},
                cwd=cwd,
                preexec_fn=functools.partial(die_with_parent, os.getpid()),
                start_new_session=True,
            )
        except OSError as exc:
            raise EnvironmentProblem(f"cannot start {name} ({argv[0]}): {exc.strerror}") from exc
    return Child(name, process, log_path)


async def stop(child: Child, *, grace: float = 5.0) -> int | None:
    """SIGTERM the child's process group, SIGKILL it after ``grace``; returns the exit code."""
    if child.running:
        _signal_group(child, signal.SIGTERM)
        try:
            await asyncio.wait_for(child.process.wait(), grace)
        except TimeoutError:
            _signal_group(child, signal.SIGKILL)
            await child.process.wait()
    else:
        _signal_group(child, signal.SIGKILL)  # whatever it left behind in its group
    return child.process.returncode


def terminate(process: subprocess.Popen[Any], *, grace: float, group: bool = False) -> int:
    """``stop`` for a process started with ``subprocess``: SIGTERM it, and SIGKILL it (its
    whole process group with ``group``) if it has not exited ``grace`` seconds later;
    returns its exit code."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(grace)
    except subprocess.TimeoutExpired:
        if group:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        return process.wait()


def _signal_group(child: Child, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


async def wait_ready_file(child: Child, path: Path, *, timeout: float) -> dict[str, Any]:
    """Wait until ``child`` writes its ready-file (a JSON object) and return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running:
            raise EnvironmentProblem(
                f"{child.name} exited with code {child.process.returncode} before it was ready",
                hint=f"its output ({child.log_path}):\n{child.log_tail()}",
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            await asyncio.sleep(0.05)
            continue
        if isinstance(data, dict):
            return data
        await asyncio.sleep(0.05)
    raise EnvironmentProblem(
        f"{child.name} was not ready after {timeout:g} s", hint=f"its output ({child.log_path}):\n{child.log_tail()}"
    )


async def wait_healthy(
    url: str,
    *,
    timeout: float,
    child: Child | None = None,
    headers: Mapping[str, str] | None = None,
    setting: str | None = None,
) -> None:
    """Poll ``url`` until it answers 2xx; fail early if ``child`` exits. A failure names
    the ``setting`` that holds ``timeout`` and the child's log."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    log = f"; its log: {child.log_path}" if child is not None else ""
    async with httpx.AsyncClient(timeout=2.0, headers=dict(headers or {})) as client:
        while time.monotonic() < deadline:
            if child is not None and not child.running:
                raise EnvironmentProblem(
                    f"{child.name} exited with code {child.process.returncode} before {url} answered{log}",
                    hint=f"its last lines:\n{child.log_tail()}",
                )
            try:
                response = await client.get(url)
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            else:
                if response.is_success:
                    return
                last = f"HTTP {response.status_code}"
            await asyncio.sleep(0.1)
    named = f" ({setting})" if setting else ""
    hints = [f"if it needs longer to start, raise {setting} (e.g. --set {setting}=2m)"] if setting else []
    if child is not None:
        hints.append(f"its last lines:\n{child.log_tail()}")
    hint = "\n".join(hints) or None
    who = f"the {child.name} at " if child is not None else ""
    raise EnvironmentProblem(f"{who}{url} did not answer 2xx within {timeout:g} s{named}, last: {last}{log}", hint=hint)
