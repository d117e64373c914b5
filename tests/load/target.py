"""A tiny system under test for the load room: OpenAI and Anthropic chat on loopback.

It speaks both wire formats (JSON and SSE), waits a known time before the first token,
and produces any failure kind on request, chosen per request by the ``x-test-fault``
header (the load sends the target's configured headers with every request) or by a
prompt ``fault:<name>`` (a test locustfile can then mix every kind in one run):

    status:NNN     that HTTP status with the API's error body (429 carries retry-after)
    hang           no response until the client gives up (a client timeout)
    hang_stream    headers and the first token, then nothing (a timeout mid-stream)
    disconnect     part of the answer, then the connection is dropped
    truncated      a stream that ends cleanly without its terminal event
    malformed      a stream chunk (or an answer) that is not JSON
    stream_error   an error event inside a 200 stream (or an error body with a 200)
    wrong          a healthy answer that is wrong (evals fail)
    echo_auth      a 401 whose message quotes the Authorization header it got, as careless
                   servers do (a secret the load must not record)

Eval prompts are answered with their expected value; anything else gets a few words.
It runs in a thread of the test process (the load runs in its own process anyway).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]


@dataclass
class Settings:
    ttft: float = 0.02  # seconds between the response headers and the first text delta
    headers_delay: float = 0.0  # seconds before the response headers of a stream
    token_gap: float = 0.002
    served_by: str | None = "primary"  # sent as x-served-by
    model: str = "test-model"  # reported in JSON answers
    degraded: str | None = None  # sent as x-degraded
    require_auth: str | None = None  # the Authorization header every request must carry
    answers: dict[str, str] = field(default_factory=dict)  # prompt -> answer


# Right answers to the regex items of scenarios/evals/general.jsonl (their expected value is a pattern).
REGEX_ANSWERS = {"light-speed": "about 299,792 km/s", "binary-5": "101", "hex-255": "0xFF"}


def eval_answers(path: Path) -> dict[str, str]:
    """Prompt -> a right answer, for every item of an eval set."""
    answers = {}
    for line in path.read_text().splitlines():
        if line.strip():
            item = json.loads(line)
            answers[item["prompt"]] = REGEX_ANSWERS.get(item["id"], item["expected"])
    return answers


class Target:
    """The aiohttp application and what it has seen."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.received: Counter[str] = Counter()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.openai)
        app.router.add_post("/v1/messages", self.anthropic)
        app.router.add_get("/healthz", self.healthz)
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def openai(self, request: web.Request) -> web.StreamResponse:
        return await self._chat(request, OpenAIWire())

    async def anthropic(self, request: web.Request) -> web.StreamResponse:
        return await self._chat(request, AnthropicWire())

    async def _chat(self, request: web.Request, wire: Wire) -> web.StreamResponse:
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        fault = request.headers.get("x-test-fault") or (
            prompt.removeprefix("fault:") if prompt.startswith("fault:") else ""
        )
        self.received[fault or "ok"] += 1
        settings = self.settings
        if settings.require_auth is not None and request.headers.get("authorization") != settings.require_auth:
            return web.json_response(wire.error_body("authentication_error", "bad key"), status=401)
        if fault == "echo_auth":
            quoted = f"invalid key {request.headers.get('authorization')!r}"
            return web.json_response(wire.error_body("authentication_error", quoted), status=401)
        if fault.startswith("status:"):
            status = int(fault.partition(":")[2])
            headers = {"retry-after": "1"} if status == 429 else {}
            return web.json_response(wire.error_body("api_error", f"injected {status}"), status=status, headers=headers)
        if fault == "hang":
            await asyncio.sleep(3600)
        answer = settings.answers.get(prompt, "a few words of answer")
        if fault == "wrong":
            answer = "certainly not that"
        tokens = [word + " " for word in answer.split(" ")]
        tokens[-1] = tokens[-1].rstrip()
        headers = self._headers()
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return await self._stream(request, wire, tokens, fault, headers, include_usage=include_usage)
        await asyncio.sleep(settings.ttft + settings.token_gap * len(tokens))
        payload = json.dumps(wire.message(settings.model, "".join(tokens), len(tokens))).encode()
        if fault == "malformed":
            payload = payload[: len(payload) // 2]
        elif fault == "stream_error":
            payload = json.dumps(wire.error_body("server_error", "the model crashed")).encode()
        if fault == "disconnect":
            response = web.StreamResponse(headers={**headers, "content-type": "application/json"})
            response.content_length = len(payload)
            await response.prepare(request)
            await response.write(payload[: len(payload) // 2])
            _drop(request)
            return response
        return web.Response(body=payload, content_type="application/json", headers=headers)

    def _headers(self) -> dict[str, str]:
        headers = {}
        if self.settings.served_by is not None:
            headers["x-served-by"] = self.settings.served_by
        if self.settings.degraded is not None:
            headers["x-degraded"] = self.settings.degraded
        return headers

    async def _stream(
        self,
        request: web.Request,
        wire: Wire,
        tokens: list[str],
        fault: str,
        headers: Mapping[str, str],
        *,
        include_usage: bool,
    ) -> web.StreamResponse:
        settings = self.settings
        response = web.StreamResponse(headers={**headers, "content-type": "text/event-stream"})
        await asyncio.sleep(settings.headers_delay)
        await response.prepare(request)
        for event in wire.opening(settings.model):
            await response.write(event)
        await asyncio.sleep(settings.ttft)
        for index, token in enumerate(tokens):
            if index == 1 and fault == "malformed":
                await response.write(b'data: {"choices": [{"delta": {"content": "oops"\n\n')
            if index == 1 and fault == "disconnect":
                _drop(request)
                return response
            if index == 1 and fault == "hang_stream":
                await asyncio.sleep(3600)
            if index == 1 and fault == "stream_error":
                await response.write(wire.error_event())
                await response.write_eof()
                return response
            await response.write(wire.delta(settings.model, token))
            if index < len(tokens) - 1:
                await asyncio.sleep(settings.token_gap)
        if fault != "truncated":
            for event in wire.closing(settings.model, len(tokens), include_usage):
                await response.write(event)
        await response.write_eof()
        return response


def _drop(request: web.Request) -> None:
    """Cut the connection where it stands (no final chunk, no FIN-ordered end)."""
    transport = request.transport
    assert transport is not None
    transport.abort()


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


class Wire:
    def error_body(self, kind: str, message: str) -> dict[str, Any]:
        raise NotImplementedError

    def message(self, model: str, text: str, tokens: int) -> dict[str, Any]:
        raise NotImplementedError

    def opening(self, model: str) -> list[bytes]:
        raise NotImplementedError

    def delta(self, model: str, text: str) -> bytes:
        raise NotImplementedError

    def closing(self, model: str, tokens: int, include_usage: bool) -> list[bytes]:
        raise NotImplementedError

    def error_event(self) -> bytes:
        raise NotImplementedError


class OpenAIWire(Wire):
    def error_body(self, kind: str, message: str) -> dict[str, Any]:
        return {"error": {"message": message, "type": kind, "param": None, "code": None}}

    def message(self, model: str, text: str, tokens: int) -> dict[str, Any]:
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": tokens, "total_tokens": 5 + tokens},
        }

    def _chunk(self, model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            "usage": None,
        }

    def opening(self, model: str) -> list[bytes]:
        return [_sse(self._chunk(model, {"role": "assistant", "content": ""}))]

    def delta(self, model: str, text: str) -> bytes:
        return _sse(self._chunk(model, {"content": text}))

    def closing(self, model: str, tokens: int, include_usage: bool) -> list[bytes]:
        events = [_sse(self._chunk(model, {}, "stop"))]
        if include_usage:
            usage = {"prompt_tokens": 5, "completion_tokens": tokens, "total_tokens": 5 + tokens}
            events.append(_sse({"id": "chatcmpl-test", "model": model, "choices": [], "usage": usage}))
        return [*events, b"data: [DONE]\n\n"]

    def error_event(self) -> bytes:
        return _sse(self.error_body("server_error", "the model crashed mid-answer"))


class AnthropicWire(Wire):
    def error_body(self, kind: str, message: str) -> dict[str, Any]:
        return {"type": "error", "error": {"type": kind, "message": message}}

    def message(self, model: str, text: str, tokens: int) -> dict[str, Any]:
        return {
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 5, "output_tokens": tokens},
        }

    def opening(self, model: str) -> list[bytes]:
        start = {
            "type": "message_start",
            "message": {"id": "msg_test", "type": "message", "role": "assistant", "model": model, "content": []},
        }
        block = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
        return [
            _sse(start, "message_start"),
            _sse(block, "content_block_start"),
            _sse({"type": "ping"}, "ping"),
        ]

    def delta(self, model: str, text: str) -> bytes:
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}
        return _sse(delta, "content_block_delta")

    def closing(self, model: str, tokens: int, include_usage: bool) -> list[bytes]:
        return [
            _sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            _sse(
                {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": tokens}},
                "message_delta",
            ),
            _sse({"type": "message_stop"}, "message_stop"),
        ]

    def error_event(self) -> bytes:
        return _sse(self.error_body("overloaded_error", "Overloaded"), "error")


class TargetServer:
    """Runs a ``Target`` on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.target = Target(settings or Settings())
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def __enter__(self) -> TargetServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.target.app(), handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
