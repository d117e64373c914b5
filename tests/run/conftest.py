"""A staging environment on loopback, started by hand as an operator would: the mock
providers (``chaos providers serve``), Toxiproxy (``chaos proxy serve``) with one proxy per
provider, and the demo gateway configured through the environment contract (README,
"Pointing chaos run at your own app"). ``chaos run`` starts none of it and kills none of
it, so whatever a run leaves behind stays there to be seen.

One stack serves the whole session; runs against it are sequential (its lease makes them
so). After each test that used it, it must be clean again: tests that leave something on
purpose clear it themselves.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from chaos.providers.admin_models import ADMIN_TOKEN_ENV
from chaos.stack.processes import terminate
from tests.run.harness import FALLBACK, JSON, ROOT, Leftovers, leftovers

PROVIDERS = {  # name -> (api, model), as in tests/run/scenarios/*.yaml
    "primary": ("anthropic", "claude-test"),
    "secondary": ("openai", "gpt-test"),
    "tertiary": ("openai", "gpt-test-mini"),
}
READY_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Started:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        terminate(self.process, grace=10)


def start(name: str, argv: list[str], folder: Path, env: dict[str, str] | None = None) -> Started:
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    return Started(name, process, log)


def wait_ready_file(started: Started, path: Path) -> dict[str, object]:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if started.process.poll() is not None:
            raise RuntimeError(f"{started.name} exited: {started.log.read_text()}")
        if path.exists():
            data: dict[str, object] = json.loads(path.read_text())
            return data
        time.sleep(0.05)
    raise RuntimeError(f"{started.name} was not ready: {started.log.read_text()}")


@dataclass
class StagingStack:
    admin_url: str
    toxiproxy_url: str
    target_url: str
    proxies: dict[str, str]  # proxy name -> listen host:port
    upstreams: dict[str, str]  # proxy name -> upstream host:port
    processes: list[Started] = field(default_factory=list)
    admin_token: str | None = None  # the providers' CHAOS_ADMIN_TOKEN, if they were started with one

    def env(self) -> dict[str, str]:
        """The URLs (and the admin token) as a user's environment holds them (the scenario refers to them)."""
        return {
            "CHAOS_TEST_TOXIPROXY": self.toxiproxy_url,
            "CHAOS_TEST_PROVIDERS_ADMIN": self.admin_url,
            "CHAOS_TEST_TARGET": self.target_url,
            **({ADMIN_TOKEN_ENV: self.admin_token} if self.admin_token else {}),
        }

    def admin_headers(self) -> dict[str, str]:
        return {**JSON, **({"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {})}

    @staticmethod
    def overrides() -> tuple[str, ...]:
        """A local scenario turned into a staging one, its URLs as ``${ENV}`` references."""
        return (
            "environment=staging",
            "target.start=null",
            "target.url=${CHAOS_TEST_TARGET}",
            "stack.toxiproxy=${CHAOS_TEST_TOXIPROXY}",
            "stack.providers_admin=${CHAOS_TEST_PROVIDERS_ADMIN}",
        )

    def leftovers(self) -> Leftovers:
        return leftovers(self.admin_url, self.toxiproxy_url, admin_headers=self.admin_headers())

    def clear(self) -> None:
        """Everything back to clean: behaviours, toxics, disabled proxies, the lease."""
        admin = self.admin_headers()
        with httpx.Client(timeout=5.0) as http:
            http.post(f"{self.admin_url}/reset", headers=admin).raise_for_status()
            http.post(f"{self.toxiproxy_url}/reset", headers=JSON).raise_for_status()
            http.delete(f"{self.admin_url}/lease", params={"force": "true"}, headers=admin).raise_for_status()

    def delete_proxy(self, name: str) -> None:
        with httpx.Client(timeout=5.0) as http:
            http.delete(f"{self.toxiproxy_url}/proxies/{name}").raise_for_status()

    def recreate_proxy(self, name: str) -> None:
        """A proxy deleted by a test, back where the gateway expects it."""
        with httpx.Client(timeout=5.0) as http:
            body = {"name": name, "listen": self.proxies[name], "upstream": self.upstreams[name], "enabled": True}
            http.post(f"{self.toxiproxy_url}/proxies", json=body).raise_for_status()

    def alive(self) -> None:
        for started in self.processes:
            assert started.process.poll() is None, f"{started.name} died: {started.log.read_text()[-2000:]}"


def _gateway_env(proxies: dict[str, str], port: int) -> dict[str, str]:
    env = {**os.environ, "CHAOS_PROVIDERS": ",".join(PROVIDERS), "CHAOS_TARGET_PORT": str(port)}
    for name, (api, model) in PROVIDERS.items():
        prefix = f"CHAOS_PROVIDER_{name.upper()}_"
        url = f"http://{proxies[name]}" + ("/v1" if api == "openai" else "")
        env |= {prefix + "URL": url, prefix + "API": api, prefix + "MODEL": model, prefix + "API_KEY": "dummy"}
    return env


def _wait_healthy(started: Started, url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if started.process.poll() is not None:
                raise RuntimeError(f"{started.name} exited: {started.log.read_text()}")
            try:
                if http.get(url).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer: {started.log.read_text()}")


@contextmanager
def launch_staging(folder: Path, admin_token: str | None = None) -> Iterator[StagingStack]:
    """A staging stack in ``folder``; with ``admin_token``, its providers are started with
    ``CHAOS_ADMIN_TOKEN``, as the README tells an operator to start them."""
    chaos = [sys.executable, "-m", "chaos"]
    processes: list[Started] = []
    guard = {ADMIN_TOKEN_ENV: admin_token} if admin_token else {}
    try:
        providers = start(
            "providers",
            [*chaos, "providers", "serve", "--scenario", str(FALLBACK), "--ready-file", str(folder / "providers.json")],
            folder,
            env={**os.environ, "CHAOS_TEST_GATEWAY_KEY": "unused", **guard},
        )
        processes.append(providers)
        toxiproxy = start(
            "toxiproxy", [*chaos, "proxy", "serve", "--port", "0", "--ready-file", str(folder / "toxi.json")], folder
        )
        processes.append(toxiproxy)
        ready = wait_ready_file(providers, folder / "providers.json")
        toxiproxy_url = str(wait_ready_file(toxiproxy, folder / "toxi.json")["api"])
        provider_urls = ready["providers"]
        assert isinstance(provider_urls, dict)
        proxies, upstreams = {}, {}
        with httpx.Client(timeout=5.0) as http:
            for name in PROVIDERS:
                upstream = str(provider_urls[name]["url"]).removeprefix("http://").split("/", 1)[0]
                body = {"name": name, "listen": "127.0.0.1:0", "upstream": upstream}
                created = http.post(f"{toxiproxy_url}/proxies", json=body)
                created.raise_for_status()
                proxies[name], upstreams[name] = created.json()["listen"], upstream
        port = free_port()
        gateway_argv = [sys.executable, "-m", "chaos.demo.gateway"]
        gateway = start("gateway", gateway_argv, folder, env=_gateway_env(proxies, port))
        processes.append(gateway)
        target_url = f"http://127.0.0.1:{port}"
        _wait_healthy(gateway, f"{target_url}/healthz")
        yield StagingStack(
            str(ready["admin"]), toxiproxy_url, target_url, proxies, upstreams, processes, admin_token=admin_token
        )
    finally:
        for started in reversed(processes):
            started.stop()


@pytest.fixture(scope="session")
def staging_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StagingStack]:
    with launch_staging(tmp_path_factory.mktemp("staging")) as stack:
        yield stack


@pytest.fixture
def staging(staging_stack: StagingStack) -> Iterator[StagingStack]:
    """The session's staging stack, clean before the test, and checked clean after it."""
    staging_stack.alive()
    staging_stack.clear()
    yield staging_stack
    left = staging_stack.leftovers()
    staging_stack.clear()
    staging_stack.alive()
    assert left.empty, f"the test left {left}"
