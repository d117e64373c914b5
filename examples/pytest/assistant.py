"""A small assistant on the official SDKs: OpenAI first, Anthropic as its fallback.

The resilience is hand-written, as many teams write it: a few attempts at each provider
with exponential backoff that waits out a Retry-After, a streamed answer that ends
without its finish reason counted as failed, then the next provider in order. Every
attempt carries the request's ``x-request-id``, so a provider (or a test) can tell a
retry from a new request.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anthropic
import openai

ATTEMPTS = 3  # at each provider
BACKOFF_S = 0.3  # before the second attempt
BACKOFF_FACTOR = 3  # each wait this much longer than the one before
MAX_BACKOFF_S = 5.0
MAX_TOKENS = 64
OPENAI_MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-3-5-haiku-latest"
# Worth another attempt: overloaded, rate limited, a server error, a broken connection.
RETRYABLE = (openai.APIStatusError, openai.APIConnectionError, anthropic.APIStatusError, anthropic.APIConnectionError)


@dataclass(frozen=True)
class Answer:
    text: str
    provider: str


class IncompleteAnswer(Exception):
    """A stream that ended without saying it was finished."""


class AllProvidersFailed(Exception):
    pass


def ask(question: str, *, stream: bool = False) -> Answer:
    request_id = uuid.uuid4().hex
    failures = []
    for provider, client, call in PROVIDERS:  # in fallback order
        try:
            with client() as connected:  # one client for every attempt: a new one costs tens of ms
                return Answer(_with_retries(call, connected, question, request_id, stream), provider)
        except (*RETRYABLE, IncompleteAnswer) as exc:
            failures.append(f"{provider}: {exc}")
    raise AllProvidersFailed("; ".join(failures))


def _with_retries(call: Callable[..., str], client: Any, question: str, request_id: str, stream: bool) -> str:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return call(client, question, request_id, stream)
        except (*RETRYABLE, IncompleteAnswer) as exc:
            if attempt == ATTEMPTS or _status(exc) in (400, 401, 403, 404, 422):
                raise
            time.sleep(_backoff(attempt, exc))
    raise AssertionError("unreachable: the last attempt returns or raises")


def _backoff(attempt: int, exc: Exception) -> float:
    """Exponential, and never shorter than the provider's Retry-After."""
    wait = min(MAX_BACKOFF_S, BACKOFF_S * BACKOFF_FACTOR ** (attempt - 1))
    response = getattr(exc, "response", None)
    retry_after = response.headers.get("retry-after") if response is not None else None
    if retry_after is not None:
        wait = max(wait, float(retry_after))
    return wait


def _status(exc: Exception) -> int | None:
    return getattr(exc, "status_code", None)


def _openai() -> openai.OpenAI:
    # Built as usual: OPENAI_BASE_URL and OPENAI_API_KEY come from the environment. Retries
    # are ours, so the SDK's own are off.
    return openai.OpenAI(max_retries=0, timeout=10)


def _anthropic() -> anthropic.Anthropic:
    return anthropic.Anthropic(max_retries=0, timeout=10)


def _ask_openai(client: openai.OpenAI, question: str, request_id: str, stream: bool) -> str:
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": question}]
    headers = {"x-request-id": request_id}
    if not stream:
        completion = client.chat.completions.create(
            model=OPENAI_MODEL, messages=messages, max_tokens=MAX_TOKENS, extra_headers=headers
        )
        return completion.choices[0].message.content or ""
    parts, finished = [], False
    chunks = client.chat.completions.create(
        model=OPENAI_MODEL, messages=messages, max_tokens=MAX_TOKENS, stream=True, extra_headers=headers
    )
    for chunk in chunks:
        for choice in chunk.choices:
            parts.append(choice.delta.content or "")
            finished = finished or choice.finish_reason is not None
    if not finished:
        raise IncompleteAnswer(f"the stream ended after {len(parts)} chunks without a finish reason")
    return "".join(parts)


def _ask_anthropic(client: anthropic.Anthropic, question: str, request_id: str, stream: bool) -> str:
    messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": question}]
    headers = {"x-request-id": request_id}
    if not stream:
        message = client.messages.create(
            model=ANTHROPIC_MODEL, max_tokens=MAX_TOKENS, messages=messages, extra_headers=headers
        )
        return "".join(block.text for block in message.content if block.type == "text")
    parts, finished = [], False
    with client.messages.stream(
        model=ANTHROPIC_MODEL, max_tokens=MAX_TOKENS, messages=messages, extra_headers=headers
    ) as events:
        for event in events:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                parts.append(event.delta.text)
            finished = finished or event.type == "message_stop"
    if not finished:
        raise IncompleteAnswer(f"the stream ended after {len(parts)} deltas without message_stop")
    return "".join(parts)


PROVIDERS: list[tuple[str, Callable[[], Any], Callable[..., str]]] = [
    ("openai", _openai, _ask_openai),
    ("anthropic", _anthropic, _ask_anthropic),
]
