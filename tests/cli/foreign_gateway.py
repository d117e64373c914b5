"""A gateway that is not the reference one, as a user's own would be: it speaks only the
OpenAI wire format (to its clients and to its providers), takes its port on its command
line (``--port``), answers ``/health`` (not ``/healthz``), names the upstream model that
answered in ``x-upstream`` and forwards no ``x-request-id``. It finds its providers
through the environment contract (``CHAOS_PROVIDERS``, ``CHAOS_PROVIDER_<NAME>_URL``,
``_MODEL``, ``_API_KEY``) and fails over in that order, skipping a provider for a few
seconds after three failures in a row. No cache, no cost guard, no quality guard.

    python tests/cli/foreign_gateway.py --port 8080
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

FIRST_BYTE_TIMEOUT_S = 2.0
TOTAL_TIMEOUT_S = 15.0
SKIP_AFTER_FAILURES = 3
SKIP_FOR_S = 5.0


class Upstream:
    def __init__(self, name: str) -> None:
        prefix = "CHAOS_PROVIDER_" + re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_"
        self.name = name
        self.url = os.environ[prefix + "URL"].rstrip("/") + "/chat/completions"
        self.model = os.environ[prefix + "MODEL"]
        self.key = os.environ[prefix + "API_KEY"]
        self.failures = 0
        self.skip_until = 0.0

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= SKIP_AFTER_FAILURES:
            self.skip_until = time.monotonic() + SKIP_FOR_S

    def answered(self) -> None:
        self.failures, self.skip_until = 0, 0.0


UPSTREAMS = web.AppKey("upstreams", list[Upstream])
SESSION = web.AppKey("session", aiohttp.ClientSession)


async def chat(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    upstreams = request.app[UPSTREAMS]
    now = time.monotonic()
    ready = [u for u in upstreams if u.skip_until <= now] or upstreams
    for upstream in ready:
        try:
            return await forward(request, upstream, body)
        except (aiohttp.ClientError, TimeoutError, UpstreamError):
            upstream.failed()
    return web.json_response({"error": {"message": "every provider failed", "type": "unavailable"}}, status=503)


class UpstreamError(Exception):
    pass


async def forward(request: web.Request, upstream: Upstream, body: dict[str, object]) -> web.StreamResponse:
    """Send ``body`` to ``upstream``; once its first bytes arrived, relay its answer as is."""
    session = request.app[SESSION]
    headers = {"authorization": f"Bearer {upstream.key}"}
    timeout = aiohttp.ClientTimeout(total=TOTAL_TIMEOUT_S, sock_read=FIRST_BYTE_TIMEOUT_S)
    payload = {**body, "model": upstream.model}
    async with session.post(upstream.url, json=payload, headers=headers, timeout=timeout) as up:
        if up.status != 200:
            raise UpstreamError(up.status)
        first = await up.content.readany()  # within sock_read, or TimeoutError
        if not first:
            raise UpstreamError("empty answer")
        upstream.answered()
        answer_headers = {"content-type": up.headers["content-type"], "x-upstream": upstream.model}
        response = web.StreamResponse(headers=answer_headers)
        await response.prepare(request)
        await response.write(first)
        async for chunk in up.content.iter_any():  # a stream that breaks now reaches the client broken
            await response.write(chunk)
        await response.write_eof()
        return response


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def lifecycle(app: web.Application) -> AsyncIterator[None]:
    app[SESSION] = aiohttp.ClientSession()
    yield
    await app[SESSION].close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    names = [name for name in os.environ["CHAOS_PROVIDERS"].split(",") if name]
    app = web.Application()
    app[UPSTREAMS] = [Upstream(name) for name in names]
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/health", health)
    app.cleanup_ctx.append(lifecycle)
    print(f"foreign gateway on {port}: {', '.join(names)}; {os.environ.get('FOREIGN_GATEWAY_NOTE', '')}", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    sys.exit(main())
