"""One attempt at one provider: a streamed chat call in its own wire format.

The gateway always streams from its providers, even when its own client asked for a
whole answer: that is how it can time the first token, and how the cost guard can stop
a provider that ignores ``max_tokens`` (the provider bills what it sent). Every failure
becomes an ``AttemptFailed`` that says whether retrying the same provider makes sense
and how long the provider asked us to wait.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from chaos.demo.gateway.config import ProviderConfig

NON_RETRYABLE = frozenset({400, 401, 403, 404, 413, 422})
ANTHROPIC_VERSION = "2023-06-01"


class AttemptFailed(Exception):
    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status not in NON_RETRYABLE


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class Chat:
    """A chat request as the gateway forwards it."""

    messages: list[dict[str, Any]]
    max_tokens: int
    request_id: str
    canary: bool = False


@dataclass
class Stream:
    """An open answer: text deltas as they come, then how it finished."""

    provider: ProviderConfig
    response: aiohttp.ClientResponse
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    model: str = ""

    def deltas(self) -> AsyncIterator[str]:
        """The text deltas; raises ``AttemptFailed`` if the stream breaks or ends early."""
        parse = _anthropic_events if self.provider.api == "anthropic" else _openai_events
        return parse(self.response, self)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _request(
    provider: ProviderConfig, chat: Chat, trace_headers: dict[str, str], *, forward_id: bool
) -> tuple[str, dict[str, str], dict[str, Any]]:
    headers = {"content-type": "application/json", **trace_headers}
    if forward_id:
        headers["x-request-id"] = chat.request_id
    if chat.canary:
        headers["x-chaos-canary"] = "1"
    if provider.api == "anthropic":
        system = "\n".join(str(m.get("content", "")) for m in chat.messages if m.get("role") == "system")
        messages = [m for m in chat.messages if m.get("role") != "system"]
        body: dict[str, Any] = {
            "model": provider.model,
            "max_tokens": chat.max_tokens,
            "messages": messages,
            "stream": True,
        }
        if system:
            body["system"] = system
        headers |= {"x-api-key": provider.api_key, "anthropic-version": ANTHROPIC_VERSION}
        return f"{provider.url.rstrip('/')}/v1/messages", headers, body
    body = {
        "model": provider.model,
        "messages": chat.messages,
        "max_tokens": chat.max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    headers["authorization"] = f"Bearer {provider.api_key}"
    return f"{provider.url.rstrip('/')}/chat/completions", headers, body


class Upstream:
    """Streams chats from providers over one pooled HTTP client (aiohttp: far less per-request
    work than httpx, which matters when the gateway is the busiest process of a run)."""

    def __init__(self, *, connect_timeout: float | None, read_timeout: float | None, forward_request_id: bool) -> None:
        self._timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_read=read_timeout)
        self._forward_id = forward_request_id
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:  # created inside the running loop
            connector = aiohttp.TCPConnector(limit=500, limit_per_host=0)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    def open(
        self, provider: ProviderConfig, chat: Chat, trace_headers: dict[str, str] | None = None
    ) -> AbstractAsyncContextManager[Stream]:
        """``trace_headers``: the W3C trace context of the call (``traceparent``), if traced."""
        return _Opening(self._client(), provider, chat, trace_headers or {}, forward_id=self._forward_id)


class _Opening:
    """``async with upstream.open(...) as stream``: the response is closed on exit, which
    is how a stream is cut short (the provider sees the disconnect and bills what it sent)."""

    def __init__(
        self,
        client: aiohttp.ClientSession,
        provider: ProviderConfig,
        chat: Chat,
        trace_headers: dict[str, str],
        *,
        forward_id: bool,
    ) -> None:
        self._client = client
        self._provider = provider
        self._chat = chat
        self._trace_headers = trace_headers
        self._forward_id = forward_id
        self._response: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> Stream:
        url, headers, body = _request(self._provider, self._chat, self._trace_headers, forward_id=self._forward_id)
        try:
            response = await self._client.post(url, headers=headers, data=json.dumps(body))
        except TimeoutError as exc:
            raise AttemptFailed("timeout before response headers") from exc
        except aiohttp.ClientError as exc:
            raise AttemptFailed(f"transport error: {type(exc).__name__}") from exc
        self._response = response
        if response.status >= 400:
            retry_after = _retry_after(response.headers)
            response.close()
            raise AttemptFailed(f"HTTP {response.status}", status=response.status, retry_after=retry_after)
        return Stream(self._provider, response)

    async def __aexit__(self, *exc_info: object) -> None:
        if self._response is not None:
            self._response.close()


async def _sse(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str | None, str]]:
    """(event, data) pairs of a server-sent event stream, read line by line."""
    event: str | None = None
    data: list[str] = []
    try:
        async for raw in response.content:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                if data:
                    yield event, "\n".join(data)
                event, data = None, []
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
    except TimeoutError as exc:
        raise AttemptFailed("stream stalled (read timeout)") from exc
    except aiohttp.ClientError as exc:
        raise AttemptFailed(f"stream broken: {type(exc).__name__}") from exc
    if data:
        yield event, "\n".join(data)


def _json(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise AttemptFailed("malformed stream chunk") from exc
    if not isinstance(value, dict):
        raise AttemptFailed("malformed stream chunk")
    return value


async def _openai_events(response: aiohttp.ClientResponse, stream: Stream) -> AsyncIterator[str]:
    done = False
    async for _, data in _sse(response):
        if data == "[DONE]":
            done = True
            break
        chunk = _json(data)
        if "error" in chunk:
            raise AttemptFailed(f"error in stream: {chunk['error']}")
        stream.model = str(chunk.get("model", stream.model))
        if chunk.get("usage"):
            stream.usage = Usage(chunk["usage"].get("prompt_tokens", 0), chunk["usage"].get("completion_tokens", 0))
        for choice in chunk.get("choices") or []:
            text = (choice.get("delta") or {}).get("content")
            if text:
                yield text
            if choice.get("finish_reason"):
                stream.finish_reason = choice["finish_reason"]
    if not done:
        raise AttemptFailed("stream truncated: no [DONE]")


async def _anthropic_events(response: aiohttp.ClientResponse, stream: Stream) -> AsyncIterator[str]:
    stopped = False
    async for event, data in _sse(response):
        message = _json(data)
        kind = event or message.get("type")
        if kind == "error":
            raise AttemptFailed(f"error in stream: {message.get('error')}")
        if kind == "message_start":
            start = message.get("message") or {}
            stream.model = str(start.get("model", stream.model))
            stream.usage.input_tokens = int((start.get("usage") or {}).get("input_tokens", 0))
        elif kind == "content_block_delta":
            delta = message.get("delta") or {}
            if delta.get("type") == "text_delta" and delta.get("text"):
                yield delta["text"]
        elif kind == "message_delta":
            stream.finish_reason = (message.get("delta") or {}).get("stop_reason") or stream.finish_reason
            stream.usage.output_tokens = int((message.get("usage") or {}).get("output_tokens", 0))
        elif kind == "message_stop":
            stopped = True
            break
    if not stopped:
        raise AttemptFailed("stream truncated: no message_stop")
