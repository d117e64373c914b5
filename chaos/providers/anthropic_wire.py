"""Anthropic's shapes: messages (JSON and named SSE events), errors, limit headers.

A stream is ``message_start``, ``content_block_start``, ``ping``, one
``content_block_delta`` per token (``text_delta``, or ``input_json_delta`` for a tool
call), ``content_block_stop``, ``message_delta`` with the stop reason and the cumulative
output tokens, ``message_stop``; no ``[DONE]``. An error inside a stream is
``event: error`` with the same body as an error answer. Limit reset times are RFC 3339.
"""

from __future__ import annotations

import json
import time

from chaos.providers.quotas import Usage
from chaos.providers.text import json_string
from chaos.providers.wire import Reply

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type(status: int) -> str:
    return ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


def _rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class AnthropicWire:
    stream_error = (529, "Overloaded")

    def answer(self, reply: Reply) -> bytes:
        tool = reply.tool
        block: dict[str, object]
        if tool is not None:
            block = {"type": "tool_use", "id": tool.call_id, "name": tool.name, "input": json.loads(reply.text)}
            stop = "tool_use"
        else:
            block = {"type": "text", "text": reply.text}
            stop = "end_turn"
        body = {
            "id": reply.id,
            "type": "message",
            "role": "assistant",
            "model": reply.model,
            "content": [block],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": len(reply.pieces)},
        }
        return json.dumps(body, separators=(",", ":")).encode()

    def frames(self, reply: Reply) -> AnthropicFrames:
        return AnthropicFrames(reply)

    def error(self, status: int, message: str, param: str | None = None) -> bytes:
        return json.dumps({"type": "error", "error": {"type": error_type(status), "message": message}}).encode()

    def limit_headers(self, usage: Usage, now: float) -> dict[str, str]:
        requests_reset = _rfc3339(now + usage.reset_requests_s)
        tokens_reset = _rfc3339(now + usage.reset_tokens_s)
        headers = {
            "anthropic-ratelimit-requests-limit": str(usage.rpm),
            "anthropic-ratelimit-requests-remaining": str(usage.remaining_requests),
            "anthropic-ratelimit-requests-reset": requests_reset,
        }
        for prefix in ("anthropic-ratelimit-tokens", "anthropic-ratelimit-input-tokens"):
            headers[f"{prefix}-limit"] = str(usage.tpm)
            headers[f"{prefix}-remaining"] = str(usage.remaining_tokens)
            headers[f"{prefix}-reset"] = tokens_reset
        return headers

    def reply_id(self, serial: int) -> str:
        return f"msg_mock{serial:016x}"

    def call_id(self, serial: int) -> str:
        return f"toolu_mock{serial:014x}"


class AnthropicFrames:
    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        delta = '"type":"text_delta","text":' if reply.tool is None else '"type":"input_json_delta","partial_json":'
        self._head = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{' + delta

    def open(self) -> bytes:
        reply = self.reply
        message: dict[str, object] = {
            "id": reply.id,
            "type": "message",
            "role": "assistant",
            "model": reply.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": 1},
        }
        tool = reply.tool
        block = (
            {"type": "text", "text": ""}
            if tool is None
            else {"type": "tool_use", "id": tool.call_id, "name": tool.name, "input": {}}
        )
        return (
            _event("message_start", {"type": "message_start", "message": message})
            + _event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block})
            + b'event: ping\ndata: {"type": "ping"}\n\n'
        )

    def pieces(self, start: int, end: int) -> bytes:
        head = self._head
        return "".join(head + json_string(token) + "}}\n\n" for token in self.reply.pieces[start:end]).encode()

    def close(self, sent: int) -> bytes:
        stop = "tool_use" if self.reply.tool is not None else "end_turn"
        return (
            b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
            + _event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": sent},
                },
            )
            + b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
        )

    def error(self, status: int, message: str) -> bytes:
        return _event("error", {"type": "error", "error": {"type": error_type(status), "message": message}})

    def malformed(self) -> bytes:
        return (self._head + '"\n\n').encode()


def _event(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
