"""Requests per second of one Locust process: chaos.load's instrumented users vs plain FastHttpUser.

    python benchmarks/load/bench.py [--smoke]

All send the same requests (60% streamed chat, 30% chat, 10% evals, same bodies and
headers, no wait, 10 users) to a canned fast target (fast_target.py, its own process),
one Locust process each, taking turns:

    chaos.load                 the built-in load: streams read as they arrive, every event
                               parsed, evals judged, two records per request
    plain, streams by line     a plain FastHttpUser consuming streams with Locust's own
                               iter_lines (how a plain locustfile streams); the baseline
    plain, answers whole       the same, reading each streamed answer whole (no streaming)

A probe (meter.py) counts Locust's completed requests, the wall time and the process's CPU
time over a window after the ramp-up. Requests per CPU second is what a process reaches
when it has a core to itself; on a shared machine the wall-clock rate also measures the
neighbours. The target is a ratio of at least 0.9 against the baseline.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from chaos.load.config import LoadConfig, ShapeConfig  # noqa: E402
from chaos.load.launch import locust_command, run_deadline  # noqa: E402
from chaos.rundir import RunDir  # noqa: E402
from chaos.scenario.traffic import CHAT_AND_EVAL_MIX, Wait  # noqa: E402

EVALS = ROOT / "scenarios" / "evals" / "general.jsonl"
TARGET_RATIO = 0.9


@dataclass(frozen=True)
class Window:
    """What is measured: ``length`` seconds, starting ``warmup`` seconds after the test's start."""

    warmup: float
    length: float

    @property
    def run_time(self) -> float:
        return self.warmup + self.length + 4  # the probe must be done before Locust stops

    def env(self, run_dir: Path) -> dict[str, str]:
        return {
            "METER_OUT": str(run_dir / "meter.json"),
            "METER_WARMUP": str(self.warmup),
            "METER_WINDOW": str(self.length),
        }


@dataclass
class Figures:
    requests: int  # requests completed in the window
    per_second: float
    per_cpu_second: float  # requests per CPU second of the Locust process: what one request costs


def figures(run_dir: Path) -> Figures:
    meter = json.loads((run_dir / "meter.json").read_text())
    first, last = meter["first"], meter["last"]
    requests = last["requests"] - first["requests"]
    return Figures(requests, requests / (last["wall"] - first["wall"]), requests / (last["cpu"] - first["cpu"]))


def run_ours(url: str, run_dir: Path, users: int, window: Window) -> Figures:
    config = LoadConfig(
        run_id="bench",
        target_url=url,
        eval_set=EVALS,
        mix=CHAT_AND_EVAL_MIX,
        wait=Wait(min=0, max=0),
        shape=ShapeConfig(users=users, spawn_rate=users * 10, duration=window.run_time),
        stop_grace=2,
        records=RunDir(run_dir).records,
        locustfile=HERE / "instrumented_locustfile.py",
        log_level="WARNING",
    )
    command = locust_command(config, RunDir(run_dir), base_env={**os.environ, **window.env(run_dir)})
    config.dump(command.config_file)
    subprocess.run(command.argv, env=command.env, cwd=command.cwd, check=True, timeout=run_deadline(config))
    return figures(run_dir)


def run_plain(url: str, run_dir: Path, users: int, window: Window, streams: str) -> Figures:
    argv = [sys.executable, "-m", "locust", "-f", str(HERE / "plain_locustfile.py"), "--headless", "--host", url]
    argv += ["-u", str(users), "-r", str(users * 10), "-t", f"{math.ceil(window.run_time)}s"]
    argv += ["--stop-timeout", "2", "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    env = {**os.environ, **window.env(run_dir), "PLAIN_STREAMS": streams}
    subprocess.run(argv, cwd=run_dir, env=env, check=True, timeout=window.run_time + 30, **quiet)
    return figures(run_dir)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, to keep the benchmark from rotting")
    args = parser.parse_args()
    users = 10
    rounds, window = (1, Window(warmup=1.0, length=2.0)) if args.smoke else (3, Window(warmup=3.0, length=15.0))
    target = subprocess.Popen(
        [sys.executable, str(HERE / "fast_target.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert target.stdout is not None
        url = f"http://127.0.0.1:{target.stdout.readline().strip()}"
        runs = {
            "plain, streams by line": functools.partial(run_plain, streams="lines"),
            "plain, answers whole": functools.partial(run_plain, streams="whole"),
            "chaos.load": run_ours,
        }
        results: dict[str, list[Figures]] = {name: [] for name in runs}
        with tempfile.TemporaryDirectory() as tmp:
            for index in range(rounds):
                for number, (name, runner) in enumerate(runs.items()):
                    run_dir = Path(tmp) / f"{index}-{number}"
                    run_dir.mkdir()
                    result = runner(url, run_dir, users, window)
                    results[name].append(result)
                    print(
                        f"round {index + 1}: {name:<24}{result.per_second:7.0f} req/s"
                        f"{result.per_cpu_second:7.0f} req/CPU-s ({result.requests} requests)",
                        flush=True,
                    )
    finally:
        if target.stdin is not None:
            target.stdin.close()
        target.wait(timeout=10)
    ours = results.pop("chaos.load")
    for name, plain in results.items():
        for label, attribute in (("req/s", "per_second"), ("req/CPU-s", "per_cpu_second")):
            baseline = statistics.median(getattr(f, attribute) for f in plain)
            instrumented = statistics.median(getattr(f, attribute) for f in ours)
            ratio = instrumented / baseline
            verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
            print(
                f"{label:<9} vs {name:<24} {baseline:6.0f} -> chaos.load {instrumented:6.0f}:"
                f" ratio {ratio:.2f} (target at least {TARGET_RATIO}: {verdict})"
            )
    print(f"({users} users, no wait, {window.length:g}s measured per run after {window.warmup:g}s, {rounds} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
