"""One providers process for the room's tests (started once, reset after every test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from chaos.stack.processes import terminate

ROOT = Path(__file__).resolve().parents[2]
EVALS = ROOT / "scenarios" / "evals" / "general.jsonl"
CONFIG = f"""
eval_set: {EVALS}
providers:
  anth: {{api: anthropic, model: claude-test, latency: {{ttft: 0s, jitter: 0s, tokens_per_s: 0}}}}
  oai: {{api: openai, model: gpt-test, latency: {{ttft: 0s, jitter: 0s, tokens_per_s: 0}}}}
  paced: {{api: openai, model: gpt-paced, latency: {{ttft: 300ms, jitter: 50ms, tokens_per_s: 40}}}}
  paced-anth: {{api: anthropic, model: claude-paced, latency: {{ttft: 300ms, jitter: 50ms, tokens_per_s: 40}}}}
  v-anth:
    api: anthropic
    model: claude-sonnet
    latency: {{ttft: 0s, jitter: 0s, tokens_per_s: 0}}
    versions: {{2026-09: {{}}, 2026-11: {{eval_accuracy: 0%, token_use: 0.5}}}}
  v-oai:
    api: openai
    model: gpt-v
    latency: {{ttft: 0s, jitter: 0s, tokens_per_s: 0}}
    version: 2026-11
    versions:
      2026-09: {{}}
      2026-11: {{latency: {{ttft: 300ms, jitter: 0s, tokens_per_s: 0}}}}
  limited: {{api: openai, model: gpt-limited, latency: {{ttft: 0s, jitter: 0s, tokens_per_s: 0}},
            quota: {{rpm: 60, window: 2s}}}}
"""


_Client = TypeVar("_Client")
# What every request that changes the admin API's state must say (a browser page cannot).
JSON = {"Content-Type": "application/json"}


@dataclass
class Mock:
    """A running providers process, seen from a test."""

    admin: str
    providers: dict[str, dict[str, str]]
    process: subprocess.Popen[bytes]
    clients: list[Any] = field(default_factory=list)

    def opened(self, client: _Client) -> _Client:
        """Keep an SDK client to close after the test: a socket left to the garbage
        collector is a ResourceWarning, an error under warnings-as-errors."""
        self.clients.append(client)
        return client

    def url(self, name: str) -> str:
        return self.providers[name]["url"]

    def put(self, name: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.put(f"{self.admin}/behaviours/{name}", json=body)

    def behave(self, name: str, provider: str, kind: str, spec: dict[str, Any], ttl_s: float = 60) -> None:
        response = self.put(name, {"provider": provider, kind: spec, "run": "test", "ttl_s": ttl_s})
        assert response.status_code == 200, response.text

    def ledger(self, **params: Any) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.admin}/ledger", params=params)
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()["rows"]
        return rows

    def reset(self) -> None:
        while self.clients:
            self.clients.pop().close()
        httpx.post(f"{self.admin}/reset", params={"ledger": "true"}, headers=JSON).raise_for_status()
        httpx.delete(f"{self.admin}/lease", params={"force": "true"}, headers=JSON).raise_for_status()


def start_providers(folder: Path, config: str, *flags: str) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """``chaos providers serve`` as the orchestrator starts it; waits for its ready-file."""
    config_path = folder / "providers.yaml"
    config_path.write_text(config)
    ready = folder / "ready.json"
    command = [sys.executable, "-m", "chaos", "providers", "serve", "--config", str(config_path)]
    # Output goes to files: a pipe nobody reads would block the server once it filled.
    with (folder / "stdout.log").open("wb") as out, (folder / "stderr.log").open("wb") as err:
        process = subprocess.Popen(
            [*command, "--ready-file", str(ready), *flags],
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            terminate(process, grace=10)
            raise RuntimeError(f"providers did not start: {(folder / 'stderr.log').read_text()}")
        time.sleep(0.05)
    return process, json.loads(ready.read_text())


@pytest.fixture(scope="session")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mock]:
    folder = tmp_path_factory.mktemp("providers")
    process, ready = start_providers(folder, CONFIG, "--seed", "7")
    try:
        yield Mock(admin=ready["admin"], providers=ready["providers"], process=process)
    finally:
        assert terminate(process, grace=10) == 0
    # Every fault, bad request and abandoned stream of the session was handled: no traceback.
    assert "Traceback" not in (folder / "stderr.log").read_text()


@pytest.fixture(autouse=True)
def _clean_mock(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "mock" in request.fixturenames:
        request.getfixturevalue("mock").reset()
