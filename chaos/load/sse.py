"""Server-sent events, decoded as the bytes arrive.

Reading a stream in fixed-size chunks waits for the chunk to fill and inflates the time
to first token. The load hands every whole line to ``SseDecoder`` as soon as it
has arrived (all the lines that arrived together at once), and the decoder returns an
event at each blank line (the SSE dispatch rule).
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
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n")
        lines = chunk.split(b"\n")
        if not lines[-1]:
            lines.pop()  # the chunk ends with its last line's line break
        events = []
        data = self._data
        for line in lines:
            if line.startswith(b"data:"):
                data.append(line[6:] if line.startswith(b"data: ") else line[5:])
            elif not line:
                if data:
                    events.append(SseEvent(self._event, data[0] if len(data) == 1 else b"\n".join(data)))
                    data = self._data = []
                self._event = None
            elif line.startswith(b"event:"):
                self._event = _event_name(line)
            # anything else is a comment (a keep-alive), an id or a retry: nothing to measure
        return events

    def finish(self) -> list[SseEvent]:
        """The body ended: an event still pending (no blank line after it) counts."""
        event = self._dispatch()
        return [event] if event is not None else []

    def _dispatch(self) -> SseEvent | None:
        event, data = self._event, self._data
        self._event, self._data = None, []
        if not data:
            return None
        return SseEvent(event, data[0] if len(data) == 1 else b"\n".join(data))


def _event_name(line: bytes) -> str:
    try:
        return line[6:].decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise MalformedStream(f"an event name is not UTF-8: {exc.reason}") from None
