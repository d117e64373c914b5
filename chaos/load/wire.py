"""The chat wire formats the load speaks: OpenAI chat completions and Anthropic messages.

``Wire`` builds request bodies and reads answers; a ``StreamDecoder`` turns SSE events
into text deltas and tells whether the stream reached its terminal event (OpenAI
``data: [DONE]``, Anthropic ``message_stop``), carried an error event, or reported usage.
Anything that does not parse raises ``MalformedStream``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic_core import from_json

from chaos.load.sse import MalformedStream, SseEvent
from chaos.scenario.base import Api


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole (non-streamed) answer."""

    text: str
    output_tokens: int | None
    served_value: str | None
    error: str | None = None  # an error body inside a 2xx answer


class StreamDecoder:
    """The state of one stream; ``feed`` returns the text delta an event carries ('' if none)."""

    def __init__(self, served_field: str | None) -> None:
        self.served_field = served_field
        self.served_value: str | None = None
        self.done = False
        self.error: str | None = None
        self.output_tokens: int | None = None

    def feed(self, event: SseEvent) -> str:
        raise NotImplementedError

    def _note_served(self, obj: dict[str, Any]) -> None:
        if self.served_field is not None and self.served_value is None:
            self.served_value = _text_value(obj.get(self.served_field))


class OpenAIStream(StreamDecoder):
    def feed(self, event: SseEvent) -> str:
        if event.data.strip() == b"[DONE]":
            self.done = True
            return ""
        chunk = _object(event.data)
        if "error" in chunk:
            self.error = _error_message(chunk) or "error event"
            return ""
        self._note_served(chunk)
        usage = chunk.get("usage")
        if isinstance(usage, dict) and isinstance(usage.get("completion_tokens"), int):
            self.output_tokens = usage["completion_tokens"]
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise MalformedStream("a chunk without choices")
        if not choices:
            return ""
        delta = choices[0].get("delta") if isinstance(choices[0], dict) else None
        if not isinstance(delta, dict):
            raise MalformedStream("a choice without a delta")
        content = delta.get("content")
        return content if isinstance(content, str) else ""


class AnthropicStream(StreamDecoder):
    def feed(self, event: SseEvent) -> str:
        data = _object(event.data)
        kind = event.event or data.get("type")
        if kind == "content_block_delta":
            delta = data.get("delta")
            if not isinstance(delta, dict):
                raise MalformedStream("a content_block_delta without a delta")
            text = delta.get("text")
            return text if delta.get("type") == "text_delta" and isinstance(text, str) else ""
        if kind == "message_start":
            message = data.get("message")
            if not isinstance(message, dict):
                raise MalformedStream("a message_start without a message")
            self._note_served(message)
        elif kind == "message_delta":
            usage = data.get("usage")
            if isinstance(usage, dict) and isinstance(usage.get("output_tokens"), int):
                self.output_tokens = usage["output_tokens"]
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            self.error = _error_message(data) or "error event"
        return ""


class Wire:
    """One API's request body and answer format."""

    def __init__(self, api: Api, model: str, max_tokens: int, served_field: str | None = None) -> None:
        self.api = api
        self.model = model
        self.max_tokens = max_tokens
        self.served_field = served_field

    def extra_headers(self) -> dict[str, str]:
        return {"anthropic-version": "2023-06-01"} if self.api is Api.ANTHROPIC else {}

    def body(self, prompt: str, *, stream: bool) -> str:
        messages = [{"role": "user", "content": prompt}]
        body: dict[str, Any] = {"model": self.model, "max_tokens": self.max_tokens, "messages": messages}
        if stream:
            body["stream"] = True
            if self.api is Api.OPENAI:
                body["stream_options"] = {"include_usage": True}
        return json.dumps(body)

    def stream(self) -> StreamDecoder:
        return OpenAIStream(self.served_field) if self.api is Api.OPENAI else AnthropicStream(self.served_field)

    def answer(self, body: bytes) -> Answer:
        obj = _object(body)
        served = _text_value(obj.get(self.served_field)) if self.served_field is not None else None
        if "error" in obj:
            return Answer("", None, served, error=_error_message(obj) or "error body")
        if self.api is Api.OPENAI:
            return self._openai(obj, served)
        return self._anthropic(obj, served)

    def _openai(self, obj: dict[str, Any], served: str | None) -> Answer:
        choices = obj.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise MalformedStream("an answer without choices")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise MalformedStream("a choice without a message")
        content = message.get("content")
        usage = obj.get("usage")
        tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
        return Answer(content if isinstance(content, str) else "", tokens if isinstance(tokens, int) else None, served)

    def _anthropic(self, obj: dict[str, Any], served: str | None) -> Answer:
        content = obj.get("content")
        if not isinstance(content, list):
            raise MalformedStream("an answer without content")
        text = "".join(
            block["text"]
            for block in content
            if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str)
        )
        usage = obj.get("usage")
        tokens = usage.get("output_tokens") if isinstance(usage, dict) else None
        return Answer(text, tokens if isinstance(tokens, int) else None, served)


def error_message(body: bytes) -> str | None:
    """The message of an error body in either format, if it is one."""
    try:
        return _error_message(_object(body))
    except MalformedStream:
        return None


def _object(data: bytes) -> dict[str, Any]:
    try:
        value = from_json(data)  # pydantic-core's parser: a stream is a JSON document per event
    except ValueError:
        raise MalformedStream(f"not JSON: {_clip(data)}") from None
    if not isinstance(value, dict):
        raise MalformedStream(f"not a JSON object: {_clip(data)}")
    return value


def _error_message(obj: dict[str, Any]) -> str | None:
    error = obj.get("error")
    if isinstance(error, dict):
        parts = [str(error[key]) for key in ("type", "message") if error.get(key)]
        return ": ".join(parts) or None
    return str(error) if error else None


def _text_value(value: Any) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _clip(data: bytes, limit: int = 80) -> str:
    text = data.decode("utf-8", "replace")
    return text if len(text) <= limit else text[: limit - 3] + "..."
