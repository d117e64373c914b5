"""What every wire format provides: answers, stream frames, errors and limit headers.

A ``Reply`` is the answer the mock decided on, in tokens (``pieces``, one token each, so
that a cut after N pieces has billed exactly N output tokens). ``openai_wire`` and
``anthropic_wire`` render it in their provider's shape; the server only picks one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from chaos.providers.quotas import Usage


@dataclass(frozen=True, slots=True)
class ToolCall:
    call_id: str
    name: str


@dataclass(slots=True)
class Reply:
    id: str
    model: str  # the model string reported (a quality fault may change it)
    created: int
    input_tokens: int
    pieces: list[str]  # text, or the tool call's JSON arguments, one token per piece
    tool: ToolCall | None = None
    include_usage: bool = False

    @property
    def text(self) -> str:
        return "".join(self.pieces)


class Frames(Protocol):
    """The frames of one streamed reply."""

    def open(self) -> bytes: ...

    def pieces(self, start: int, end: int) -> bytes: ...

    def close(self, sent: int) -> bytes: ...

    def error(self, status: int, message: str) -> bytes: ...

    def malformed(self) -> bytes: ...


class Wire(Protocol):
    """One provider API's shapes."""

    stream_error: tuple[int, str]  # the status and message of an error inside a stream

    def answer(self, reply: Reply) -> bytes: ...

    def frames(self, reply: Reply) -> Frames: ...

    def error(self, status: int, message: str, param: str | None = None) -> bytes: ...

    def limit_headers(self, usage: Usage, now: float) -> dict[str, str]: ...

    def reply_id(self, serial: int) -> str: ...

    def call_id(self, serial: int) -> str: ...


SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
JSON_TYPE = "application/json"


def retry_headers(wait_s: float) -> dict[str, str]:
    """``retry-after`` in whole seconds (rounded up, as HTTP allows) and the exact ``retry-after-ms``."""
    return {"retry-after": str(max(1, math.ceil(wait_s))), "retry-after-ms": str(round(wait_s * 1000))}
