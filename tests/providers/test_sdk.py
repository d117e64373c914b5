"""The official openai and anthropic SDKs take the mock for the real thing, faults included."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import jsonschema
import openai
import pytest

from chaos.evals import load_eval_set
from chaos.providers.text import count_tokens
from tests.providers.conftest import EVALS, Mock

WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1},
        "hourly": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
    "required": ["city", "unit"],
    "additionalProperties": False,
}
PROMPT = [{"role": "user", "content": "Tell me a story about a lighthouse."}]


def oai(mock: Mock, retries: int = 0, name: str = "oai") -> openai.OpenAI:
    return mock.opened(openai.OpenAI(base_url=mock.url(name), api_key="test-key", max_retries=retries, timeout=10))


def anth(mock: Mock, retries: int = 0, name: str = "anth") -> anthropic.Anthropic:
    return mock.opened(
        anthropic.Anthropic(base_url=mock.url(name), api_key="test-key", max_retries=retries, timeout=10)
    )


def test_openai_text_and_usage_match_the_documented_token_count(mock: Mock) -> None:
    answer = oai(mock).chat.completions.create(model="gpt-test", messages=PROMPT, max_tokens=12)  # type: ignore[arg-type]
    text = answer.choices[0].message.content or ""
    assert answer.model == "gpt-test"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None
    assert answer.usage.completion_tokens == 12 == count_tokens(text)
    assert answer.usage.prompt_tokens == count_tokens(PROMPT[0]["content"])


def test_openai_stream_adds_up_to_the_same_answer_and_reports_usage(mock: Mock) -> None:
    client = oai(mock)
    whole = client.chat.completions.create(model="gpt-test", messages=PROMPT, max_completion_tokens=15)  # type: ignore[arg-type]
    chunks = list(
        client.chat.completions.create(
            model="gpt-test",
            messages=PROMPT,  # type: ignore[arg-type]
            max_completion_tokens=15,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    usage = chunks[-1].usage
    assert chunks[-1].choices == []
    assert usage is not None
    assert usage.completion_tokens == 15 == count_tokens(text)
    assert all(chunk.usage is None for chunk in chunks[:-1])


def test_openai_tool_call_is_schema_valid_streamed_or_not(mock: Mock) -> None:
    client = oai(mock)
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]
    messages = [{"role": "user", "content": "Use get_weather for Paris."}]
    answer = client.chat.completions.create(model="gpt-test", messages=messages, tools=tools)  # type: ignore[arg-type]
    call = answer.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert answer.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    arguments = json.loads(call.function.arguments)  # type: ignore[union-attr]
    jsonschema.validate(arguments, WEATHER)
    streamed = ""
    for chunk in client.chat.completions.create(model="gpt-test", messages=messages, tools=tools, stream=True):  # type: ignore[arg-type]
        for delta in chunk.choices[0].delta.tool_calls or []:
            streamed += delta.function.arguments or "" if delta.function else ""
    assert json.loads(streamed) == arguments
    # After the tool's result the model answers in words, so an agent loop ends.
    follow_up = [
        *messages,
        answer.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ]
    final = client.chat.completions.create(model="gpt-test", messages=follow_up, tools=tools)  # type: ignore[arg-type]
    assert final.choices[0].message.content
    assert not final.choices[0].message.tool_calls


def test_anthropic_text_usage_and_stream_event_order(mock: Mock) -> None:
    client = anth(mock)
    whole = client.messages.create(model="claude-test", messages=PROMPT, max_tokens=9)  # type: ignore[arg-type]
    text = whole.content[0].text  # type: ignore[union-attr]
    assert whole.stop_reason == "end_turn"
    assert whole.usage.output_tokens == 9 == count_tokens(text)
    assert whole.usage.input_tokens == count_tokens(PROMPT[0]["content"])
    events = list(client.messages.create(model="claude-test", messages=PROMPT, max_tokens=9, stream=True))  # type: ignore[arg-type]
    kinds = [event.type for event in events]
    assert kinds[:2] == ["message_start", "content_block_start"]
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert kinds.count("content_block_delta") == 9
    with client.messages.stream(model="claude-test", messages=PROMPT, max_tokens=9) as stream:  # type: ignore[arg-type]
        final = stream.get_final_message()
    assert final.content[0].text == text  # type: ignore[union-attr]
    assert final.usage.output_tokens == 9


def test_anthropic_raw_stream_has_the_real_event_sequence(mock: Mock) -> None:
    body = {"model": "claude-test", "max_tokens": 3, "stream": True, "messages": PROMPT}
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    text = httpx2.post(f"{mock.url('anth')}/v1/messages", json=body, headers=headers).text
    events = [line.removeprefix("event: ") for line in text.splitlines() if line.startswith("event: ")]
    assert events == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


def test_anthropic_tool_use_is_schema_valid_streamed_or_not(mock: Mock) -> None:
    client = anth(mock)
    tools = [{"name": "get_weather", "description": "Weather", "input_schema": WEATHER}]
    answer = client.messages.create(
        model="claude-test",
        max_tokens=100,
        messages=[{"role": "user", "content": "What is the weather?"}],
        tools=tools,  # type: ignore[arg-type]
        tool_choice={"type": "tool", "name": "get_weather"},
    )
    block = answer.content[0]
    assert answer.stop_reason == "tool_use"
    assert block.type == "tool_use"
    jsonschema.validate(block.input, WEATHER)
    with client.messages.stream(
        model="claude-test",
        max_tokens=100,
        messages=[{"role": "user", "content": "What is the weather?"}],
        tools=tools,  # type: ignore[arg-type]
        tool_choice={"type": "tool", "name": "get_weather"},
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].input == block.input  # type: ignore[union-attr]


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_healthy_providers_answer_every_eval_right(mock: Mock, api: str) -> None:
    cases = load_eval_set(EVALS).cases
    for case in cases:
        messages = [{"role": "user", "content": case.prompt}]
        if api == "openai":
            text = oai(mock).chat.completions.create(model="gpt-test", messages=messages).choices[0].message.content  # type: ignore[arg-type]
        else:
            text = anth(mock).messages.create(model="claude-test", messages=messages, max_tokens=50).content[0].text  # type: ignore[arg-type, union-attr]
        assert case.judge(text or ""), (case.id, text)


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_429_raises_rate_limit_error_and_the_sdk_retry_honours_retry_after(mock: Mock, api: str) -> None:
    provider = "oai" if api == "openai" else "anth"
    mock.behave("limited", provider, "rate_limit", {"rate": "100%", "retry_after": "1500ms"})
    call = _caller(mock, api, retries=1)
    started = time.monotonic()
    with pytest.raises((openai.RateLimitError, anthropic.RateLimitError)) as raised:
        call(request_id=f"retry-{api}")
    assert raised.value.status_code == 429
    assert time.monotonic() - started >= 1.5
    first, second = mock.ledger(id=f"retry-{api}")
    assert (first["attempt"], second["attempt"]) == (1, 2)
    assert first["retry_after_s"] == 1.5
    assert second["t"] - first["t_end"] >= 1.5 - 0.01  # the SDK waited out retry-after-ms


@pytest.mark.parametrize(
    ("api", "status", "error"),
    [
        ("anthropic", 529, anthropic.OverloadedError),
        ("anthropic", 503, anthropic.InternalServerError),
        ("openai", 503, openai.InternalServerError),
        ("openai", 529, openai.InternalServerError),
        ("openai", 400, openai.BadRequestError),
        ("anthropic", 404, anthropic.NotFoundError),
        ("anthropic", 413, anthropic.APIStatusError),
    ],
)
def test_http_errors_raise_the_sdks_own_errors(mock: Mock, api: str, status: int, error: type[Exception]) -> None:
    mock.behave("broken", "oai" if api == "openai" else "anth", "http_error", {"status": status})
    with pytest.raises(error) as raised:
        _caller(mock, api, retries=0)()
    assert raised.value.status_code == status  # type: ignore[attr-defined]
    if api == "anthropic" and status == 529:
        assert raised.value.body["error"]["type"] == "overloaded_error"  # type: ignore[attr-defined]


# How each way a stream breaks surfaces in either SDK (docs/sdk-behaviour.md), as a
# target sees it: which failure it is, not which class carries it this release. Anthropic
# 2.14 let a dropped connection and a stall escape as raw httpx2 errors; 2.17 wraps them
# in APIConnectionError / APITimeoutError. Both are accepted: a target must handle both.
BROKEN_STREAMS: dict[str, str] = {
    "disconnect": "connection",
    "truncate": "silent",  # neither SDK notices: the text looks complete
    "malformed": "malformed",
    "error": "error_event",
    "stall": "timeout",
}


def failure_of(exc: BaseException | None) -> str:
    """What a target has to handle: silent, timeout, connection, malformed or error_event."""
    if exc is None:
        return "silent"
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"APITimeoutError", "TimeoutException"}:
        return "timeout"
    if names & {"APIConnectionError", "TransportError"}:
        return "connection"
    if isinstance(exc, ValueError):  # json.JSONDecodeError, raw in both SDKs
        return "malformed"
    if isinstance(exc, openai.APIError | anthropic.APIError):
        return "error_event"
    return f"unexpected {type(exc).__module__}.{type(exc).__name__}"


def test_the_sdks_under_test_are_the_versions_pyproject_admits() -> None:
    """These tests cover the ranges pyproject.toml gives users (the lock pins one of each)."""
    import tomllib
    from importlib import metadata

    from packaging.requirements import Requirement

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    ranges = {
        Requirement(line).name: Requirement(line).specifier
        for line in pyproject["project"]["optional-dependencies"]["dev"]
    }
    for sdk in ("openai", "anthropic"):
        assert ranges[sdk].contains(metadata.version(sdk)), (sdk, metadata.version(sdk), ranges[sdk])


@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.parametrize(("mode", "failure"), BROKEN_STREAMS.items())
def test_broken_streams_surface_in_the_sdks_as_documented(mock: Mock, mode: str, failure: str, api: str) -> None:
    provider = "oai" if api == "openai" else "anth"
    mock.behave("cut", provider, "stream_cut", {"mode": mode, "after_tokens": 3})
    raised: BaseException | None = None
    text = ""
    try:
        text = _stream_text(mock, api)
    except Exception as exc:
        raised = exc
    assert failure_of(raised) == failure, repr(raised)
    if failure == "silent":
        assert count_tokens(text) == 3  # silently short: 3 of 10 tokens
    assert all(row["fault"] == "cut" and row["status"] == 200 for row in mock.ledger())


def test_anthropic_in_stream_error_carries_overloaded_error(mock: Mock) -> None:
    mock.behave("cut", "anth", "stream_cut", {"mode": "error", "after_tokens": 2})
    with pytest.raises(anthropic.APIStatusError) as raised:
        _stream_text(mock, "anthropic")
    assert raised.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]


def test_embeddings_and_models_through_the_openai_sdk(mock: Mock) -> None:
    client = oai(mock)
    result = client.embeddings.create(model="text-embedding-3-small", input=["one", "two"], dimensions=64)
    assert [len(item.embedding) for item in result.data] == [64, 64]
    again = client.embeddings.create(model="text-embedding-3-small", input="one", dimensions=64)
    assert again.data[0].embedding == pytest.approx(result.data[0].embedding)
    assert result.usage.prompt_tokens == 2
    assert [model.id for model in client.models.list()] == ["gpt-test"]


def _caller(mock: Mock, api: str, retries: int) -> Any:
    def call(request_id: str = "sdk") -> Any:
        headers = {"x-request-id": request_id}
        if api == "openai":
            return oai(mock, retries).chat.completions.create(
                model="gpt-test",
                messages=PROMPT,  # type: ignore[arg-type]
                extra_headers=headers,
            )
        return anth(mock, retries).messages.create(
            model="claude-test",
            messages=PROMPT,  # type: ignore[arg-type]
            max_tokens=10,
            extra_headers=headers,
        )

    return call


def _stream_text(mock: Mock, api: str) -> str:
    if api == "openai":
        stream = oai(mock).chat.completions.create(
            model="gpt-test",
            messages=PROMPT,  # type: ignore[arg-type]
            max_tokens=10,
            stream=True,
            timeout=2,
        )
        return "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    with anth(mock).messages.stream(model="claude-test", messages=PROMPT, max_tokens=10, timeout=2) as stream:  # type: ignore[arg-type]
        return "".join(stream.text_stream)
