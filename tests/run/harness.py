"""Driving ``chaos run`` as a user does, and looking at what it leaves behind.

Every run gets the sentinel secret as its gateway key (``CHAOS_TEST_GATEWAY_KEY``, which
the test scenarios send as ``Authorization: Bearer ${CHAOS_TEST_GATEWAY_KEY}``), and
every finished run is searched for it: it must appear nowhere in the run directory or in
what the command printed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from chaos.journal import Journal, read_journal
from chaos.kinds import FaultAction
from chaos.records import FaultEvent
from chaos.rundir import RunDir
from chaos.stack.processes import terminate

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
FALLBACK = SCENARIOS / "fallback.yaml"
KILL = SCENARIOS / "kill.yaml"
SECRET_ENV = "CHAOS_TEST_GATEWAY_KEY"
SENTINEL = f"sentinel-{os.getpid()}-{time.time_ns():x}-do-not-log"
RUN_TIMEOUT_S = 120.0
# What every request that changes the providers' admin API must say (a browser page cannot).
JSON = {"Content-Type": "application/json"}


def chaos(*args: str) -> list[str]:
    return [sys.executable, "-m", "chaos", *args]


def run_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, SECRET_ENV: SENTINEL, "PYTHONUNBUFFERED": "1", **(extra or {})}


@dataclass
class Run:
    """One ``chaos run`` process, started in the background."""

    process: subprocess.Popen[bytes]
    runs_dir: Path
    out: Path
    err: Path
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    @property
    def run_dir(self) -> Path | None:
        found = [path for path in self.runs_dir.iterdir() if path.is_dir()] if self.runs_dir.exists() else []
        assert len(found) <= 1, f"one run per runs dir, found {found}"
        return found[0] if found else None

    def journal_now(self) -> Journal | None:
        run_dir = self.run_dir
        if run_dir is None or not RunDir(run_dir).journal.exists():
            return None
        return read_journal(run_dir)

    def wait_for(self, what: str, check: Any, timeout: float = 60.0) -> Any:
        """Poll ``check()`` until it is truthy; fail if the run exits or time runs out first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            if self.process.poll() is not None:
                raise AssertionError(f"the run exited ({self.process.returncode}) before {what}:\n{self.output()}")
            time.sleep(0.05)
        raise AssertionError(f"no {what} within {timeout:g} s:\n{self.output()}")

    def wait_for_t0(self) -> Journal:
        journal: Journal = self.wait_for("t = 0", lambda: (j := self.journal_now()) is not None and j.t0 and j)
        return journal

    def wait_for_event(self, fault: str, action: FaultAction) -> FaultEvent:
        def seen() -> FaultEvent | None:
            return next((e for e in self.events() if e.fault == fault and e.action is action), None)

        event: FaultEvent = self.wait_for(f"{action.value} of {fault}", seen)
        return event

    def events(self) -> list[FaultEvent]:
        run_dir = self.run_dir
        if run_dir is None or not RunDir(run_dir).events.exists():
            return []
        lines = RunDir(run_dir).events.read_text(encoding="utf-8").split("\n")[:-1]
        return [FaultEvent.model_validate_json(line) for line in lines if line.strip()]

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """A run a failed test left going is stopped the way a user would: SIGTERM first."""
        terminate(self.process, grace=30)

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def finish(self, timeout: float = RUN_TIMEOUT_S) -> Finished:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"chaos run did not end within {timeout:g} s:\n{self.output()}") from None
        self.ended = time.monotonic()
        return Finished(
            code=self.process.returncode,
            stdout=self.out.read_text(encoding="utf-8", errors="replace"),
            stderr=self.err.read_text(encoding="utf-8", errors="replace"),
            run_dir=self.run_dir,
            wall_s=self.ended - self.started,
        )

    def output(self) -> str:
        out, err = (path.read_text(errors="replace")[-3000:] for path in (self.out, self.err))
        return f"{out}\n--- stderr ---\n{err}"


@dataclass(frozen=True)
class Finished:
    code: int
    stdout: str
    stderr: str
    run_dir: Path | None
    wall_s: float

    @property
    def journal(self) -> Journal:
        assert self.run_dir is not None, self.stderr
        return read_journal(self.run_dir)

    @property
    def events(self) -> list[FaultEvent]:
        assert self.run_dir is not None
        path = RunDir(self.run_dir).events
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return [FaultEvent.model_validate_json(line) for line in lines if line.strip()]

    def explain(self) -> str:
        return f"exit {self.code}\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}"


