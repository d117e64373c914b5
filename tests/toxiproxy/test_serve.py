"""``chaos proxy serve``: ready-file, Toxiproxy's config format, clean shutdown, bad input."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.toxiproxy.proxy_helpers import spawn_embedded

SERVE = [sys.executable, "-m", "chaos", "proxy", "serve"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serves_until_signalled_then_exits_zero_and_takes_its_ready_file_away(
    tmp_path: Path, signum: signal.Signals
) -> None:
    ready = tmp_path / "ready.json"
    server = spawn_embedded(ready)
    with server as url:
        assert json.loads(ready.read_text()) == {"api": url}
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/version").status_code == 200
        assert server.process is not None
        server.process.send_signal(signum)
        assert server.process.wait(timeout=10) == 0
        assert not ready.exists()  # a stale file would name an API that is gone


def test_config_in_toxiproxys_format_creates_the_proxies(tmp_path: Path) -> None:
    config = tmp_path / "toxiproxy.json"
    proxies = [
        {"name": "primary", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"},
        {"name": "secondary", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:10", "enabled": False},
    ]
    config.write_text(json.dumps(proxies))
    with spawn_embedded(tmp_path / "ready.json", "--config", str(config)) as url:
        listed = httpx.get(f"{url}/proxies").json()
    assert {name: proxy["enabled"] for name, proxy in listed.items()} == {"primary": True, "secondary": False}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"name": "primary"}]', "missing required field: upstream at proxy 1"),
        ("{nope", "bad request body"),
        ('{"name": "primary"}', "expected a JSON list of proxies"),
        ('[{"name": "p", "upstream": "127.0.0.1:9", "listen": "nowhere"}]', "missing port in address"),
    ],
)
def test_a_bad_config_exits_2_with_a_located_message(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "toxiproxy.json"
    config.write_text(content)
    result = subprocess.run(
        [*SERVE, "--port", "0", "--config", str(config)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert f"error: {config}: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_config_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    result = subprocess.run(
        [*SERVE, "--port", "0", "--config", str(missing)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert f"error: {missing}: cannot read the config" in result.stderr


def test_a_taken_port_exits_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*SERVE, "--port", str(port)], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_importing_the_cli_loads_no_server() -> None:
    code = (
        "import sys, chaos.cli; "
        "loaded = [m for m in ('aiohttp', 'uvloop', 'chaos.toxiproxy.server', 'httpx') if m in sys.modules]; "
        "print(loaded)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
