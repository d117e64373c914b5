"""Running a real load process from a test, and reading what it recorded."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos.kinds import LoadEventKind
from chaos.load.config import LoadConfig, ShapeConfig
from chaos.load.launch import LoadCommand, free_port, locust_command, run_deadline
from chaos.records import LoadEvent, RequestEnded, RequestSent, parse_record
from chaos.rundir import RunDir
from chaos.scenario.traffic import CHAT_AND_EVAL_MIX, Wait

ROOT = Path(__file__).resolve().parents[2]
EVALS = ROOT / "scenarios" / "evals" / "general.jsonl"


def config(tmp_path: Path, url: str, **overrides: Any) -> LoadConfig:
    """A short, fast load against ``url``: a few users, no think time to speak of."""
    values: dict[str, Any] = {
        "run_id": "test",
        "target_url": url,
        "shape": ShapeConfig(users=4, spawn_rate=40, duration=2.5),
        "stop_grace": 2.0,
        "client_timeout": 5.0,
        "records": RunDir(tmp_path).records,
        "wait": Wait(min=0.01, max=0.03),
        "eval_set": EVALS,
        "mix": CHAT_AND_EVAL_MIX,
        "served_by": {"source": "header", "name": "x-served-by", "providers": {"primary": "primary"}},
    }
    values.update(overrides)
    return LoadConfig(**values)


@dataclass
class Records:
    sent: list[RequestSent]
    ended: list[RequestEnded]
    events: list[LoadEvent]

    @classmethod
    def read(cls, path: Path) -> Records:
        records = [parse_record(line) for line in path.read_text().splitlines()] if path.exists() else []
        return cls(
            sent=[r for r in records if isinstance(r, RequestSent)],
            ended=[r for r in records if isinstance(r, RequestEnded)],
            events=[r for r in records if isinstance(r, LoadEvent)],
        )

    def event(self, kind: LoadEventKind) -> LoadEvent:
        matches = [e for e in self.events if e.event is kind]
        assert len(matches) == 1, f"expected one {kind} event, got {matches}"
        return matches[0]

    def has(self, kind: LoadEventKind) -> bool:
        return any(e.event is kind for e in self.events)

    def kinds(self) -> Counter[str]:
        return Counter(str(r.error_kind) if r.error_kind else "ok" for r in self.ended)


class LoadProcess:
    """One load process (a session of its own, so that its workers die with it)."""

    def __init__(self, cfg: LoadConfig) -> None:
        self.config = cfg
        self.command: LoadCommand = locust_command(
            cfg, RunDir(cfg.records.parent), master_port=free_port() if cfg.processes > 1 else None
        )
        cfg.dump(self.command.config_file)
        self._stderr = cfg.records.parent / "stderr.txt"
        with self._stderr.open("w") as stderr:
            self.process = subprocess.Popen(
                self.command.argv,
                env=self.command.env,
                cwd=self.command.cwd,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )

    def records(self) -> Records:
        return Records.read(self.config.records)

    def wait_for(self, kind: LoadEventKind, timeout: float = 30.0) -> Records:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            records = self.records()
            if records.has(kind):
                return records
            assert self.process.poll() is None, f"the load exited early: {self.stderr()}"
            time.sleep(0.05)
        raise AssertionError(f"no {kind} record within {timeout}s")

    def wait(self, timeout: float | None = None) -> int:
        return self.process.wait(timeout=timeout or run_deadline(self.config))

    def stderr(self) -> str:
        return self._stderr.read_text(errors="replace")[-4000:]

    def log(self) -> str:
        path = self.command.log_file
        return path.read_text() if path.exists() else ""

    def kill(self) -> None:
        """Kill the load and whatever of its group is left (workers of a killed master)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def locust_stats(self) -> list[dict[str, Any]]:
        stats: list[dict[str, Any]] = json.loads(self.command.locust_stats.read_text())
        return stats


def run(cfg: LoadConfig) -> tuple[LoadProcess, Records]:
    """Run a load to its end; the process is killed if it overruns."""
    load = LoadProcess(cfg)
    try:
        code = load.wait()
        assert code == 0, f"locust exited {code}: {load.stderr()}\n{load.log()[-3000:]}"
        return load, load.records()
    finally:
        load.kill()


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]