def start_run(
    scenario: Path,
    *sets: str,
    runs_dir: Path,
    env: Mapping[str, str] | None = None,
    live: bool = False,
    cwd: Path = ROOT,
    options: Sequence[str] = (),
) -> Run:
    """``chaos run`` started from ``cwd``, told ``--runs-dir`` relative to it (as a user
    typing ``--runs-dir runs`` does), with ``options`` (``--junit PATH``, ...)."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    out, err = runs_dir.with_suffix(".out"), runs_dir.with_suffix(".err")
    relative = os.path.relpath(runs_dir, cwd)
    argv = chaos("run", str(scenario), "--runs-dir", relative, "--live" if live else "--no-live", *options)
    for override in sets:
        argv += ["--set", override]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=run_env(env), cwd=cwd)
    return Run(process, runs_dir, out, err)


def chaos_run(
    scenario: Path,
    *sets: str,
    runs_dir: Path,
    env: Mapping[str, str] | None = None,
    live: bool = False,
    cwd: Path = ROOT,
    options: Sequence[str] = (),
) -> Finished:
    """``chaos run`` to its end; the sentinel secret must have been kept out of everything."""
    with start_run(scenario, *sets, runs_dir=runs_dir, env=env, live=live, cwd=cwd, options=options) as run:
        finished = run.finish()
    assert_no_secret(finished)
    return finished


def assert_no_secret(finished: Finished) -> None:
    assert SENTINEL not in finished.stdout
    assert SENTINEL not in finished.stderr
    if finished.run_dir is None:
        return
    files = [path for path in finished.run_dir.rglob("*") if path.is_file()]
    assert files, "the run directory is empty"
    leaked = [str(path) for path in files if SENTINEL.encode() in path.read_bytes()]
    assert not leaked, f"the secret is written in {leaked}"


def unnamed_files(run_dir: Path) -> list[str]:
    """Files of a run directory that ``RunDir`` does not name (a reader could not find them)."""
    files = RunDir(run_dir)
    named = {value.__get__(files) for value in vars(RunDir).values() if isinstance(value, property)}
    return sorted(
        str(path.relative_to(run_dir))
        for path in run_dir.rglob("*")
        if path.is_file() and path not in named and path not in (files.log(path.stem), files.chart(path.stem))
    )


def chaos_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        chaos(*args), check=False, capture_output=True, text=True, timeout=timeout, env=run_env(env), cwd=ROOT
    )


def restored_every_injection(events: Sequence[FaultEvent]) -> list[str]:
    """Faults injected and never restored afterwards (an empty list is what every run must leave)."""
    open_faults: dict[str, FaultEvent] = {}
    for event in events:
        if event.action is FaultAction.INJECT:
            open_faults[event.fault] = event
        elif event.action is FaultAction.RESTORE and event.ok:
            open_faults.pop(event.fault, None)
    return sorted(open_faults)


# -- the processes a run left behind ---------------------------------------------------


def processes_of(run_id: str) -> dict[int, str]:
    """Live processes whose environment carries ``CHAOS_RUN_ID=run_id``: pid -> command line."""
    marker = f"CHAOS_RUN_ID={run_id}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in environ.split(b"\0") and state != "Z":
            found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


# -- what an environment holds, seen through its own APIs -------------------------------


@dataclass(frozen=True)
class Leftovers:
    behaviours: list[dict[str, Any]]
    toxics: list[tuple[str, str]]  # (proxy, toxic)
    disabled: list[str]
    lease: dict[str, Any] | None

    @property
    def empty(self) -> bool:
        return not (self.behaviours or self.toxics or self.disabled or self.lease)


def leftovers(admin_url: str, toxiproxy_url: str, admin_headers: Mapping[str, str] | None = None) -> Leftovers:
    with httpx.Client(timeout=5.0) as http:
        behaviours = http.get(f"{admin_url}/behaviours", headers=admin_headers).raise_for_status().json()["behaviours"]
        lease_response = http.get(f"{admin_url}/lease", headers=admin_headers)
        lease = lease_response.json() if lease_response.status_code == 200 else None
        proxies = http.get(f"{toxiproxy_url}/proxies").json()
    return Leftovers(
        behaviours=behaviours,
        toxics=[(name, toxic["name"]) for name, proxy in proxies.items() for toxic in proxy["toxics"]],
        disabled=[name for name, proxy in proxies.items() if not proxy["enabled"]],
        lease=lease,
    )


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
