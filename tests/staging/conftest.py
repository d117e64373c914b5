"""A real Docker engine for the session (``scripts/docker-engine.sh``, as a user runs it),
a mock provider in a container on it, and the staging stack of ``tests/run/conftest.py``
with the primary's proxy pointed at that container.

The engine runs with its socket and data in a temporary directory and is stopped at the
end; the container shares the host's network (everything stays on 127.0.0.1) and runs the
host's Python from read-only bind mounts of the interpreter and this checkout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
from docker.models.containers import Container

from tests.run.conftest import StagingStack, launch_staging
from tests.run.harness import FALLBACK, ROOT

ENGINE_SCRIPT = ROOT / "scripts" / "docker-engine.sh"
BASE_IMAGE = "local/base"
PRIMARY_CONTAINER = "chaos-e2e-primary"  # as tests/staging/scenarios/*.yaml name it
READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class EngineHandle:
    url: str  # DOCKER_HOST
    client: docker.DockerClient


@pytest.fixture(scope="session")
def engine() -> Iterator[EngineHandle]:
    # A short path: the engine's sockets live under it, and a socket path has ~100 bytes at most.
    folder = Path(tempfile.mkdtemp(prefix="chaos-engine-", dir="/tmp"))
    started = subprocess.run(
        ["bash", str(ENGINE_SCRIPT), "start", str(folder)], capture_output=True, text=True, check=False
    )
    try:
        assert started.returncode == 0, f"{ENGINE_SCRIPT} start failed:\n{started.stderr}"
        url = started.stdout.strip().splitlines()[-1]
        client = docker.DockerClient(base_url=url)
        yield EngineHandle(url, client)
        client.close()
    finally:
        subprocess.run(["bash", str(ENGINE_SCRIPT), "stop", str(folder)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def python_mounts() -> dict[str, dict[str, str]]:
    """The host's Python and this checkout, read-only, where they are on the host."""
    paths = {Path("/usr"), Path(sys.base_prefix).resolve(), ROOT}
    return {str(path): {"bind": str(path), "mode": "ro"} for path in paths}


def python_prefix() -> str:
    """``PYTHON_PREFIX`` for compose/local-engine.yml: the Python this checkout's venv was
    made from, or, for Debian's (under /usr, which the override mounts already), a folder
    under /usr, as two mounts of /usr itself would collide."""
    prefix = Path(sys.base_prefix).resolve()
    return "/usr/lib" if prefix.is_relative_to("/usr") else str(prefix)


@dataclass
class ProviderContainer:
    container: Container
    ready: dict[str, object]

    def upstream(self, provider: str) -> str:
        providers = self.ready["providers"]
        assert isinstance(providers, dict)
        return str(providers[provider]["url"]).removeprefix("http://").split("/", 1)[0]

    def status(self) -> str:
        self.container.reload()
        return str(self.container.status)


def run_providers_container(engine: EngineHandle, name: str, folder: Path) -> ProviderContainer:
    """``chaos providers serve`` for the test scenarios' providers, in a container named ``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    # The interpreter running the tests (this checkout's venv), on the host's Python.
    command = [sys.executable, "-m", "chaos", "providers", "serve", "--scenario", str(FALLBACK)]
    container = engine.client.containers.run(
        BASE_IMAGE,
        [*command, "--ready-file", "/ready/providers.json"],
        name=name,
        detach=True,
        network_mode="host",
        working_dir=str(ROOT),
        volumes={**python_mounts(), str(folder): {"bind": "/ready", "mode": "rw"}},
        environment={"CHAOS_TEST_GATEWAY_KEY": "unused", "PYTHONDONTWRITEBYTECODE": "1", "HOME": "/tmp"},
    )
    ready_file = folder / "providers.json"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not ready_file.exists():
        container.reload()
        if container.status not in ("created", "running") or time.monotonic() > deadline:
            raise RuntimeError(f"the providers container did not come up ({container.status}):\n{container.logs()!r}")
        time.sleep(0.05)
    return ProviderContainer(container, json.loads(ready_file.read_text()))


@pytest.fixture(scope="session")
def primary_container(engine: EngineHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProviderContainer]:
    started = run_providers_container(engine, PRIMARY_CONTAINER, tmp_path_factory.mktemp("container"))
    yield started
    started.container.remove(force=True)


@pytest.fixture(scope="session")
def container_stack(
    primary_container: ProviderContainer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StagingStack]:
    """The staging stack, its primary served from the container (through its proxy)."""
    with launch_staging(tmp_path_factory.mktemp("staging")) as stack:
        stack.upstreams["primary"] = primary_container.upstream("primary")
        stack.delete_proxy("primary")
        stack.recreate_proxy("primary")
        yield stack


@pytest.fixture
def staging(container_stack: StagingStack, primary_container: ProviderContainer) -> Iterator[StagingStack]:
    """Clean before the test, checked clean after it, the container running."""
    container_stack.alive()
    container_stack.clear()
    yield container_stack
    left = container_stack.leftovers()
    container_stack.clear()
    container_stack.alive()
    assert left.empty, f"the test left {left}"
