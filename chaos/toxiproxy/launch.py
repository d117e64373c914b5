"""Which Toxiproxy a run talks to, how to start it, and when it is ready.

A scenario or profile that names a URL gets that server (staging: nothing is started).
Otherwise, ``stack.toxiproxy_server: binary`` with ``toxiproxy-server`` on PATH starts
that binary; anything else starts the embedded server. One client drives all three.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import httpx

from chaos.errors import EnvironmentProblem
from chaos.scenario.model import Stack

BINARY = "toxiproxy-server"


class ServerKind(StrEnum):
    URL = "url"  # a running server: use it, start nothing
    BINARY = "binary"  # toxiproxy-server from PATH
    EMBEDDED = "embedded"  # chaos proxy serve


@dataclass(frozen=True)
class ServerChoice:
    kind: ServerKind
    url: str | None = None  # known up front for a URL or the binary; the embedded server's is in ready_file
    argv: tuple[str, ...] = ()  # the command to spawn; empty for a URL
    ready_file: Path | None = None  # the embedded server writes {"api": URL} here once listening
    reason: str = ""  # why this one, for the run's log


def choose_server(
    stack: Stack,
    *,
    ready_file: Path,
    binary_port: int,
    config: Path | None = None,
    python: str = sys.executable,
    which: Callable[[str], str | None] = shutil.which,
) -> ServerChoice:
    """Decide, without side effects, which server to use and how to start it.

    ``binary_port`` is where a toxiproxy-server would listen: it cannot report a port it
    picked itself, so the caller finds a free one. The embedded server picks its own.
    """
    if stack.toxiproxy is not None:
        return ServerChoice(ServerKind.URL, url=stack.toxiproxy.rstrip("/"), reason="stack.toxiproxy names a server")
    binary = which(BINARY) if stack.toxiproxy_server == "binary" else None
    if binary is not None:
        argv = [binary, "-host", "127.0.0.1", "-port", str(binary_port)]
        if config is not None:
            argv += ["-config", str(config)]
        url = f"http://127.0.0.1:{binary_port}"
        return ServerChoice(ServerKind.BINARY, url=url, argv=tuple(argv), reason=f"{BINARY} found at {binary}")
    argv = [python, "-m", "chaos", "proxy", "serve", "--port", "0", "--ready-file", str(ready_file)]
    if config is not None:
        argv += ["--config", str(config)]
    reason = (
        f"stack.toxiproxy_server is binary but {BINARY} is not on PATH"
        if stack.toxiproxy_server == "binary"
        else "the embedded server (default)"
    )
    return ServerChoice(ServerKind.EMBEDDED, argv=tuple(argv), ready_file=ready_file, reason=reason)


def read_ready_file(path: Path) -> str | None:
    """The API URL the embedded server announced, or None while it has not yet."""
    try:
        content = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    api = content.get("api") if isinstance(content, dict) else None
    return api if isinstance(api, str) else None


async def wait_until_ready(
    choice: ServerChoice, *, exit_code: Callable[[], int | None] = lambda: None, timeout: float = 20.0
) -> str:
    """Poll until the chosen server answers ``GET /version``; return its API URL.

    ``exit_code`` reports the spawned process's exit status (None while it runs), so that a
    server that died is reported at once rather than after the timeout.
    """
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=1.0) as http:
        while True:
            url = choice.url or (read_ready_file(choice.ready_file) if choice.ready_file else None)
            if url is not None:
                try:
                    if (await http.get(f"{url}/version")).status_code == 200:
                        return url
                except httpx.TransportError:
                    pass
            code = exit_code()
            if code is not None:
                raise EnvironmentProblem(f"the Toxiproxy server exited with status {code} before it was ready")
            if time.monotonic() > deadline:
                where = url or choice.ready_file
                raise EnvironmentProblem(f"no Toxiproxy answered within {timeout:g}s ({where})")
            await asyncio.sleep(0.05)
