"""One mock provider: its HTTP routes, and the path of a request from receipt to ledger.

Every request gets a ledger row when it ends, however it ends: served, refused by a
behaviour, rejected as malformed, cut mid-stream, or abandoned by the client (status 499,
as nginx logs it, when the client went away before any answer). The row's ``end`` says
how, from the provider's side: ``completed`` (the whole answer was sent), ``failed`` (an
error answer, or a behaviour cut or held the answer: a stream cut, a hang) or
``client_disconnected`` (the client left before the answer was whole, a stream midway
included). Rows of non-2xx answers bill nothing; a 200 bills its input tokens and the
output tokens actually sent, a stream abandoned midway too.

Versions: a provider with ``versions`` answers as ``model@version`` (in the answer's
``model``, as the real APIs name the snapshot that answered, and in the ledger row's
``version``). A request asking for ``model@version`` gets that version; any other gets
the provider's default version, or the one a ``model_swap`` behaviour serves instead.
Each version answers at its own latency profile, gets its ``eval_accuracy`` share of eval
prompts right (a ``quality`` fault lowers it further) and scales its answers' output
tokens by its ``token_use``, within the request's ``max_tokens``.

Timing of an answer: a stream sends its headers and opening frames at once, its first
token after the TTFT (the profile's ttft +- jitter, plus any ``slow_first_token`` delay),
then one token per frame at the profile's pace (or a ``slow_tokens`` pace); a pace of 0
sends all tokens in one write. A non-stream answer comes whole after TTFT plus the time
its tokens would have taken to stream.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from aiohttp import web

from chaos.kinds import CallEnd
from chaos.providers.anthropic_wire import AnthropicWire
from chaos.providers.behaviours import Behaviours, Decision
from chaos.providers.config import ProviderSpec
from chaos.providers.embeddings import stream_embeddings
from chaos.providers.lease import Lease
from chaos.providers.ledger import CLIENT_GONE, Ledger
from chaos.providers.metrics import ProviderMetrics
from chaos.providers.openai_wire import OpenAIWire
from chaos.providers.quotas import STANDING_QUOTA, WINDOW_S, Window
from chaos.providers.requests import ChatRequest, Rejected, parse_chat, parse_embeddings, parse_json
from chaos.providers.streaming import stream_reply
from chaos.providers.text import filler_tokens, seed_of, split_tokens
from chaos.providers.tools import choose_tool, tool_arguments
from chaos.providers.wire import JSON_TYPE, Reply, ToolCall, Wire, retry_headers
from chaos.scenario.base import Api
from chaos.scenario.faults import RateLimit
from chaos.scenario.model import LatencyProfile

MAX_BODY_BYTES = 8 * 1024 * 1024
# Parsed chat requests are kept by body, as a load test's prompts repeat: the same bytes
# always parse to the same request (bad bodies are parsed, and refused, every time).
PARSED_CACHE_SIZE = 4096
PARSED_CACHE_MAX_BODY = 4096
_Handler = Callable[[web.Request, "Outcome"], Awaitable[web.StreamResponse]]


@dataclass
class Shared:
    """What every provider of one process shares with the admin API."""

    behaviours: Behaviours
    ledger: Ledger
    lease: Lease
    metrics: ProviderMetrics
    seed: int


@dataclass(slots=True)
class Outcome:
    """What the ledger row of one request will say; filled in as the request goes."""

    endpoint: str
    received: float
    request_id: str | None
    attempt: int
    canary: bool
    run_id: str | None
    model: str = ""
    stream: bool = False
    status: int = CLIENT_GONE
    end: CallEnd = CallEnd.CLIENT_DISCONNECTED  # until the answer is whole or the provider fails it
    fault: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    retry_after_s: float | None = None
    version: str | None = None
    traceparent: str | None = None


@dataclass(frozen=True, slots=True)
class Pace:
    """A latency profile as the provider draws from it."""

    ttft: float
    jitter: float
    gap: float  # seconds between tokens; 0 sends every token at once


def _pace(latency: LatencyProfile) -> Pace:
    return Pace(latency.ttft, latency.jitter, 1.0 / latency.tokens_per_s if latency.tokens_per_s > 0 else 0.0)


class MockProvider:
    def __init__(self, spec: ProviderSpec, shared: Shared) -> None:
        self.spec = spec
        self.name = spec.name
        self.api = spec.provider.api
        self.shared = shared
        self.wire: Wire = OpenAIWire() if self.api is Api.OPENAI else AnthropicWire()
        quota = spec.provider.quota
        self.window = Window(time.time, round(quota.window) if quota is not None else WINDOW_S)
        # The standing quota, enforced as a quota fault is; a quota fault replaces it while active.
        self._standing = RateLimit(rpm=quota.rpm, tpm=quota.tpm) if quota is not None else None
        self._rng = random.Random(f"{shared.seed}:{spec.name}")
        self._serial = itertools.count(1)
        self._parsed: dict[bytes, ChatRequest] = {}
        provider = spec.provider
        self._pace = _pace(spec.latency)
        self._paces = {version: _pace(provider.latency_of(version)) for version in provider.versions}
        self._pinned = {provider.versioned_model(version): version for version in provider.versions}

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        if self.api is Api.OPENAI:
            app.router.add_post("/v1/chat/completions", self.chat)
            app.router.add_post("/v1/embeddings", self.embeddings)
            app.router.add_get("/v1/models", self.models)
        else:
            app.router.add_post("/v1/messages", self.chat)
        app.router.add_route("*", "/{tail:.*}", self.not_found)
        return app

    def _receive(self, request: web.Request) -> Outcome:
        headers = request.headers
        request_id = headers.get("x-request-id")
        return Outcome(
            endpoint=request.path,
            received=time.time(),
            request_id=request_id,
            attempt=self.shared.ledger.next_attempt(request_id, self.name),
            canary=headers.get("x-chaos-canary") == "1",
            run_id=self.shared.lease.run_id(),
            traceparent=headers.get("traceparent"),
        )

    async def chat(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, self._chat)

    async def embeddings(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, self._embeddings)

    async def models(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, self._models)

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, _not_found)

    async def _serve(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        """Run ``handler``; whatever happens, answer in the provider's shape and bill a row."""
        outcome = self._receive(request)
        in_flight = self.shared.metrics.in_flight
        in_flight[self.name] += 1
        try:
            return await handler(request, outcome)
        except Rejected as exc:
            return self._error(outcome, exc.status, exc.message, param=exc.param)
        except Exception:
            structlog.get_logger().exception("provider failed", provider=self.name, path=request.path)
            return self._error(outcome, 500, "The server had an error while processing your request.")
        finally:
            in_flight[self.name] -= 1
            self._bill(outcome)

    async def _chat(self, request: web.Request, outcome: Outcome) -> web.StreamResponse:
        self._check_headers(request)
        req = self._parse(await _body(request))
        outcome.model, outcome.stream = req.model, req.stream
        decision = self.shared.behaviours.decide(self.name, req.model, outcome.endpoint, req.stream)
        refused = await self._refusal(decision, req, outcome)
        if refused is not None:
            return refused
        outcome.version = self._version(req.model, decision)
        outcome.fault = decision.fault
        reply = self._reply(req, decision, outcome.version)
        pace = self._paces.get(outcome.version or "", self._pace)
        ttft = max(0.0, pace.ttft + (self._rng.uniform(-pace.jitter, pace.jitter) if pace.jitter else 0.0))
        ttft += decision.extra_ttft_s
        gap = decision.inter_token_s if decision.inter_token_s is not None else pace.gap
        limit_headers = self._limit_headers(decision.quota or self._standing)
        outcome.input_tokens = req.input_tokens
        if req.stream:
            return await stream_reply(
                request, self.wire, reply, cut=decision.cut, ttft=ttft, gap=gap, headers=limit_headers, outcome=outcome
            )
        wait = ttft + gap * max(0, len(reply.pieces) - 1)
        if wait > 0:
            await asyncio.sleep(wait)
        outcome.status, outcome.output_tokens, outcome.end = 200, len(reply.pieces), CallEnd.COMPLETED
        return web.Response(body=self.wire.answer(reply), content_type=JSON_TYPE, headers=limit_headers)

    def _parse(self, body: bytes) -> ChatRequest:
        cacheable = len(body) <= PARSED_CACHE_MAX_BODY
        if cacheable:
            cached = self._parsed.get(body)
            if cached is not None:
                return cached
        req = parse_chat(self.api, parse_json(body))
        if cacheable:
            if len(self._parsed) >= PARSED_CACHE_SIZE:
                self._parsed.clear()
            self._parsed[body] = req
        return req

    async def _refusal(self, decision: Decision, req: ChatRequest, outcome: Outcome) -> web.Response | None:
        """The answer a blocking behaviour gives instead of a reply, if one does."""
        if decision.hang:
            outcome.fault, outcome.end = decision.fault, CallEnd.FAILED
            await asyncio.Event().wait()  # until the client goes away or the server stops
        if decision.http_error is not None:
            spec = decision.http_error
            outcome.fault = decision.fault
            message = spec.message or _DEFAULT_MESSAGES.get(spec.status, "The server had an error.")
            return self._error(outcome, spec.status, message, retry_after=spec.retry_after)
        if decision.rate_limit is not None:
            outcome.fault = decision.fault
            return self._rate_limited(outcome, decision.rate_limit.retry_after, None)
        tokens = req.input_tokens + req.max_tokens
        quota = decision.quota or self._standing
        if quota is not None:
            wait = self.window.admit(tokens, quota.rpm, quota.tpm)
            if wait > 0:
                outcome.fault = decision.quota_name if decision.quota is not None else STANDING_QUOTA
                return self._rate_limited(outcome, None if math.isinf(wait) else wait, quota)
        else:
            self.window.admit(tokens, None, None)
        return None

    def _rate_limited(self, outcome: Outcome, retry_after: float | None, quota: RateLimit | None) -> web.Response:
        message = "Rate limit reached for requests. Please try again later."
        response = self._error(outcome, 429, message, retry_after=retry_after)
        response.headers.update(self._limit_headers(quota))
        return response

    def _limit_headers(self, quota: RateLimit | None) -> dict[str, str]:
        usage = self.window.usage(quota.rpm, quota.tpm) if quota is not None else self.window.usage(None, None)
        return self.wire.limit_headers(usage, time.time())

    def _version(self, model: str, decision: Decision) -> str | None:
        """The version that answers: the one the request pins, else the swapped-in or default one."""
        pinned = self._pinned.get(model)
        if pinned is not None:
            decision.unswapped()
            return pinned
        return decision.version or self.spec.provider.default_version

    def _reply(self, req: ChatRequest, decision: Decision, version: str | None) -> Reply:
        serial = next(self._serial)
        quality = decision.quality
        provider = self.spec.provider
        model = req.model if version is None else provider.versioned_model(version)
        if quality is not None and quality.model_version:
            model = quality.model_version
        profile = provider.versions.get(version or "")
        accuracy = profile.eval_accuracy if profile is not None else 1.0
        token_use = profile.token_use if profile is not None else 1.0
        reply = Reply(
            id=self.wire.reply_id(serial),
            model=model,
            created=int(time.time()),
            input_tokens=req.input_tokens,
            pieces=[],
            include_usage=req.include_usage,
        )
        tool = (
            None if req.after_tool_result else choose_tool(req.tools, req.forced_tool, req.any_tool, req.last_user_text)
        )
        if tool is not None:
            reply.tool = ToolCall(self.wire.call_id(serial), tool.name)
            reply.pieces = split_tokens(tool_arguments(tool, req.prompt))
            return reply
        case = self.spec.eval_set.find(req.last_user_text) if self.spec.eval_set is not None else None
        if case is None:
            count = round(min(req.max_tokens, req.max_tokens * token_use) * decision.inflation)
            reply.pieces = filler_tokens(seed_of(req.prompt), count)
            return reply
        pass_rate = min(accuracy, quality.pass_rate if quality is not None else 1.0)
        right = pass_rate >= 1.0 or self._rng.random() < pass_rate
        pieces = split_tokens(case.right_answer if right else case.wrong_answer())
        used = max(len(pieces), min(req.max_tokens, round(len(pieces) * token_use)))
        extra = round(used * decision.inflation) - len(pieces)
        if extra > 0:
            filler = filler_tokens(seed_of(req.prompt), extra)
            pieces += [" " + filler[0], *filler[1:]]
        reply.pieces = pieces
        return reply

    async def _embeddings(self, request: web.Request, outcome: Outcome) -> web.StreamResponse:
        self._check_headers(request)
        req = parse_embeddings(parse_json(await _body(request)))
        outcome.model = req.model
        decision = self.shared.behaviours.decide(self.name, req.model, outcome.endpoint, False)
        refused = await self._refusal(decision, _as_chat(req.model, req.input_tokens), outcome)
        if refused is not None:
            return refused
        outcome.fault = decision.fault
        if self._pace.ttft or decision.extra_ttft_s:
            await asyncio.sleep(self._pace.ttft + decision.extra_ttft_s)
        return await stream_embeddings(request, req, outcome)

    async def _models(self, request: web.Request, outcome: Outcome) -> web.StreamResponse:
        self._check_headers(request)
        assert isinstance(self.wire, OpenAIWire)  # only OpenAI providers route models
        outcome.status, outcome.end = 200, CallEnd.COMPLETED
        provider = self.spec.provider
        models = [provider.model, *(provider.versioned_model(version) for version in provider.versions)]
        return web.Response(body=self.wire.models(models, int(time.time())), content_type=JSON_TYPE)

    def _check_headers(self, request: web.Request) -> None:
        headers = request.headers
        if self.api is Api.OPENAI:
            if not headers.get("Authorization", "").startswith("Bearer "):
                raise Rejected("You didn't provide an API key. Send it as Authorization: Bearer KEY.", status=401)
            return
        if not headers.get("x-api-key") and not headers.get("Authorization", "").startswith("Bearer "):
            raise Rejected("x-api-key header is required", status=401)
        if not headers.get("anthropic-version"):
            raise Rejected("anthropic-version: header is required")

    def _error(
        self,
        outcome: Outcome,
        status: int,
        message: str,
        *,
        param: str | None = None,
        retry_after: float | None = None,
    ) -> web.Response:
        outcome.status, outcome.end = status, CallEnd.FAILED
        headers = {}
        if retry_after is not None:
            headers = retry_headers(retry_after)
            outcome.retry_after_s = retry_after
        return web.Response(
            status=status, body=self.wire.error(status, message, param), content_type=JSON_TYPE, headers=headers
        )

    def _bill(self, outcome: Outcome) -> None:
        ended = time.time()
        billed = 200 <= outcome.status < 300
        input_tokens = outcome.input_tokens if billed else 0
        output_tokens = outcome.output_tokens if billed else 0
        self.shared.ledger.write(
            t=outcome.received,
            t_end=ended,
            provider=self.name,
            endpoint=outcome.endpoint,
            model=outcome.model,
            stream=outcome.stream,
            status=outcome.status,
            end=outcome.end,
            fault=outcome.fault,
            retry_after_s=outcome.retry_after_s,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            request_id=outcome.request_id,
            attempt=outcome.attempt,
            duration_s=ended - outcome.received,
            canary=outcome.canary,
            run_id=outcome.run_id,
            version=outcome.version,
            traceparent=outcome.traceparent,
        )
        self.shared.metrics.observe(
            self.name, outcome.endpoint, outcome.status, outcome.fault, (input_tokens, output_tokens)
        )


_DEFAULT_MESSAGES = {
    400: "Invalid request.",
    401: "Invalid authentication.",
    403: "Permission denied.",
    404: "The model does not exist or you do not have access to it.",
    413: "Request too large.",
    422: "Unprocessable request.",
    500: "The server had an error while processing your request.",
    502: "Bad gateway.",
    503: "The service is temporarily unavailable. Please try again later.",
    504: "Gateway timeout.",
    529: "Overloaded",
}


async def _body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Rejected(
            f"Request too large: the body exceeds {MAX_BODY_BYTES // (1024 * 1024)} MiB.", status=413
        ) from None


async def _not_found(request: web.Request, outcome: Outcome) -> web.StreamResponse:
    raise Rejected(f"Invalid URL ({request.method} {request.path})", status=404)


def _as_chat(model: str, input_tokens: int) -> ChatRequest:
    return ChatRequest(model=model, stream=False, max_tokens=0, input_tokens=input_tokens, prompt="", last_user_text="")
