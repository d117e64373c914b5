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
import json
import math
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from chaos.load.config import LoadConfig, ShapeConfig  # noqa: E402
from chaos.load.launch import locust_command, run_deadline  # noqa: E402

EVALS = ROOT / "scenarios" / "evals" / "general.jsonl"
TARGET_RATIO = 0.9


def rps(stats_file: Path) -> tuple[float, int]:
    entries: list[dict[str, Any]] = json.loads(stats_file.read_text())
    requests = sum(e["num_requests"] for e in entries)
    span = max(e["last_request_timestamp"] for e in entries) - min(e["start_time"] for e in entries)
    return requests / span, requests


def run_ours(url: str, run_dir: Path, users: int, duration: float) -> tuple[float, int]:
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
    subprocess.run(command.argv, env=command.env, cwd=command.cwd, check=True, timeout=run_deadline(config))
    return rps(command.locust_stats)


def run_plain(url: str, run_dir: Path, users: int, duration: float) -> tuple[float, int]:
    stats = run_dir / "plain"
    argv = [sys.executable, "-m", "locust", "-f", str(HERE / "plain_locustfile.py"), "--headless", "--host", url]
    argv += ["-u", str(users), "-r", str(users * 10), "-t", f"{math.ceil(duration)}s", "--stop-timeout", "2"]
    argv += ["--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0", "--json-file", str(stats)]
    subprocess.run(
        argv, cwd=run_dir, check=True, timeout=duration + 30, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return rps(stats.with_suffix(".json"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, to keep the benchmark from rotting")
    args = parser.parse_args()
    users, duration, rounds = (10, 3.0, 1) if args.smoke else (20, 10.0, 3)
    target = subprocess.Popen(
        [sys.executable, str(HERE / "fast_target.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert target.stdout is not None
        url = f"http://127.0.0.1:{target.stdout.readline().strip()}"
        plain: list[float] = []
        ours: list[float] = []
        with tempfile.TemporaryDirectory() as tmp:
            for index in range(rounds):
                for name, runner, figures in (("plain", run_plain, plain), ("chaos.load", run_ours, ours)):
                    run_dir = Path(tmp) / f"{name}-{index}"
                    run_dir.mkdir()
                    rate, count = runner(url, run_dir, users, duration)
                    figures.append(rate)
                    print(f"round {index + 1}: {name:<11} {rate:8.0f} req/s ({count} requests)", flush=True)
    finally:
        if target.stdin is not None:
            target.stdin.close()
        target.wait(timeout=10)
    baseline, instrumented = statistics.median(plain), statistics.median(ours)
    ratio = instrumented / baseline
    verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
    print(f"median: plain FastHttpUser {baseline:.0f} req/s, chaos.load {instrumented:.0f} req/s")
    print(f"ratio {ratio:.2f} (target at least {TARGET_RATIO}): {verdict}")
    print(f"({users} users, no wait, {duration:g}s per run, {rounds} rounds, one Locust process each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
