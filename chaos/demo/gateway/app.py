"""The gateway's HTTP face: OpenAI-compatible ``POST /v1/chat/completions`` and ``/healthz``.

A streamed request is committed to a provider once its first token arrived: headers
(``x-served-by``, ``x-degraded``) go out with it, and a failure after that reaches the
client as an error event. A whole-answer request is collected first, so a provider that
breaks mid-answer is retried or failed over like any other failure. The cost guard cuts
an answer that runs past its ``max_tokens`` (a provider ignoring it) or its cost ceiling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web

from chaos import __version__
from chaos.demo.gateway.canary import CANARY, CanaryRouting, get_canary, put_canary
from chaos.demo.gateway.config import Break, GatewayConfig
from chaos.demo.gateway.metrics import GatewayMetrics
from chaos.demo.gateway.quality import QualityGuard
from chaos.demo.gateway.router import Degraded, Router, Served, Unavailable
from chaos.demo.gateway.telemetry import Tracing
from chaos.demo.gateway.upstream import AttemptFailed, Chat, Upstream
from chaos.evals import EvalCase, load_eval_set

DEFAULT_MAX_TOKENS = 256
MAX_BODY_BYTES = 1024 * 1024

log = structlog.get_logger()
ROUTER = web.AppKey("router", Router)
CONFIG = web.AppKey("config", GatewayConfig)
METRICS = web.AppKey("metrics", GatewayMetrics)


class InvalidChat(Exception):
    """A chat request the gateway cannot read: answered 400 with the reason."""


@dataclass
class Collected:
    text: str
    finish_reason: str
    input_tokens: int
    output_tokens: int


def build_app(config: GatewayConfig) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[CONFIG] = config
    app[CANARY] = CanaryRouting(config)
    app[METRICS] = metrics = GatewayMetrics([provider.name for provider in config.providers[1:]])
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics.serve)
    app.router.add_put("/admin/canary", put_canary)
    app.router.add_get("/admin/canary", get_canary)
    app.cleanup_ctx.append(_lifecycle)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    timed = config.works(Break.TIMEOUTS)
    upstream = Upstream(
        connect_timeout=config.tuning.connect_timeout if timed else None,
        read_timeout=config.tuning.total_timeout if timed else None,
        forward_request_id=config.tuning.forward_request_id,
    )
    quality = None
    if config.eval_set is not None and config.works(Break.QUALITY_GUARD):
        evals = load_eval_set(config.eval_set)

        async def ask(provider: Any, item: EvalCase) -> str:
            chat = Chat([{"role": "user", "content": item.prompt}], 64, f"canary-{uuid.uuid4().hex[:12]}", canary=True)
            async with upstream.open(provider, chat) as stream:
                return "".join([delta async for delta in stream.deltas()])

        quality = QualityGuard(config.providers, evals, config.tuning, ask)
    tracing = Tracing(os.environ)
    router = Router(config, upstream, quality, app[CANARY], tracing)
    app[ROUTER] = router
    canaries = asyncio.create_task(quality.run()) if quality is not None else None
    yield
    if canaries is not None:
        canaries.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await canaries
    await upstream.aclose()
    await asyncio.to_thread(tracing.shutdown)  # the spans still queued go out before the process ends


async def healthz(request: web.Request) -> web.Response:
    router = request.app[ROUTER]
    return web.json_response(
        {
            "status": "ok",
            "version": __version__,
            "providers": [p.name for p in router.config.providers],
            "breakers": {name: breaker.state.value for name, breaker in router.breakers.items()},
            "demoted": [p.name for p in router.config.providers if router.quality and router.quality.demoted(p.name)],
            "broken": router.config.broken.value if router.config.broken else None,
            "canary": router.canary.view(),
        }
    )


def _error(status: int, message: str, kind: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": kind, "param": None, "code": None}}, status=status)


async def _parse(request: web.Request, config: GatewayConfig) -> tuple[Chat, bool, bool]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise InvalidChat("the body is not JSON") from None
    if not isinstance(body, dict):
        raise InvalidChat("the body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidChat("messages must be a non-empty list")
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise InvalidChat("each message needs a role")
        if not isinstance(message.get("content"), str):
            raise InvalidChat("each message needs text content")
    requested = body.get("max_completion_tokens", body.get("max_tokens", DEFAULT_MAX_TOKENS))
    if not isinstance(requested, int) or isinstance(requested, bool) or requested < 1:
        raise InvalidChat("max_tokens must be a positive integer")
    if config.works(Break.COST_GUARD):
        requested = min(requested, config.tuning.max_tokens_cap)
    stream = body.get("stream", False) is True
    usage = bool((body.get("stream_options") or {}).get("include_usage")) if stream else True
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    chat = Chat([{"role": m["role"], "content": m["content"]} for m in messages], requested, request_id)
    return chat, stream, usage


async def chat_completions(request: web.Request) -> web.StreamResponse:
    router = request.app[ROUTER]
    started = time.monotonic()
    try:
        chat, stream, include_usage = await _parse(request, router.config)
    except InvalidChat as exc:
        return _error(400, str(exc), "invalid_request_error")
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "the request body is too large", "invalid_request_error")
    fields: dict[str, Any] = {"request_id": chat.request_id, "stream": stream}
    try:
        with router.tracing.request(request.headers, chat.request_id, stream) as span:
            response = await (
                _stream(request, router, chat, include_usage, fields) if stream else _whole(router, chat, fields)
            )
            span.set_attribute("http.response.status_code", response.status)
            return response
    finally:
        log.info("request", duration_ms=round((time.monotonic() - started) * 1000), **fields)
        request.app[METRICS].count(fields)


async def _whole(router: Router, chat: Chat, fields: dict[str, Any]) -> web.Response:
    failed: list[str] = []  # grows each turn, so the chain runs out
    while True:
        routed = await router.route(chat, skip=failed)
        fields["attempts"] = [f"{a.provider}: {a.outcome}" for a in routed.attempts]
        if not isinstance(routed, Served):
            return _degraded_whole(routed, chat, fields)
        try:
            collected = await _collect(router.config, routed, chat)
        except AttemptFailed as failure:
            await routed.finish(False)
            failed.append(routed.provider.name)
            fields.setdefault("mid_answer_failures", []).append(f"{routed.provider.name}: {failure.reason}")
            continue
        await routed.finish(True)
        router.remember(chat, collected.text)
        fields |= {"served_by": routed.provider.name, "status": 200, **_model_fields(router.config, routed)}
        body = _completion(chat, routed.provider.model, collected)
        return web.json_response(body, headers=_headers(chat, routed.provider.name, None))


def _degraded_whole(routed: Degraded | Unavailable, chat: Chat, fields: dict[str, Any]) -> web.Response:
    if isinstance(routed, Unavailable):
        fields["status"] = 503
        return _error(503, "every provider failed", "server_error")
    fields |= {"served_by": routed.kind, "degraded": routed.kind, "fallback": False, "status": 200}
    collected = Collected(routed.text, "stop", _estimate_tokens(chat), len(routed.text.split()))
    return web.json_response(
        _completion(chat, routed.kind, collected), headers=_headers(chat, routed.kind, routed.kind)
    )


async def _collect(config: GatewayConfig, served: Served, chat: Chat) -> Collected:
    parts: list[str] = []
    finish = "stop"
    async for delta, cut in _guarded(config, served, chat):
        if cut:
            finish = "length"
            break
        parts.append(delta)
    usage = served.stream.usage
    return Collected("".join(parts), finish, usage.input_tokens, usage.output_tokens or len(parts))


async def _guarded(config: GatewayConfig, served: Served, chat: Chat) -> AsyncIterator[tuple[str, bool]]:
    """The answer's deltas, the first included; stops (and says so) when the cost guard cuts it.

    Each delta counts as one token: the guard cuts an answer running past ``max_tokens``
    (a provider ignoring it) or past the cost ceiling.
    """
    guard = config.works(Break.COST_GUARD)
    provider = served.provider
    input_tokens = served.stream.usage.input_tokens or _estimate_tokens(chat)
    tokens = 0
    delta: str | None = served.first
    while delta is not None:
        tokens += 1 if delta else 0
        over_cost = provider.cost(input_tokens, tokens) > config.tuning.max_cost_usd
        if guard and (tokens > chat.max_tokens or over_cost):
            yield "", True
            return
        if delta:
            yield delta, False
        delta = await _next(served)


async def _next(served: Served) -> str | None:
    """The next delta, within the attempt's deadline and its stall timeout (a stream that
    goes silent is a failure: a whole answer can still be retried elsewhere)."""
    remaining = None if served.deadline is None else served.deadline - time.monotonic()
    if remaining is not None and remaining <= 0:
        raise AttemptFailed("total timeout")
    limits = [limit for limit in (remaining, served.stall) if limit is not None]
    try:
        return await asyncio.wait_for(anext(served.deltas), min(limits) if limits else None)
    except StopAsyncIteration:
        return None
    except TimeoutError:
        stalled = served.stall is not None and (remaining is None or served.stall < remaining)
        raise AttemptFailed("stream stalled" if stalled else "total timeout") from None


async def _stream(
    request: web.Request, router: Router, chat: Chat, include_usage: bool, fields: dict[str, Any]
) -> web.StreamResponse:
    routed = await router.route(chat)
    fields["attempts"] = [f"{a.provider}: {a.outcome}" for a in routed.attempts]
    if isinstance(routed, Unavailable):
        fields["status"] = 503
        return _error(503, "every provider failed", "server_error")
    served_by = routed.provider.name if isinstance(routed, Served) else routed.kind
    degraded = routed.kind if isinstance(routed, Degraded) else None
    model = routed.provider.model if isinstance(routed, Served) else served_by
    response = web.StreamResponse(headers={"content-type": "text/event-stream", "cache-control": "no-cache"})
    response.headers.update(_headers(chat, served_by, degraded))
    await response.prepare(request)
    fields |= {"served_by": served_by, "degraded": degraded, "status": 200}
    fields |= _model_fields(router.config, routed) if isinstance(routed, Served) else {"fallback": False}
    chunk = _ChunkWriter(response, chat, model)
    if isinstance(routed, Degraded):
        await chunk.text(routed.text)
        await chunk.end("stop", _estimate_tokens(chat), len(routed.text.split()), include_usage)
        return response
    ok = False
    try:
        parts: list[str] = []
        finish = "stop"
        async for delta, cut in _guarded(router.config, routed, chat):
            if cut:
                finish = "length"
                break
            parts.append(delta)
            await chunk.text(delta)
        usage = routed.stream.usage
        await chunk.end(finish, usage.input_tokens, usage.output_tokens or len(parts), include_usage)
        ok = True
        router.remember(chat, "".join(parts))
    except AttemptFailed as failure:
        fields["mid_stream_failure"] = failure.reason
        await chunk.error(failure.reason)
    finally:
        await routed.finish(ok)
    return response


class _ChunkWriter:
    def __init__(self, response: web.StreamResponse, chat: Chat, model: str) -> None:
        self._response = response
        self._id = f"chatcmpl-{chat.request_id}"
        self._model = model
        self._created = int(time.time())

    async def _send(self, payload: dict[str, Any] | str) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        await self._response.write(f"data: {data}\n\n".encode())

    def _chunk(self, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    async def text(self, text: str) -> None:
        await self._send(self._chunk({"content": text}, None))

    async def end(self, finish: str, input_tokens: int, output_tokens: int, include_usage: bool) -> None:
        await self._send(self._chunk({}, finish))
        if include_usage:
            usage = {"prompt_tokens": input_tokens, "completion_tokens": output_tokens}
            usage["total_tokens"] = input_tokens + output_tokens
            await self._send({**self._chunk({}, None), "choices": [], "usage": usage})
        await self._send("[DONE]")

    async def error(self, reason: str) -> None:
        await self._send({"error": {"message": f"upstream failed mid-stream: {reason}", "type": "server_error"}})


def _model_fields(config: GatewayConfig, served: Served) -> dict[str, Any]:
    """What the request log says of the answer: the model, its version as the provider
    named it, the prompt's version, and whether a fallback provider gave it."""
    logged = {
        "model": served.provider.model,
        "model_version": served.stream.model or served.provider.model,
        "prompt_version": config.tuning.prompt_version,
        "fallback": served.provider.name != config.providers[0].name,
    }
    if not config.works(Break.LOGGING):
        del logged["model_version"]
    return logged


def _headers(chat: Chat, served_by: str, degraded: str | None) -> dict[str, str]:
    headers = {"x-served-by": served_by, "x-request-id": chat.request_id}
    if degraded is not None:
        headers["x-degraded"] = degraded
    return headers


def _completion(chat: Chat, model: str, collected: Collected) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{chat.request_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": collected.text},
                "finish_reason": collected.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": collected.input_tokens,
            "completion_tokens": collected.output_tokens,
            "total_tokens": collected.input_tokens + collected.output_tokens,
        },
    }


def _estimate_tokens(chat: Chat) -> int:
    return max(1, sum(len(str(m["content"])) for m in chat.messages) // 4)
