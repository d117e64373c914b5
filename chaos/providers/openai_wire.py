"""OpenAI's shapes: chat completions (JSON and ``data:`` SSE chunks), errors, limit headers.

Streams are ``data: {chat.completion.chunk}`` frames and ``data: [DONE]``; with
``stream_options.include_usage`` every chunk carries ``"usage": null`` and one more chunk
with ``choices: []`` and the usage comes before ``[DONE]``. An error inside a stream is a
``data: {"error": {...}}`` frame, which the official SDK raises as ``APIError``.
Each frame is built from a prefix rendered once per reply, since a stream's frames
differ only in their delta.
"""

from __future__ import annotations

import json

from chaos.providers.quotas import Usage
from chaos.providers.text import json_string
from chaos.providers.wire import Reply

_ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 403: "invalid_request_error"}
_ERROR_CODES = {401: "invalid_api_key", 404: "model_not_found", 413: "request_too_large", 429: "rate_limit_exceeded"}
_FINGERPRINT = "fp_chaos_mock"


def error_type(status: int) -> str:
    if status == 429:
        return "requests"
    return "server_error" if status >= 500 else _ERROR_TYPES.get(status, "invalid_request_error")


class OpenAIWire:
    stream_error = (500, "The server had an error while processing your request.")

    def answer(self, reply: Reply) -> bytes:
        if reply.tool is None:
            # The common answer, rendered from a template: a third of json.dumps's cost.
            return (
                f'{{"id":"{reply.id}","object":"chat.completion","created":{reply.created},'
                f'"model":{json_string(reply.model)},"choices":[{{"index":0,"message":{{"role":"assistant",'
                f'"content":{json_string(reply.text)},"refusal":null,"annotations":[]}},"logprobs":null,'
                f'"finish_reason":"stop"}}],"usage":{_usage_json(reply.input_tokens, len(reply.pieces))},'
                f'"system_fingerprint":"{_FINGERPRINT}"}}'
            ).encode()
        call = {
            "id": reply.tool.call_id,
            "type": "function",
            "function": {"name": reply.tool.name, "arguments": reply.text},
        }
        message = {"role": "assistant", "content": None, "tool_calls": [call], "refusal": None}
        body = {
            "id": reply.id,
            "object": "chat.completion",
            "created": reply.created,
            "model": reply.model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "tool_calls"}],
            "usage": _usage(reply.input_tokens, len(reply.pieces)),
            "system_fingerprint": _FINGERPRINT,
        }
        return json.dumps(body, separators=(",", ":")).encode()

    def frames(self, reply: Reply) -> OpenAIFrames:
        return OpenAIFrames(reply)

    def error(self, status: int, message: str, param: str | None = None) -> bytes:
        body = {
            "error": {"message": message, "type": error_type(status), "param": param, "code": _ERROR_CODES.get(status)}
        }
        return json.dumps(body).encode()

    def limit_headers(self, usage: Usage, now: float) -> dict[str, str]:
        return {
            "x-ratelimit-limit-requests": str(usage.rpm),
            "x-ratelimit-limit-tokens": str(usage.tpm),
            "x-ratelimit-remaining-requests": str(usage.remaining_requests),
            "x-ratelimit-remaining-tokens": str(usage.remaining_tokens),
            "x-ratelimit-reset-requests": go_duration(usage.reset_requests_s),
            "x-ratelimit-reset-tokens": go_duration(usage.reset_tokens_s),
        }

    def reply_id(self, serial: int) -> str:
        return f"chatcmpl-mock{serial:012x}"

    def call_id(self, serial: int) -> str:
        return f"call_mock{serial:012x}"

    def models(self, models: list[str], created: int) -> bytes:
        data = [{"id": model, "object": "model", "created": created, "owned_by": "chaos-mock"} for model in models]
        return json.dumps({"object": "list", "data": data}).encode()


class OpenAIFrames:
    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        usage = ',"usage":null' if reply.include_usage else ""
        head = (
            f'data: {{"id":"{reply.id}","object":"chat.completion.chunk","created":{reply.created},'
            f'"model":{json_string(reply.model)},"system_fingerprint":"{_FINGERPRINT}","choices":[{{"index":0,'
        )
        self._head = head
        self._tail = f',"logprobs":null,"finish_reason":null}}]{usage}}}\n\n'
        self._usage = usage
        if reply.tool is None:
            self._before = head + '"delta":{"content":'
            self._after = "}" + self._tail
        else:
            self._before = head + '"delta":{"tool_calls":[{"index":0,"function":{"arguments":'
            self._after = "}}]}" + self._tail

    def open(self) -> bytes:
        tool = self.reply.tool
        if tool is None:
            delta = '"delta":{"role":"assistant","content":"","refusal":null}'
        else:
            delta = (
                f'"delta":{{"role":"assistant","content":null,"tool_calls":[{{"index":0,"id":"{tool.call_id}",'
                f'"type":"function","function":{{"name":{json_string(tool.name)},"arguments":""}}}}]}}'
            )
        return (self._head + delta + self._tail).encode()

    def pieces(self, start: int, end: int) -> bytes:
        before, after = self._before, self._after
        return "".join([before + json_string(token) + after for token in self.reply.pieces[start:end]]).encode()

    def close(self, sent: int) -> bytes:
        reply = self.reply
        finish = "tool_calls" if reply.tool is not None else "stop"
        frames = self._head + f'"delta":{{}},"logprobs":null,"finish_reason":"{finish}"}}]{self._usage}}}\n\n'
        if reply.include_usage:
            usage = json.dumps(_usage(reply.input_tokens, sent), separators=(",", ":"))
            frames += (
                f'data: {{"id":"{reply.id}","object":"chat.completion.chunk","created":{reply.created},'
                f'"model":{json_string(reply.model)},"system_fingerprint":"{_FINGERPRINT}","choices":[],'
                f'"usage":{usage}}}\n\n'
            )
        return (frames + "data: [DONE]\n\n").encode()

    def error(self, status: int, message: str) -> bytes:
        body = {"error": {"message": message, "type": error_type(status), "param": None, "code": None}}
        return f"data: {json.dumps(body)}\n\n".encode()

    def malformed(self) -> bytes:
        return (self._head + '"delta":{"content":"\n\n').encode()


def _usage(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


def _usage_json(input_tokens: int, output_tokens: int) -> str:
    total = input_tokens + output_tokens
    return f'{{"prompt_tokens":{input_tokens},"completion_tokens":{output_tokens},"total_tokens":{total}}}'


def go_duration(seconds: float) -> str:
    """Seconds as OpenAI writes resets: ``20ms``, ``1s``, ``6m0s``."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, rest = divmod(seconds, 60)
    rest_text = f"{rest:.3f}".rstrip("0").rstrip(".")
    return f"{int(minutes)}m{rest_text}s" if minutes else f"{rest_text}s"
