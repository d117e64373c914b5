"""Requests per second of one Locust process: chaos.load's instrumented users vs plain FastHttpUser.

    python benchmarks/load/bench.py [--smoke]

Both send the same requests (60% streamed chat, 30% chat, 10% evals, same bodies and
headers, no wait) to a canned fast target (fast_target.py, its own process), one Locust
process each, taking turns. The instrumented run reads streams line by line, parses every
event, judges evals and writes two records per request; the plain run reads each answer
whole and records nothing. Requests per second come from Locust's own statistics for both
(requests / (last request - first request)); the target is a ratio of at least 0.9.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from chaos.load.config import LoadConfig, ShapeConfig  # noqa: E402
from chaos.load.launch import locust_command, run_deadline  # noqa: E402

EVALS = ROOT / "scenarios" / "evals" / "general.jsonl"
TARGET_RATIO = 0.9


@dataclass
class Figures:
    requests: int
    per_second: float  # requests / (last request - first request), from Locust's statistics
    per_cpu_second: float  # requests / CPU seconds the Locust process used: what the load costs


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def figures(stats_file: Path, cpu: float) -> Figures:
    entries: list[dict[str, Any]] = json.loads(stats_file.read_text())
    requests = sum(e["num_requests"] for e in entries)
    span = max(e["last_request_timestamp"] for e in entries) - min(e["start_time"] for e in entries)
    return Figures(requests, requests / span, requests / cpu)


def run_ours(url: str, run_dir: Path, users: int, duration: float) -> Figures:
    config = LoadConfig(
        run_id="bench",
        target_url=url,
        eval_set=EVALS,
        wait_min=0,
        wait_max=0,
        shape=ShapeConfig(users=users, spawn_rate=users * 10, duration=duration),
        stop_grace=2,
        records=run_dir / "records.jsonl",
        log_level="WARNING",
    )
    command = locust_command(config, run_dir / "load.json")
    config.dump(command.config_file)
    cpu = children_cpu()
    subprocess.run(command.argv, env=command.env, cwd=command.cwd, check=True, timeout=run_deadline(config))
    return figures(command.locust_stats, children_cpu() - cpu)


def run_plain(url: str, run_dir: Path, users: int, duration: float, streams: str) -> Figures:
    stats = run_dir / "plain"
    argv = [sys.executable, "-m", "locust", "-f", str(HERE / "plain_locustfile.py"), "--headless", "--host", url]
    argv += ["-u", str(users), "-r", str(users * 10), "-t", f"{math.ceil(duration)}s", "--stop-timeout", "2"]
    argv += ["--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0", "--json-file", str(stats)]
    cpu = children_cpu()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    env = {**os.environ, "PLAIN_STREAMS": streams}
    subprocess.run(argv, cwd=run_dir, env=env, check=True, timeout=duration + 30, **quiet)
    return figures(stats.with_suffix(".json"), children_cpu() - cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, to keep the benchmark from rotting")
    args = parser.parse_args()
    users, duration, rounds = (10, 3.0, 1) if args.smoke else (20, 15.0, 3)
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
                    result = runner(url, run_dir, users, duration)
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
    print(f"({users} users, no wait, {duration:g}s per run, {rounds} rounds, one Locust process each, medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
