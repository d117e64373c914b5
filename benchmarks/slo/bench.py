"""The whole evaluation of a one-hour game day at 300 req/s, and the live abort check.

1. Writes a synthetic run directory (``gameday.py``): 1.08 million requests, 2.16 million
   record lines, about 1.1 million ledger rows, fault events and proxy counters.
2. In a fresh process, times ``load_run`` + ``evaluate`` (+ the JSON of the result) and
   reads that process's peak RSS. Targets: at most 10 s and 500 MB.
3. Baseline, in the same run: decoding the same files with msgspec into plain Python
   objects (``decode_lines``, one reused buffer), and nothing else: what any reader of
   these files pays at least.
4. The live check: a ``LiveMonitor`` fed one second of records at a time (300 req/s),
   with ``check()`` and ``summary()`` timed per call over the last minute. Target: under
   50 ms per call.

    python benchmarks/slo/bench.py [--smoke] [--duration S] [--rate R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gameday
from chaos.rundir import RunDir

TARGET_SECONDS = 10.0
TARGET_MB = 500.0
TARGET_CHECK_MS = 50.0


def evaluate_in_this_process(directory: Path, duration: float, rate: float) -> dict[str, float | int | str]:
    from chaos.slo.evaluate import evaluate
    from chaos.slo.loading import load_run

    sc = gameday.scenario(duration, int(rate))
    started, cpu_started = time.perf_counter(), time.process_time()
    data = load_run(directory, sc)
    loaded = time.perf_counter()
    evaluation = evaluate(sc, data)
    evaluated = time.perf_counter()
    journal = evaluation.model_dump_json()
    done = time.perf_counter()
    return {
        "load_s": loaded - started,
        "evaluate_s": evaluated - loaded,
        "json_s": done - evaluated,
        "total_s": done - started,
        "cpu_s": time.process_time() - cpu_started,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "requests": len(data.requests),
        "ledger_rows": len(data.ledger),
        "segments": len(evaluation.segments),
        "slo_results": len(evaluation.slos),
        "alerts": len(evaluation.alerts),
        "journal_kb": len(journal) // 1024,
        "verdict": f"{evaluation.verdict.verdict.value} ({evaluation.verdict.reason})",
    }


def decode_only(directory: Path) -> float:
    """The floor: decode every line of the run's files into Python objects, the fastest
    way msgspec offers (``decode_lines`` over chunks read into one reused buffer)."""
    decoder = msgspec.json.Decoder()
    buffer = bytearray(1 << 20)
    started = time.perf_counter()  # wall time, like the evaluation's
    for path in RunDir(directory).record_files:
        with path.open("rb", buffering=0) as stream:
            kept = 0
            while read := stream.readinto(memoryview(buffer)[kept:]):
                filled = kept + read
                end = buffer.rfind(b"\n", 0, filled) + 1
                decoder.decode_lines(memoryview(buffer)[:end])
                buffer[: filled - end] = buffer[end:filled]
                kept = filled - end
    return time.perf_counter() - started


def live_check(directory: Path, duration: float, rate: float) -> tuple[list[float], list[float]]:
    """Per-call milliseconds of ``check`` + ``summary``, and of feeding one second of lines."""
    from chaos.slo.live import LiveMonitor

    sc = gameday.scenario(duration, int(rate))
    monitor = LiveMonitor(sc)
    seconds: dict[int, list[bytes]] = {}
    with RunDir(directory).records.open("rb") as stream:
        for line in stream:
            record = msgspec.json.decode(line)
            at = record.get("t_ended", record.get("t_sent", record.get("t", gameday.T0)))
            seconds.setdefault(int(at - gameday.T0), []).append(line)
    checks, feeds = [], []
    last = max(seconds)
    for second in range(last + 1):
        chunk = b"".join(seconds.get(second, ()))
        started = time.perf_counter()
        monitor.feed(chunk)
        fed = time.perf_counter()
        monitor.check(gameday.T0 + second + 1)
        monitor.summary(gameday.T0 + second + 1)
        done = time.perf_counter()
        if second >= last - 60:
            feeds.append((fed - started) * 1000)
            checks.append((done - fed) * 1000)
    return checks, feeds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="two minutes of load instead of an hour")
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--keep", type=Path, default=None, help="write (or reuse) the run directory here")
    parser.add_argument("--evaluate", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    duration = args.duration or (120.0 if args.smoke else 3600.0)
    if args.evaluate is not None:
        print(json.dumps(evaluate_in_this_process(args.evaluate, duration, args.rate)))
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or Path(scratch)
        if not RunDir(directory).records.is_file():
            started = time.perf_counter()
            count = gameday.write_run(directory, duration=duration, rate=args.rate)
            print(f"wrote {count:,} requests in {time.perf_counter() - started:.1f}s")
        lines = {path.name: sum(1 for _ in path.open("rb")) for path in RunDir(directory).record_files}
        print(f"run: {duration:g}s at {args.rate:g} req/s; lines: " + ", ".join(f"{n} {c:,}" for n, c in lines.items()))
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--evaluate",
                str(directory),
                "--duration",
                str(duration),
                "--rate",
                str(args.rate),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(child.stdout)
        floor = decode_only(directory)
        checks, feeds = live_check(directory, duration, args.rate)
    print(
        f"requests {figures['requests']:,}, ledger rows {figures['ledger_rows']:,}, segments {figures['segments']}, "
        f"SLO results {figures['slo_results']}, alert firings {figures['alerts']}, journal {figures['journal_kb']} KB"
    )
    print(f"verdict: {figures['verdict']}")
    total, peak = float(figures["total_s"]), float(figures["peak_mb"])
    print(
        f"load {figures['load_s']:.2f}s + evaluate {figures['evaluate_s']:.2f}s + json {figures['json_s']:.2f}s "
        f"= {total:.2f}s (target <= {TARGET_SECONDS:g}s) {_ok(total <= TARGET_SECONDS)}; CPU {figures['cpu_s']:.2f}s"
    )
    print(f"peak RSS {peak:.0f} MB (target <= {TARGET_MB:g} MB) {_ok(peak <= TARGET_MB)}")
    print(f"baseline: decoding the files alone {floor:.2f}s; whole evaluation / decoding = {total / floor:.2f}x")
    worst, median = max(checks), statistics.median(checks)
    print(
        f"live check + summary at {args.rate:g} req/s: median {median:.2f} ms, max {worst:.2f} ms per call "
        f"(target < {TARGET_CHECK_MS:g} ms) {_ok(worst < TARGET_CHECK_MS)}; feeding 1 s of records: "
        f"median {statistics.median(feeds):.2f} ms"
    )
    return 0


def _ok(met: bool) -> str:
    return "ok" if met else "OVER TARGET"


if __name__ == "__main__":
    sys.exit(main())
