"""Server-sent events, decoded as the bytes arrive.

Reading a stream in fixed-size chunks waits for the chunk to fill and inflates the time
to first token. The load reads up to a line break (or, once the stream has shown how its
events end, up to the blank line that ends an event: an event is complete only there)
and hands what it read to ``SseDecoder``, which returns an event at each blank line.
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
    """Whole lines in (one or more, each ending in ``\\n`` or ``\\r\\n``), events out."""

    __slots__ = ("_data", "_event")

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """The events that the lines of ``chunk`` complete."""
        if not self._data and chunk.startswith(b"data: ") and chunk.endswith(b"\n\n") and chunk.count(b"\n") == 2:
            # the usual event, one data line read whole: the general path below gives the same
            return [SseEvent(self._event, chunk[6:-2].removesuffix(b"\r"))]
        lines = chunk.split(b"\n")
        if not lines[-1]:
            lines.pop()  # the chunk ends with its last line's line break
        events = []
        for line in lines:
            event = self._line(line.removesuffix(b"\r"))
            if event is not None:
                events.append(event)
        return events

    def finish(self) -> list[SseEvent]:
        """The body ended: an event still pending (no blank line after it) counts."""
        event = self._dispatch()
        return [event] if event is not None else []

    def _line(self, line: bytes) -> SseEvent | None:
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

    def _dispatch(self) -> SseEvent | None:
        event, data = self._event, self._data
        self._event, self._data = None, []
        if not data:
            return None
        return SseEvent(event, data[0] if len(data) == 1 else b"\n".join(data))
