"""The version of the system under test, read as ``target.version`` says: a command, a
path on the target (its body, or a field of its JSON) or a header of its health check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from chaos.run.version import target_version
from chaos.scenario.model import TargetVersion


@asynccontextmanager
async def gateway() -> AsyncIterator[str]:
    """A target on loopback that says its version three ways."""

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "version": "2.4.1"}, headers={"x-gateway-version": "2.4.1-h"})

    async def version(request: web.Request) -> web.Response:
        return web.Response(text="gateway 2.4.1 (abc123)\nbuilt yesterday\n")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/version", version)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"command": ["python", "-c", "print('gw 7.0.0'); print('more')"]}, "gw 7.0.0"),
        ({"url": "/version"}, "gateway 2.4.1 (abc123)"),
        ({"url": "/healthz", "json": "version"}, "2.4.1"),
        ({"header": "x-gateway-version"}, "2.4.1-h"),
        ({"header": "x-missing"}, "unknown: no x-missing header on /healthz"),
        ({"url": "/nowhere"}, "unknown: HTTPStatusError"),
        ({"command": ["python", "-c", "raise SystemExit(3)"]}, "unknown: ValueError: python exited with code 3"),
    ],
)
def test_the_target_s_version_is_read_as_the_scenario_says(
    source: dict[str, Any], expected: str, tmp_path: Path
) -> None:
    async def read() -> str:
        async with gateway() as url:
            return await target_version(TargetVersion.model_validate(source), url, "/healthz", tmp_path)

    assert asyncio.run(read()).startswith(expected)
