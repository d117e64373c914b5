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
    data: bytes  # the data lines, joined by newlines; left as bytes for the JSON parser


class SseDecoder:
    """Lines in (with or without their line ending), events out."""

    __slots__ = ("_data", "_event")

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[bytes] = []

    def line(self, raw: bytes) -> SseEvent | None:
        """Feed one line; the event it completes, if any."""
        line = raw.rstrip(b"\r\n")
        if not line:
            return self._dispatch()
        if line.startswith(b"data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(b" ") else value)
        elif line.startswith(b"event:"):
            try:
                self._event = line[6:].decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                raise MalformedStream(f"an event name is not UTF-8: {exc.reason}") from None
        # anything else is a comment (a keep-alive), an id or a retry: nothing to measure
        return None

    def finish(self) -> SseEvent | None:
        """The body ended: an event still pending (no blank line after it) counts."""
        return self._dispatch()

    def _dispatch(self) -> SseEvent | None:
        event, data = self._event, self._data
        self._event, self._data = None, []
        if not data:
            return None
        return SseEvent(event, data[0] if len(data) == 1 else b"\n".join(data))
