"""Requests per second of a load split over Locust workers: 1, 2 and 4 `chaos worker` processes.

    python benchmarks/load_workers/bench.py [--smoke] [--rounds 3] [--duration 14]

The built-in load (60% streamed chat, 30% chat, 10% evals, no wait, 16 users) against the
canned zero-latency target of the load benchmark (benchmarks/load/fast_target.py, its own
process), taking turns in each round:

    one process     the load in a single Locust process: the baseline
    N workers       a master (``LoadConfig.workers``) and N ``chaos worker --master``
                    processes, started as a user starts them; every record travels to
                    the master, as it does from other machines

Requests per second are counted from the records the master wrote (requests ended in a
window after the ramp-up), not from Locust's statistics, so every variant is measured the
same way. Ratios are against the baseline of the same round (medians over the rounds).
The machine's cores bound the scaling: workers beyond them only share the same cores
(with the target and the master), which is what the figures show on a small machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from chaos.load.config import LoadConfig, RemoteWorkers, ShapeConfig  # noqa: E402
from chaos.load.launch import free_port, locust_command, run_deadline  # noqa: E402
from chaos.rundir import RunDir  # noqa: E402
from chaos.scenario.traffic import CHAT_AND_EVAL_MIX, Wait  # noqa: E402

TARGET = ROOT / "benchmarks" / "load" / "fast_target.py"
EVALS = ROOT / "scenarios" / "evals" / "general.jsonl"
USERS = 16


@dataclass(frozen=True)
class Window:
    """Requests ended between ``warmup`` and ``warmup + length`` seconds after START are counted."""

    warmup: float
    length: float

    def counts(self, offset: float) -> bool:
        return self.warmup <= offset < self.warmup + self.length

    @property
    def duration(self) -> float:
        return self.warmup + self.length + 0.5


def per_second(records: Path, window: Window) -> tuple[float, int]:
    """Requests per second ended in the window, and the workers that sent them."""
    start, ended, workers = None, 0, set()
    with records.open("rb") as lines:
        for line in lines:
            record = json.loads(line)
            if record["record"] == "load" and record["event"] == "start":
                start = record["t"]
            elif record["record"] == "ended" and start is not None and window.counts(record["t_ended"] - start):
                ended += 1
                workers.add(record.get("worker"))
    return ended / window.length, len(workers)


def run(url: str, run_dir: Path, workers: int, window: Window) -> float:
    """One load of ``workers`` remote workers (0: one process); its requests per second."""
    remote = RemoteWorkers(count=workers, timeout=30, bind_port=free_port()) if workers else None
    config = LoadConfig(
        run_id="bench",
        target_url=url,
        eval_set=EVALS,
        mix=CHAT_AND_EVAL_MIX,
        wait=Wait(min=0, max=0),
        shape=ShapeConfig(users=USERS, spawn_rate=USERS * 10, duration=window.duration),
        stop_grace=2,
        records=RunDir(run_dir).records,
        workers=remote,
        log_level="WARNING",
    )
    command = locust_command(config, RunDir(run_dir))
    config.dump(command.config_file)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    master = subprocess.Popen(command.argv, env=command.env, cwd=command.cwd, **quiet)
    port = remote.bind_port if remote is not None else 0
    chaos_worker = [sys.executable, "-m", "chaos", "worker", "--master", f"127.0.0.1:{port}"]
    started = [subprocess.Popen(chaos_worker, cwd=run_dir, **quiet) for _ in range(workers)]
    try:
        if master.wait(timeout=run_deadline(config)) != 0:
            raise SystemExit(f"the load exited {master.returncode}; see {command.log_file}")
        for worker in started:
            worker.wait(timeout=30)
    finally:
        for process in (master, *started):
            if process.poll() is None:
                process.kill()
                process.wait()
    rate, senders = per_second(config.records, window)
    if senders != max(workers, 1):
        raise SystemExit(f"{senders} processes sent requests, {max(workers, 1)} expected")
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="seconds: one short round of 1 and 2 workers")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per load")
    args = parser.parse_args()
    if args.smoke:
        rounds, window, variants = 1, Window(warmup=1.0, length=1.5), [0, 1, 2]
    else:
        rounds, window, variants = args.rounds, Window(warmup=3.0, length=args.duration), [0, 1, 2, 4]
    target = subprocess.Popen([sys.executable, str(TARGET)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    results: dict[int, list[float]] = {workers: [] for workers in variants}
    try:
        assert target.stdout is not None
        url = f"http://127.0.0.1:{target.stdout.readline().strip()}"
        with tempfile.TemporaryDirectory() as tmp:
            for index in range(rounds):
                for workers in variants:
                    run_dir = Path(tmp) / f"{index}-{workers}"
                    run_dir.mkdir()
                    rate = run(url, run_dir, workers, window)
                    results[workers].append(rate)
                    print(f"round {index + 1}: {name(workers):<12}{rate:7.0f} req/s", flush=True)
    finally:
        if target.stdin is not None:
            target.stdin.close()
        target.wait(timeout=10)
    baseline = statistics.median(results[0])
    for workers in variants:
        rate = statistics.median(results[workers])
        print(f"{name(workers):<12}{rate:7.0f} req/s  {rate / baseline:5.2f}x one process")
    cores = len(os.sched_getaffinity(0))
    print(f"({USERS} users, no wait, {window.length:g}s counted per load after {window.warmup:g}s, ", end="")
    print(f"{rounds} round{'s' if rounds > 1 else ''}, {cores} cores, load average {os.getloadavg()[0]:.1f})")
    return 0


def name(workers: int) -> str:
    return f"{workers} worker{'s' if workers > 1 else ''}" if workers else "one process"


if __name__ == "__main__":
    sys.exit(main())
