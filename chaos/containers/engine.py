"""A Docker engine, as container faults and the janitor use it: find containers by name or
compose service, stop, pause, kill or restart them, and bring them back to running.

    engine = await Engine.connect("unix:///run/docker.sock")
    names = await engine.find(name="gateway")          # or service="gateway" (compose)
    await engine.act(names[0], ContainerAction.PAUSE)
    await engine.bring_back(names[0])                   # unpaused, or started

The docker SDK is synchronous (``requests``): every call runs in a worker thread, so the
orchestrator's event loop and the janitor's never wait on the engine. Errors from the
engine become ``ChaosError``s that say which container and which engine.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from typing import TypeVar

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container as DockerContainer

from chaos.errors import ChaosError, EnvironmentProblem
from chaos.scenario.faults import ContainerAction

# The label compose puts on every container of a service (the ``service:`` a fault names).
COMPOSE_SERVICE = "com.docker.compose.service"
DEFAULT_ENGINE = "unix:///var/run/docker.sock"
ENGINE_TIMEOUT_S = 15.0
STOP_GRACE_S = 10  # what ``docker stop`` gives a container before it kills it
T = TypeVar("T")


class EngineUnreachable(EnvironmentProblem):
    """No Docker engine answered where the run looked for one."""


class ContainerNotFound(EnvironmentProblem):
    """A fault names a container the engine does not have."""


class ContainerActionFailed(ChaosError):
    """The engine refused to act on a container."""


def engine_url(configured: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """Where the engine is: the scenario's ``stack.docker``, else ``DOCKER_HOST``, else Docker's default socket."""
    return configured or environ.get("DOCKER_HOST") or DEFAULT_ENGINE


class Engine:
    """One Docker engine, reached at ``url``."""

    def __init__(self, client: docker.DockerClient, url: str) -> None:
        self._client = client
        self.url = url

    @classmethod
    async def connect(cls, url: str) -> Engine:
        """Reach the engine and ping it; raises ``EngineUnreachable`` naming ``url``."""

        def reach() -> docker.DockerClient:
            client = docker.DockerClient(base_url=url, timeout=int(ENGINE_TIMEOUT_S))
            try:
                client.ping()
            except Exception:
                client.close()
                raise
            return client

        try:
            client = await asyncio.to_thread(reach)
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            raise EngineUnreachable(
                f"the Docker engine at {url} did not answer: {_reason(exc)}",
                hint="start it (scripts/docker-engine.sh start DIR runs one of its own), "
                "or point stack.docker (or DOCKER_HOST) at its socket",
            ) from exc
        return cls(client, url)

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)

    async def find(self, *, name: str | None = None, service: str | None = None) -> list[str]:
        """The names of the containers a fault means: the one called (or with the id)
        ``name``, or every container of the compose ``service``. Raises
        ``ContainerNotFound`` listing the containers the engine has."""

        def look() -> list[str]:
            if name is not None:
                try:
                    return [self._client.containers.get(name).name]
                except docker.errors.NotFound:
                    return []
            found = self._client.containers.list(all=True, filters={"label": f"{COMPOSE_SERVICE}={service}"})
            return sorted(container.name for container in found)

        names = await self._call(look, what=f"looking for {name or service}")
        if not names:
            wanted = f"container {name!r}" if name is not None else f"compose service {service!r}"
            raise ContainerNotFound(
                f"the Docker engine at {self.url} has no {wanted}; it has: {await self._visible()}",
                hint="container.name takes a container's name or id; container.service a compose service",
            )
        return names

    async def _visible(self) -> str:
        def listing() -> list[str]:
            return [_describe(container) for container in self._client.containers.list(all=True)]

        seen = await self._call(listing, what="listing containers")
        return ", ".join(sorted(seen)) if seen else "no container at all"

    async def status(self, name: str) -> str:
        """``running``, ``paused``, ``exited``, ``created``, ``restarting`` or ``dead``."""
        status: str = (await self._get(name)).status
        return status

    async def started_at(self, name: str) -> str:
        """When the container last started (the engine's timestamp; a restart changes it)."""
        container = await self._get(name)
        return str(container.attrs["State"]["StartedAt"])

    async def act(self, name: str, action: ContainerAction) -> None:
        """Stop, pause, kill or restart ``name``; acting twice does what acting once did."""

        def carry_out() -> None:
            container = self._client.containers.get(name)
            if action is ContainerAction.PAUSE:
                if container.status == "running":
                    container.pause()
            elif action is ContainerAction.STOP:
                if container.status in ("running", "paused", "restarting"):
                    container.stop(timeout=STOP_GRACE_S)
            elif action is ContainerAction.KILL:
                if container.status == "paused":
                    container.unpause()  # a paused process cannot take a signal
                if container.status in ("running", "paused", "restarting"):
                    container.kill()
            else:
                container.restart(timeout=STOP_GRACE_S)

        await self._call(carry_out, what=f"{action.value} {name}")

    async def bring_back(self, name: str) -> str | None:
        """Back to running, whatever a fault did to it: unpaused, or started. Returns what
        was done (None: it was running already, or is gone)."""

        def revive() -> str | None:
            try:
                container = self._client.containers.get(name)
            except docker.errors.NotFound:
                return None
            if container.status == "paused":
                container.unpause()
                return "unpaused"
            if container.status in ("exited", "created", "dead"):
                container.start()
                return "started"
            return None

        return await self._call(revive, what=f"bringing back {name}")

    async def _get(self, name: str) -> DockerContainer:
        return await self._call(lambda: self._client.containers.get(name), what=f"reading {name}")

    async def _call(self, action: Callable[[], T], *, what: str) -> T:
        try:
            return await asyncio.to_thread(action)
        except docker.errors.NotFound as exc:
            raise ContainerActionFailed(f"{what}: the Docker engine at {self.url} has no such container") from exc
        except docker.errors.APIError as exc:
            raise ContainerActionFailed(f"{what}: the Docker engine at {self.url} refused: {_reason(exc)}") from exc
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            raise EngineUnreachable(f"{what}: the Docker engine at {self.url} did not answer: {_reason(exc)}") from exc


def _describe(container: DockerContainer) -> str:
    service = container.labels.get(COMPOSE_SERVICE)
    return f"{container.name} ({container.status}" + (f", service {service})" if service else ")")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, docker.errors.APIError):
        return str(exc.explanation or exc)
    # The SDK wraps a refused socket several times over; the innermost cause says it plainly.
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return f"{type(exc).__name__}: {exc}"
