"""Throughput of one mock provider process, against a bare aiohttp server, and slow streams held.

1. Non-stream and 20-chunk stream chat completions per second, no fault, zero latency,
   measured with wrk (a Lua script POSTs) against the mock and against a bare aiohttp
   server answering fixed bytes (``bare_server.py``), interleaved in the same run.
   Target: at least 0.5x the bare server for both. The mock's ledger must hold one row
   per request wrk completed.
2. N concurrent slow streams (realistic latency: 1 s TTFT, 10 tokens/s, 20 tokens) held
   by one process with no error; its peak RSS is reported.

    python benchmarks/providers/bench.py [--smoke] [--duration S] [--streams N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from chaos.stack.processes import terminate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TARGET_RATIO = 0.5
CONNECTIONS = 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_ready(path: Path, process: subprocess.Popen[bytes], timeout: float = 20.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return dict(json.loads(path.read_text()))
        if process.poll() is not None:
            raise RuntimeError(f"the providers process exited with {process.returncode}")
        time.sleep(0.05)
    raise RuntimeError("the providers process did not become ready")


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def start_mock(folder: Path, config: str, *flags: str) -> tuple[subprocess.Popen[bytes], dict[str, object]]:
    config_path = folder / f"providers-{len(list(folder.iterdir()))}.yaml"
    config_path.write_text(config)
    ready = folder / f"{config_path.stem}.ready.json"
    command = [sys.executable, "-m", "chaos", "providers", "serve", "--config", str(config_path)]
    process = subprocess.Popen(
        [*command, "--ready-file", str(ready), *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    return process, wait_for_ready(ready, process)


def wrk(url: str, script: str, seconds: float) -> tuple[float, int, str]:
    """Requests per second, requests completed, and any socket errors or non-2xx wrk reports."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "-s", str(HERE / script), url]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    problems = " ".join(line.strip() for line in output.splitlines() if "Non-2xx" in line or "Socket errors" in line)
    return rate, done, problems


def throughput(folder: Path, seconds: float, rounds: int) -> bool:
    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, str(HERE / "bare_server.py"), str(bare_port)], cwd=ROOT)
    mock, ready = start_mock(folder, "providers:\n  bench: {api: openai, model: gpt-4o-mini}\n", "--zero-latency")
    try:
        wait_for_port(bare_port)
        providers = ready["providers"]
        assert isinstance(providers, dict)
        mock_url = f"{providers['bench']['url']}/chat/completions"
        bare_url = f"http://127.0.0.1:{bare_port}/v1/chat/completions"
        ok = True
        completed = 0
        for label, script in (("non-stream", "post.lua"), ("stream (20 chunks)", "stream.lua")):
            bare_rates, mock_rates = [], []
            for _ in range(rounds):  # interleaved, so that a noisy neighbour hits both alike
                bare_rates.append(wrk(bare_url, script, seconds)[0])
                rate, done, problems = wrk(mock_url, script, seconds)
                mock_rates.append(rate)
                completed += done
                if problems:
                    print(f"  mock {label}: {problems}")
            bare_best, mock_best = max(bare_rates), max(mock_rates)
            ratio = mock_best / bare_best
            verdict = "ok" if ratio >= TARGET_RATIO else "UNDER TARGET"
            print(
                f"{label:>20}: mock {mock_best:8.0f} req/s, bare aiohttp {bare_best:8.0f} req/s, "
                f"ratio {ratio:.2f}x (target >= {TARGET_RATIO}x) {verdict}"
            )
            ok = ok and ratio >= TARGET_RATIO
        # Only the sequence number is wanted: ask for the rows after a number not yet reached.
        billed = httpx.get(f"{ready['admin']}/ledger?after=999999999999").json()["last_seq"]
        print(
            f"{'ledger':>20}: {billed} rows for {completed} requests wrk completed (wrk cuts in-flight ones at its end)"
        )
        return ok and billed >= completed
    finally:
        terminate(mock, grace=10)
        terminate(bare, grace=10)


async def hold_streams(url: str, admin: str, count: int) -> tuple[int, list[str], float, int]:
    """Open ``count`` streams at once: how many completed, the errors, the seconds, and the
    most the mock had in flight at once (sampled from its metrics)."""
    import aiohttp

    body = {"model": "claude-sonnet", "max_tokens": 20, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"x-api-key": "bench", "anthropic-version": "2023-06-01"}
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one() -> str | None:
            try:
                async with session.post(f"{url}/v1/messages", json=body, headers=headers) as response:
                    text = await response.text()
                if response.status != 200 or "message_stop" not in text:
                    return f"status {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                return type(exc).__name__
            return None

        async def in_flight() -> int:
            most = 0
            while True:
                await asyncio.sleep(0.5)
                async with session.get(f"{admin}/metrics") as response:
                    metrics = await response.text()
                found = re.search(r'chaos_provider_in_flight\{provider="slow"\} ([\d.]+)', metrics)
                most = max(most, int(float(found.group(1)))) if found else most
                if most >= count:
                    return most

        started = time.monotonic()
        sampler = asyncio.create_task(in_flight())
        results = await asyncio.gather(*(one() for _ in range(count)))
        elapsed = time.monotonic() - started
        sampler.cancel()
        most = await asyncio.gather(sampler, return_exceptions=True)
    errors = [result for result in results if result is not None]
    return count - len(errors), errors, elapsed, 0 if isinstance(most[0], BaseException) else most[0]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def slow_streams(folder: Path, count: int) -> bool:
    latency = "{ttft: 1s, jitter: 100ms, tokens_per_s: 10}"
    config = f"providers:\n  slow: {{api: anthropic, model: claude-sonnet, latency: {latency}}}\n"
    mock, ready = start_mock(folder, config)
    try:
        providers = ready["providers"]
        assert isinstance(providers, dict)
        idle = peak_rss_mib(mock.pid)
        completed, errors, elapsed, most = asyncio.run(
            hold_streams(providers["slow"]["url"], str(ready["admin"]), count)
        )
        peak = peak_rss_mib(mock.pid)
    finally:
        terminate(mock, grace=10)
    kinds = f": {', '.join(sorted(set(errors)))}" if errors else ""
    print(
        f"{'slow streams':>20}: {completed}/{count} streams completed in {elapsed:.1f} s (each ~3 s), "
        f"{most} in flight at once at the peak sampled, {len(errors)} errors{kinds}; "
        f"mock peak RSS {peak:.0f} MiB (idle {idle:.0f} MiB)"
    )
    return not errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, to keep the benchmark from rotting")
    parser.add_argument("--duration", type=float, default=None, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=None, help="wrk runs per server and kind (best is kept)")
    parser.add_argument("--streams", type=int, default=None, help="concurrent slow streams")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    seconds = args.duration or (1.0 if args.smoke else 10.0)
    rounds = args.rounds or (1 if args.smoke else 3)
    streams = args.streams or (100 if args.smoke else 1000)
    with tempfile.TemporaryDirectory(prefix="chaos-bench-providers-") as folder:
        fast_ok = throughput(Path(folder), seconds, rounds)
        slow_ok = slow_streams(Path(folder), streams)
    if args.smoke:
        return 0 if slow_ok else 1  # smoke runs are too short to judge ratios
    return 0 if fast_ok and slow_ok else 1


if __name__ == "__main__":
    sys.exit(main())
