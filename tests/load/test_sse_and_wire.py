"""SSE lines -> events -> text deltas, terminal events, errors and usage, for both APIs."""

from __future__ import annotations

import json

import pytest

from chaos.load.sse import MalformedStream, SseDecoder, SseEvent
from chaos.load.wire import AnthropicStream, OpenAIStream, Wire, error_message
from chaos.scenario.base import Api


def events(chunks: list[bytes]) -> list[SseEvent]:
    decoder = SseDecoder()
    return [event for chunk in chunks for event in decoder.feed(chunk)] + decoder.finish()


def test_an_event_is_dispatched_at_the_blank_line_with_its_name_and_joined_data() -> None:
    got = events([b"event: delta\n", b"data: a\n", b"data: b\r\n", b"\n", b": keep-alive\n", b"data: c\n", b"\n"])
    assert got == [SseEvent("delta", b"a\nb"), SseEvent(None, b"c")]


def test_lines_may_come_one_or_an_event_at_a_time() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"\ndata: b\n\n") == [SseEvent(None, b"a"), SseEvent(None, b"b")]
    assert decoder.feed(b"event: x\r\ndata: c\r\n\r\n") == [SseEvent("x", b"c")]


def test_an_event_left_without_its_blank_line_counts_at_the_end_of_the_body() -> None:
    assert events([b"data: [DONE]"]) == [SseEvent(None, b"[DONE]")]


def test_data_that_is_not_utf8_is_malformed() -> None:
    (event,) = events([b'data: {"choices": [{"delta": {"content": "\xff\xfe"}}]}\n', b"\n"])
    with pytest.raises(MalformedStream):
        OpenAIStream(None).feed(event)
    with pytest.raises(MalformedStream):
        SseDecoder().feed(b"event: \xff\n")


def chunk(content: str | None, **extra: object) -> SseEvent:
    delta = {} if content is None else {"content": content}
    return SseEvent(None, json.dumps({"model": "gpt-4o-mini", "choices": [{"delta": delta}], **extra}).encode())


def test_openai_stream_yields_non_empty_deltas_usage_and_done() -> None:
    stream = OpenAIStream(served_field="model")
    texts = [stream.feed(e) for e in [chunk(""), chunk("Hel"), chunk("lo"), chunk(None)]]
    usage = SseEvent(None, json.dumps({"choices": [], "usage": {"completion_tokens": 7}}).encode())
    texts.append(stream.feed(usage))
    assert not stream.done
    stream.feed(SseEvent(None, b"[DONE]"))
    assert texts == ["", "Hel", "lo", "", ""]
    assert (stream.done, stream.output_tokens, stream.served_value, stream.error) == (True, 7, "gpt-4o-mini", None)


def test_openai_error_chunk_and_bad_json_are_told_apart() -> None:
    stream = OpenAIStream(None)
    stream.feed(SseEvent(None, json.dumps({"error": {"type": "server_error", "message": "boom"}}).encode()))
    assert stream.error == "server_error: boom"
    with pytest.raises(MalformedStream):
        OpenAIStream(None).feed(SseEvent(None, b'{"choices": [{"delta": {"content": "x"'))
    with pytest.raises(MalformedStream):
        OpenAIStream(None).feed(SseEvent(None, json.dumps({"id": "no choices"}).encode()))


def anthropic(kind: str, data: dict[str, object]) -> SseEvent:
    return SseEvent(kind, json.dumps({"type": kind, **data}).encode())


def test_anthropic_stream_follows_its_event_types() -> None:
    stream = AnthropicStream(served_field="model")
    texts = [
        stream.feed(e)
        for e in [
            anthropic("message_start", {"message": {"model": "claude-sonnet", "usage": {"input_tokens": 3}}}),
            anthropic("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
            anthropic("ping", {}),
            anthropic("content_block_delta", {"delta": {"type": "text_delta", "text": "Hi"}}),
            anthropic("content_block_delta", {"delta": {"type": "input_json_delta", "partial_json": "{"}}),
            anthropic("message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}}),
        ]
    ]
    assert texts == ["", "", "", "Hi", "", ""]
    assert not stream.done
    stream.feed(anthropic("message_stop", {}))
    assert (stream.done, stream.output_tokens, stream.served_value) == (True, 9, "claude-sonnet")


def test_anthropic_error_event_inside_the_stream_is_an_error() -> None:
    stream = AnthropicStream(None)
    stream.feed(anthropic("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}}))
    assert stream.error == "overloaded_error: Overloaded"
    assert not stream.done


@pytest.mark.parametrize("api", [Api.OPENAI, Api.ANTHROPIC])
def test_request_bodies_ask_for_a_stream_only_when_streaming(api: Api) -> None:
    wire = Wire(api, "gateway", 32)
    streamed, whole = json.loads(wire.body("hi", stream=True)), json.loads(wire.body("hi", stream=False))
    assert streamed["stream"] is True
    assert "stream" not in whole
    assert whole["messages"] == [{"role": "user", "content": "hi"}]
    assert whole["max_tokens"] == 32
    assert ("stream_options" in streamed) is (api is Api.OPENAI)


def test_whole_answers_give_text_tokens_and_who_served() -> None:
    openai = {"model": "gpt-4o", "choices": [{"message": {"content": "Paris"}}], "usage": {"completion_tokens": 1}}
    answer = Wire(Api.OPENAI, "m", 8, served_field="model").answer(json.dumps(openai).encode())
    assert (answer.text, answer.output_tokens, answer.served_value, answer.error) == ("Paris", 1, "gpt-4o", None)
    claude = {"model": "c", "content": [{"type": "text", "text": "Pa"}, {"type": "text", "text": "ris"}]}
    answer = Wire(Api.ANTHROPIC, "m", 8).answer(json.dumps(claude).encode())
    assert (answer.text, answer.output_tokens, answer.served_value) == ("Paris", None, None)


def test_a_whole_answer_that_is_an_error_or_not_json_is_told_apart() -> None:
    wire = Wire(Api.OPENAI, "m", 8)
    assert wire.answer(b'{"error": {"message": "nope"}}').error == "nope"
    with pytest.raises(MalformedStream):
        wire.answer(b'{"choices": [')
    with pytest.raises(MalformedStream):
        wire.answer(b"[1, 2]")
    assert error_message(b'{"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}') == (
        "rate_limit_error: slow"
    )
    assert error_message(b"<html>bad gateway</html>") is None
