"""Throughput and added latency of the embedded Toxiproxy, against nginx reached directly.

nginx (Debian ``nginx-light``) serves a small static file on loopback; ``wrk`` loads it
directly and through a proxy of ``chaos proxy serve`` (uvloop) in the same run, rounds
interleaved: with no toxic (the fast path), and with a 0 ms latency toxic on both streams
(the toxic pipeline). Then one connection's p50 latency, direct and proxied, and 1,000
concurrent connections through one proxy, which must see no socket error.

Targets (no toxic): throughput at least 0.5x direct, at most 100 µs added at p50.
For reference on the same machine: real Toxiproxy 2.12 reaches 0.43-0.51x and adds
about 65 µs; a bare asyncio-protocol forwarder on uvloop 0.55x and about 15 µs.

    python benchmarks/proxy/bench.py [--smoke] [--duration 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from chaos.stack.processes import terminate

TARGET_RATIO = 0.5
TARGET_ADDED_US = 100.0
FILE_BYTES = 1024
NGINX_CONF = """
worker_processes auto;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
{user}
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {root}/www;
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:g}s")


@contextmanager
def stopping(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield process
    finally:
        terminate(process, grace=10)


@contextmanager
def nginx(root: Path) -> Iterator[int]:
    port = free_port()
    (root / "www").mkdir()
    (root / "www" / "file.html").write_bytes(b"x" * FILE_BYTES)
    root.chmod(0o755)
    user = "user www-data;" if os.geteuid() == 0 else ""
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, port=port, user=user))
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    with stopping(subprocess.Popen([binary, "-c", str(conf), "-e", str(root / "error.log")])):
        wait_for_port(port)
        yield port


@contextmanager
def embedded_toxiproxy(root: Path) -> Iterator[str]:
    ready = root / "ready.json"
    command = [sys.executable, "-m", "chaos", "--log-level", "warning", "proxy", "serve", "--port", "0"]
    with stopping(subprocess.Popen([*command, "--ready-file", str(ready)])) as process:
        deadline = time.monotonic() + 30
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chaos proxy serve did not start")
            time.sleep(0.05)
        yield json.loads(ready.read_text())["api"]


def wrk(url: str, *, connections: int, seconds: int, latency: bool = False, timeout: int = 2) -> str:
    options = [f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}s", *(["--latency"] if latency else [])]
    command = ["wrk", "-t1", *options, url]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout


def requests_per_second(output: str) -> float:
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"no Requests/sec in wrk's output:\n{output}")
    return float(match.group(1))


def p50_us(output: str) -> float:
    match = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no 50% latency in wrk's output:\n{output}")
    scale = {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0}[match.group(2)]
    return float(match.group(1)) * scale


def socket_errors(output: str) -> str | None:
    errors = re.search(r"Socket errors:.*", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:.*", output)
    found = [m.group(0) for m in (errors, non_2xx) if m is not None]
    return "; ".join(found) or None


def create_proxy(api: str, name: str, upstream_port: int, *, zero_latency: bool) -> str:
    with httpx.Client(base_url=api, timeout=10) as client:
        body = {"name": name, "upstream": f"127.0.0.1:{upstream_port}", "listen": "127.0.0.1:0"}
        response = client.post("/proxies", json=body)
        response.raise_for_status()
        proxy = response.json()
        if zero_latency:
            for stream in ("upstream", "downstream"):
                body = {"type": "latency", "stream": stream, "attributes": {"latency": 0}}
                client.post(f"/proxies/{name}/toxics", json=body).raise_for_status()
        listen: str = proxy["listen"]
        return listen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, to keep the benchmark from rotting")
    parser.add_argument("--duration", type=int, default=None, help="seconds per wrk run (default 10, smoke 1)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3, smoke 1)")
    args = parser.parse_args()
    seconds = args.duration or (1 if args.smoke else 10)
    rounds = args.rounds or (1 if args.smoke else 3)
    if shutil.which("wrk") is None or not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        print("needs wrk and nginx (Debian: apt-get install wrk nginx-light)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="chaos-bench-proxy-") as tmp:
        root = Path(tmp)
        with nginx(root) as nginx_port, embedded_toxiproxy(root) as api:
            targets = {
                "direct": f"127.0.0.1:{nginx_port}",
                "proxied": create_proxy(api, "plain", nginx_port, zero_latency=False),
                "latency 0 ms": create_proxy(api, "toxic", nginx_port, zero_latency=True),
            }
            throughput: dict[str, list[float]] = {name: [] for name in targets}
            p50: dict[str, list[float]] = {name: [] for name in targets}
            for _ in range(rounds):
                for name, address in targets.items():
                    url = f"http://{address}/file.html"
                    throughput[name].append(requests_per_second(wrk(url, connections=32, seconds=seconds)))
                    p50[name].append(p50_us(wrk(url, connections=1, seconds=max(seconds // 2, 1), latency=True)))
            burst = wrk(f"http://{targets['proxied']}/file.html", connections=1000, seconds=max(seconds, 2), timeout=10)

    print(f"nginx, {FILE_BYTES} B static file; wrk -t1 -c32 -d{seconds}s; {rounds} interleaved round(s); medians")
    direct_rps, direct_p50 = statistics.median(throughput["direct"]), statistics.median(p50["direct"])
    print(f"{'':14} {'req/s':>10} {'ratio':>7} {'p50 (1 conn)':>13} {'added':>9}")
    for name in targets:
        rps, lat = statistics.median(throughput[name]), statistics.median(p50[name])
        print(f"{name:14} {rps:10.0f} {rps / direct_rps:6.2f}x {lat:11.1f}us {lat - direct_p50:7.1f}us")
    ratio = statistics.median(throughput["proxied"]) / direct_rps
    added = statistics.median(p50["proxied"]) - direct_p50
    print(f"no toxic: throughput {ratio:.2f}x direct (target >= {TARGET_RATIO}x) {_verdict(ratio >= TARGET_RATIO)}")
    print(f"no toxic: p50 added {added:.1f}us (target <= {TARGET_ADDED_US:g}us) {_verdict(added <= TARGET_ADDED_US)}")
    errors = socket_errors(burst)
    print(f"1000 concurrent connections through one proxy: {requests_per_second(burst):.0f} req/s, ", end="")
    print(f"errors: {errors or 'none'}")
    return 1 if errors else 0


def _verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


if __name__ == "__main__":
    sys.exit(main())
