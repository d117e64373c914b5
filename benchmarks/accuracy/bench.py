"""Accuracy of what the load measures: TTFT and time to headers against known injected
delays; and of what the orchestrator does: ``chaos run``'s wall time against its load's
duration, and each fault's onset against its schedule (``orchestrator.py``).

    python benchmarks/accuracy/bench.py [--smoke]

The tiny test target (tests/load/target.py) holds each streamed answer's headers for
HEADERS_DELAY, then waits FIRST_TOKEN_DELAY before the first text delta, then sends a
token every TOKEN_GAP. The load (chaos.load, one Locust process) records every request;
the exact p50 (nearest rank) of time to headers and of TTFT is compared with the injected
delay; the target is an error within 15 ms. The baseline, in the same run, is a plain
FastHttpUser reading the stream in 1 KiB chunks, which sees the first token late.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from chaos.load.config import LoadConfig, ShapeConfig  # noqa: E402
from chaos.load.launch import locust_command, run_deadline  # noqa: E402
from chaos.records import RequestEnded, parse_record  # noqa: E402
from chaos.rundir import RunDir  # noqa: E402
from chaos.scenario.traffic import Wait  # noqa: E402
from tests.load.target import Settings, TargetServer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import orchestrator  # noqa: E402

HEADERS_DELAY = 0.050
FIRST_TOKEN_DELAY = 0.100
TOKEN_GAP = 0.020
TARGET_ERROR = 0.015


def p50(values: list[float]) -> float:
    """Nearest-rank median."""
    ordered = sorted(values)
    return ordered[math.ceil(0.5 * len(ordered)) - 1]


def measure_ours(url: str, run_dir: Path, users: int, duration: float) -> list[RequestEnded]:
    config = LoadConfig(
        run_id="accuracy",
        target_url=url,
        mix={"chat_stream": 1, "chat": 0, "eval": 0},
        wait=Wait(min=0.05, max=0.1),
        shape=ShapeConfig(users=users, spawn_rate=users * 10, duration=duration),
        stop_grace=2,
        records=RunDir(run_dir).records,
    )
    command = locust_command(config, RunDir(run_dir))
    config.dump(command.config_file)
    subprocess.run(command.argv, env=command.env, cwd=command.cwd, check=True, timeout=run_deadline(config))
    records = [parse_record(line) for line in config.records.read_text().splitlines()]
    return [r for r in records if isinstance(r, RequestEnded) and r.error_kind is None]


def measure_chunked(url: str, run_dir: Path, users: int, duration: float) -> list[float]:
    out = run_dir / "chunked.jsonl"
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(Path(__file__).parent / "chunked_locustfile.py"),
        "--headless",
        "--host",
        url,
        "-u",
        str(users),
        "-r",
        str(users * 10),
        "-t",
        f"{math.ceil(duration)}s",
        "--stop-timeout",
        "2",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    env = {"BENCH_OUT": str(out), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        argv,
        env=env,
        cwd=run_dir,
        check=True,
        timeout=duration + 30,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return [json.loads(line)["ttft"] for line in out.read_text().splitlines()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, to keep the benchmark from rotting")
    args = parser.parse_args()
    users, duration = (2, 3.0) if args.smoke else (4, 20.0)
    settings = Settings(ttft=FIRST_TOKEN_DELAY, token_gap=TOKEN_GAP, headers_delay=HEADERS_DELAY)
    with TargetServer(settings) as target, tempfile.TemporaryDirectory() as tmp:
        ended = measure_ours(target.url, Path(tmp), users, duration)
        chunked = measure_chunked(target.url, Path(tmp), users, duration)
    headers = p50([r.t_headers - r.t_sent for r in ended if r.t_headers is not None])
    ttft = p50([r.t_first_token - r.t_sent for r in ended if r.t_first_token is not None])
    naive = p50(chunked)
    injected_ttft = HEADERS_DELAY + FIRST_TOKEN_DELAY
    rows = [
        ("time to headers p50 (chaos.load)", headers, HEADERS_DELAY, len(ended)),
        ("TTFT p50 (chaos.load, line by line)", ttft, injected_ttft, len(ended)),
        ("TTFT p50 (baseline: 1 KiB chunks)", naive, injected_ttft, len(chunked)),
    ]
    print(f"{'measure':<40}{'injected':>10}{'measured':>10}{'error':>10}{'requests':>10}")
    for name, measured, injected, count in rows:
        error = measured - injected
        print(f"{name:<40}{injected * 1000:>8.1f}ms{measured * 1000:>8.1f}ms{error * 1000:>+8.1f}ms{count:>10}")
    worst = max(abs(headers - HEADERS_DELAY), abs(ttft - injected_ttft))
    verdict = "met" if worst <= TARGET_ERROR else "MISSED"
    print(f"target: p50 error within {TARGET_ERROR * 1000:.0f} ms: {verdict} (worst {worst * 1000:.1f} ms)")
    apart, injected_apart = (ttft - headers) * 1000, FIRST_TOKEN_DELAY * 1000
    print(f"headers and TTFT told apart: {apart:.1f} ms between them (injected {injected_apart:.0f} ms)")
    orchestrator.report(rounds=1 if args.smoke else 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
