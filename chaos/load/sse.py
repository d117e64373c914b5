"""Server-sent events, decoded one line at a time as the bytes arrive.

Reading a stream in fixed-size chunks waits for the chunk to fill and inflates the time
to first token; the load reads line by line and hands each line to ``SseDecoder``, which
returns an event at each blank line (the SSE dispatch rule).
"""

from __future__ import annotations

from dataclasses import dataclass


class MalformedStream(Exception):
    """A stream or answer that does not parse as its wire format says."""


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str | None
    data: str


class SseDecoder:
    """Lines in (with or without their line ending), events out."""

    __slots__ = ("_data", "_event")

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []

    def line(self, raw: bytes) -> SseEvent | None:
        """Feed one line; the event it completes, if any."""
        try:
            text = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise MalformedStream(f"a stream line is not UTF-8: {exc.reason}") from None
        if not text:
            return self._dispatch()
        if text.startswith(":"):
            return None  # a comment (keep-alive)
        field, _, value = text.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        return None

    def finish(self) -> SseEvent | None:
        """The body ended: an event still pending (no blank line after it) counts."""
        return self._dispatch()

    def _dispatch(self) -> SseEvent | None:
        event, data = self._event, self._data
        self._event, self._data = None, []
        if not data:
            return None
        return SseEvent(event, "\n".join(data))
