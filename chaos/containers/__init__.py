"""Containers on a Docker engine: found by name or compose service, acted on, brought back.

Container faults (``chaos.faults.container``) and the janitor reach the engine only
through ``Engine``, over the Docker API (the ``docker`` SDK)."""

from chaos.containers.engine import (
    ContainerActionFailed,
    ContainerNotFound,
    Engine,
    EngineUnreachable,
    engine_url,
)

__all__ = ["ContainerActionFailed", "ContainerNotFound", "Engine", "EngineUnreachable", "engine_url"]
