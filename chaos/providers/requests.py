"""Request bodies of both APIs read into one shape, with the 400s real providers give.

Parsing is by hand on purpose: it is on every request's path, and a pydantic model of
the whole chat request costs more than the rest of a zero-latency answer. Only the fields
the mock acts on are checked; a wrong type there is a ``Rejected`` naming the field,
which the wire modules render in the provider's own error shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chaos.providers.text import count_tokens
from chaos.providers.tools import Tool
from chaos.scenario.base import Api

DEFAULT_MAX_TOKENS = 64
MAX_OUTPUT_TOKENS = 32_768  # what the mock "model" supports, as real models cap max_tokens
# OpenAI's limits on one embeddings request: inputs, tokens of each, tokens of all.
MAX_EMBEDDING_INPUTS = 2048
MAX_EMBEDDING_INPUT_TOKENS = 8192
MAX_EMBEDDING_REQUEST_TOKENS = 300_000


class Rejected(Exception):
    """The request cannot be served as sent: the provider answers ``status`` (400 unless
    said otherwise; 401 without a key, 404 for an unknown path) in its own error shape."""

    def __init__(self, message: str, *, param: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What the mock needs of a chat request, whichever API it came through (read-only:
    the provider reuses it for requests with the same body)."""

    model: str
    stream: bool
    max_tokens: int
    input_tokens: int
    prompt: str  # every text of the request, joined: what the answer is derived from
    last_user_text: str
    include_usage: bool = False
    tools: tuple[Tool, ...] = ()
    forced_tool: str | None = None
    any_tool: bool = False
    after_tool_result: bool = False


@dataclass(slots=True)
class EmbeddingRequest:
    model: str
    inputs: list[str]
    dimensions: int
    base64: bool
    input_tokens: int


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise Rejected("We could not parse the JSON body of your request. The body must be valid JSON.") from None
    if not isinstance(data, dict):
        raise Rejected("The request body must be a JSON object.")
    return data


def parse_chat(api: Api, data: dict[str, Any]) -> ChatRequest:
    return _parse_openai(data) if api is Api.OPENAI else _parse_anthropic(data)


def _parse_openai(data: dict[str, Any]) -> ChatRequest:
    model = _required_str(data, "model")
    messages = _messages(data)
    stream = _optional_bool(data, "stream")
    include_usage = False
    options = data.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            raise Rejected("stream_options must be an object.", param="stream_options")
        if not stream:
            raise Rejected(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options"
            )
        include_usage = options.get("include_usage") is True
    max_tokens = _max_tokens(data, "max_completion_tokens")
    if max_tokens is None:
        max_tokens = _max_tokens(data, "max_tokens")
    texts: list[str] = []
    last_user = ""
    after_tool = False
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("system", "developer", "user", "assistant", "tool", "function"):
            raise Rejected(f"Invalid value for 'role': {str(role)[:40]!r}.", param=f"messages[{index}].role")
        text = _content_text(message.get("content"), f"messages[{index}].content")
        texts.append(text)
        if role == "user":
            last_user = text
        after_tool = role in ("tool", "function")
    tools = _openai_tools(data.get("tools"))
    forced, any_tool = _openai_tool_choice(data.get("tool_choice"))
    prompt = _prompt(texts, tools)
    return ChatRequest(
        model=model,
        stream=stream,
        max_tokens=max_tokens or DEFAULT_MAX_TOKENS,
        input_tokens=count_tokens(prompt),
        prompt=prompt,
        last_user_text=last_user,
        include_usage=include_usage,
        tools=tools,
        forced_tool=forced,
        any_tool=any_tool,
        after_tool_result=after_tool,
    )


def _parse_anthropic(data: dict[str, Any]) -> ChatRequest:
    model = _required_str(data, "model")
    max_tokens = _max_tokens(data, "max_tokens")
    if max_tokens is None:
        raise Rejected("max_tokens: Field required", param="max_tokens")
    messages = _messages(data)
    stream = _optional_bool(data, "stream")
    texts = [_content_text(data.get("system"), "system")]
    last_user = ""
    after_tool = False
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise Rejected(
                f"messages.{index}.role: Input should be 'user' or 'assistant'", param=f"messages.{index}.role"
            )
        content = message.get("content")
        text = _content_text(content, f"messages.{index}.content")
        texts.append(text)
        if role == "user":
            last_user = text
            after_tool = isinstance(content, list) and any(
                isinstance(block, dict) and block.get("type") == "tool_result" for block in content
            )
    tools = _anthropic_tools(data.get("tools"))
    forced, any_tool = _anthropic_tool_choice(data.get("tool_choice"))
    prompt = _prompt(texts, tools)
    return ChatRequest(
        model=model,
        stream=stream,
        max_tokens=max_tokens,
        input_tokens=count_tokens(prompt),
        prompt=prompt,
        last_user_text=last_user,
        tools=tools,
        forced_tool=forced,
        any_tool=any_tool,
        after_tool_result=after_tool,
    )


def _prompt(texts: list[str], tools: tuple[Tool, ...]) -> str:
    """Every text the request carries, tool definitions as JSON: what input tokens count."""
    if tools:
        texts.append(json.dumps([{"name": tool.name, "schema": tool.schema} for tool in tools]))
    return "\n".join(texts)


