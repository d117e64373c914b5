"""Slowloris: sockets that send a header line every two seconds and never finish their
request head are closed by every HTTP server of the project once the head timeout has
passed (not before), while ordinary requests keep being answered."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from chaos.httpserver import HEAD_TIMEOUT_S
from chaos.stack.processes import terminate
from tests.providers.conftest import CONFIG, start_providers
from tests.run.conftest import free_port
from tests.toxiproxy.proxy_helpers import spawn_embedded

SOCKETS = 20  # per server
LINE_EVERY_S = 2.0


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Every kind of HTTP server the project runs: name -> a URL whose /healthz or /version answers."""
    folder = tmp_path_factory.mktemp("slowloris")
    providers, ready = start_providers(folder, CONFIG)
    port = free_port()
    oai = ready["providers"]["oai"]
    env = {
        **os.environ,
        "CHAOS_PROVIDERS": "oai",
        "CHAOS_PROVIDER_OAI_URL": oai["url"],
        "CHAOS_PROVIDER_OAI_API": "openai",
        "CHAOS_PROVIDER_OAI_MODEL": oai["model"],
    }
    argv = [sys.executable, "-m", "chaos.demo.gateway", "--port", str(port)]
    gateway = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with spawn_embedded(folder / "toxiproxy.json") as toxiproxy:
            urls = {
                "providers admin": f"{ready['admin']}/healthz",
                "provider": f"{oai['url']}/models",
                "toxiproxy api": f"{toxiproxy}/version",
                "demo gateway": f"http://127.0.0.1:{port}/healthz",
            }
            deadline = time.monotonic() + 30
            while not _answers(urls["demo gateway"]):
                assert gateway.poll() is None, "the demo gateway exited"
                assert time.monotonic() < deadline, "the demo gateway did not start"
                time.sleep(0.1)
            yield urls
    finally:
        terminate(gateway, grace=10)
        assert terminate(providers, grace=10) == 0


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, headers={"Authorization": "Bearer k"}, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def _slow_client(address: tuple[str, int], closed_after: list[float]) -> None:
    """A request head sent a line at a time, never finished; records when the server closed it."""
    began = time.monotonic()
    with socket.create_connection(address, timeout=1) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        for line in range(int((HEAD_TIMEOUT_S + 10) / LINE_EVERY_S)):
            try:
                if sock.recv(1024) == b"":
                    break
            except TimeoutError:
                pass
            except OSError:
                break
            time.sleep(LINE_EVERY_S - 1)
            try:
                sock.sendall(f"X-Slow-{line}: still coming\r\n".encode())
            except OSError:
                break
        else:
            return  # never closed
        closed_after.append(time.monotonic() - began)


def test_every_server_closes_a_request_head_that_never_ends_and_serves_the_others(servers: dict[str, str]) -> None:
    closed: dict[str, list[float]] = {name: [] for name in servers}
    threads = []
    for name, url in servers.items():
        parts = httpx.URL(url)
        address = (parts.host, parts.port or 80)
        threads += [threading.Thread(target=_slow_client, args=(address, closed[name])) for _ in range(SOCKETS)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    for name, url in servers.items():
        assert _answers(url), f"{name} stopped answering under the attack"
    for thread in threads:
        thread.join(timeout=HEAD_TIMEOUT_S + 30)
    for name, times in closed.items():
        assert len(times) == SOCKETS, f"{name} left {SOCKETS - len(times)} slow sockets open"
        assert min(times) >= HEAD_TIMEOUT_S - 0.5, f"{name} closed a socket after {min(times):.1f} s"
        assert max(times) < HEAD_TIMEOUT_S + 5, f"{name} closed a socket only after {max(times):.1f} s"