def parse_embeddings(data: dict[str, Any]) -> EmbeddingRequest:
    model = _required_str(data, "model")
    raw = data.get("input")
    inputs: list[str]
    if isinstance(raw, str):
        inputs = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(item, str) for item in raw):
        inputs = list(raw)
    elif isinstance(raw, list) and raw and all(_is_int(item) for item in raw):
        inputs = [" ".join(str(item) for item in raw)]
    elif isinstance(raw, list) and raw and all(isinstance(i, list) and i and all(map(_is_int, i)) for i in raw):
        inputs = [" ".join(str(item) for item in tokens) for tokens in raw]
    else:
        raise Rejected("'input' must be a non-empty string, array of strings, or array of token arrays.", param="input")
    if len(inputs) > MAX_EMBEDDING_INPUTS:
        raise Rejected(f"'input' must have at most {MAX_EMBEDDING_INPUTS} items.", param="input")
    dimensions = _optional_int(data, "dimensions") or 1536
    if dimensions > 4096:
        raise Rejected("'dimensions' must be at most 4096.", param="dimensions")
    encoding = data.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise Rejected("'encoding_format' must be 'float' or 'base64'.", param="encoding_format")
    counts = [count_tokens(text) for text in inputs]
    for count in counts:
        if count > MAX_EMBEDDING_INPUT_TOKENS:
            raise Rejected(
                f"This model's maximum context length is {MAX_EMBEDDING_INPUT_TOKENS} tokens, however you requested "
                f"{count} tokens ({count} in your prompt; 0 for the completion). "
                "Please reduce your prompt; or completion length.",
                param="input",
            )
    if sum(counts) > MAX_EMBEDDING_REQUEST_TOKENS:
        raise Rejected(
            f"Requested {sum(counts)} tokens, max {MAX_EMBEDDING_REQUEST_TOKENS} tokens per request", param="input"
        )
    return EmbeddingRequest(
        model=model,
        inputs=inputs,
        dimensions=dimensions,
        base64=encoding == "base64",
        input_tokens=sum(counts),
    )


def _messages(data: dict[str, Any]) -> list[dict[str, Any]]:
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Rejected("'messages' must be a non-empty array of message objects.", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise Rejected(f"messages[{index}] must be an object.", param=f"messages[{index}]")
    return messages


def _content_text(content: Any, param: str) -> str:
    """The text of a message's content: a string, or the text of its parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise Rejected(f"'{param}' must be a string or an array of content parts.", param=param)
    texts = []
    for index, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise Rejected(f"'{param}[{index}]' must be an object with a type.", param=f"{param}[{index}]")
        text = part.get("text")
        if isinstance(text, str):
            texts.append(text)
        elif part["type"] == "tool_result":
            texts.append(_content_text(part.get("content"), f"{param}[{index}].content"))
        elif part["type"] == "tool_use":
            texts.append(json.dumps(part.get("input")))
    return "\n".join(texts)


def _openai_tools(raw: Any) -> tuple[Tool, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise Rejected("'tools' must be an array.", param="tools")
    tools = []
    for index, entry in enumerate(raw):
        function = entry.get("function") if isinstance(entry, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise Rejected(f"tools[{index}].function.name is required.", param=f"tools[{index}].function")
        schema = function.get("parameters", {})
        tools.append(Tool(function["name"], schema if isinstance(schema, dict) else {}))
    return tuple(tools)


def _openai_tool_choice(raw: Any) -> tuple[str | None, bool]:
    if raw is None or raw in ("auto", "none"):
        return None, False
    if raw == "required":
        return None, True
    if isinstance(raw, dict) and isinstance(raw.get("function"), dict):
        name = raw["function"].get("name")
        if isinstance(name, str):
            return name, False
    raise Rejected("Invalid value for 'tool_choice'.", param="tool_choice")


def _anthropic_tools(raw: Any) -> tuple[Tool, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise Rejected("tools: Input should be a valid list", param="tools")
    tools = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise Rejected(f"tools.{index}.name: Field required", param=f"tools.{index}.name")
        schema = entry.get("input_schema", {})
        tools.append(Tool(entry["name"], schema if isinstance(schema, dict) else {}))
    return tuple(tools)


def _anthropic_tool_choice(raw: Any) -> tuple[str | None, bool]:
    if raw is None:
        return None, False
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind in ("auto", "none"):
        return None, False
    if kind == "any":
        return None, True
    if kind == "tool" and isinstance(raw.get("name"), str):
        return raw["name"], False
    raise Rejected("tool_choice: Input tag does not match any of the expected tags", param="tool_choice")


def _required_str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise Rejected(f"'{key}' is required and must be a non-empty string.", param=key)
    return value


def _optional_bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Rejected(f"'{key}' must be a boolean.", param=key)
    return value


def _optional_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not _is_int(value) or value < 1:
        raise Rejected(f"'{key}' must be an integer of at least 1.", param=key)
    if value > 1_000_000:
        raise Rejected(f"'{key}' must be at most 1000000.", param=key)
    return int(value)


def _max_tokens(data: dict[str, Any], key: str) -> int | None:
    value = _optional_int(data, key)
    if value is not None and value > MAX_OUTPUT_TOKENS:
        raise Rejected(
            f"{key} is too large: {value}. This model supports at most {MAX_OUTPUT_TOKENS} output tokens.", param=key
        )
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
