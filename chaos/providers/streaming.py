"""Sending a streamed reply: paced frames, and the ways a stream breaks.

``stream_cut`` stops the stream after ``after_tokens`` tokens, then:

- ``disconnect``: the connection is closed in the middle of the chunked body (no final
  chunk), as when a provider's connection drops;
- ``truncate``: the body ends cleanly but without the terminal event (``[DONE]`` or
  ``message_stop``), as when a proxy gives up on a stream;
- ``malformed``: one frame that is not valid JSON, then the body ends;
- ``stall``: nothing more is sent and the connection stays open until the client leaves;
- ``error``: an error frame inside the 200 stream (OpenAI's ``data: {"error": ...}``,
  Anthropic's ``event: error`` with ``overloaded_error``), then the body ends.

The outcome's output tokens count the tokens written so far, so a cut stream bills what
it sent. Its end: completed once the whole stream is written, failed once a cut begins,
and left as the client disconnected when the client goes away first.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from aiohttp import web

from chaos.kinds import CallEnd
from chaos.providers.wire import SSE_HEADERS, Frames, Reply, Wire
from chaos.scenario.faults import CutMode, StreamCut

if TYPE_CHECKING:
    from chaos.providers.provider import Outcome


async def stream_reply(
    request: web.Request,
    wire: Wire,
    reply: Reply,
    *,
    cut: StreamCut | None,
    ttft: float,
    gap: float,
    headers: dict[str, str],
    outcome: Outcome,
) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={**SSE_HEADERS, **headers})
    await response.prepare(request)
    outcome.status = 200
    frames = wire.frames(reply)
    total = len(reply.pieces)
    stop = min(total, cut.after_tokens) if cut is not None else total
    pending = frames.open()
    try:
        if ttft > 0:
            await response.write(pending)
            pending = b""
            await asyncio.sleep(ttft)
        if gap <= 0:
            pending += frames.pieces(0, stop)
            outcome.output_tokens = stop
        else:
            started = time.monotonic()
            for index in range(stop):
                if index:
                    await asyncio.sleep(max(0.0, started + index * gap - time.monotonic()))
                await response.write(pending + frames.pieces(index, index + 1))
                pending = b""
                outcome.output_tokens = index + 1
        if cut is None:
            await response.write(pending + frames.close(total))
            await response.write_eof()
            outcome.end = CallEnd.COMPLETED
        else:
            outcome.end = CallEnd.FAILED
            await _break(request, response, frames, mode=cut.mode, pending=pending, stream_error=wire.stream_error)
    except ConnectionError:
        pass  # the client went away; the outcome already says what was sent
    return response


async def _break(
    request: web.Request,
    response: web.StreamResponse,
    frames: Frames,
    *,
    mode: CutMode,
    pending: bytes,
    stream_error: tuple[int, str],
) -> None:
    if mode is CutMode.ERROR:
        pending += frames.error(*stream_error)
    elif mode is CutMode.MALFORMED:
        pending += frames.malformed()
    if pending:
        await response.write(pending)
    if mode is CutMode.DISCONNECT:
        transport = request.transport
        if transport is not None:
            transport.close()  # flushes what was written, then FIN without the final chunk
        raise ConnectionResetError("stream cut: disconnect")
    if mode is CutMode.STALL:
        await asyncio.Event().wait()  # until the client goes away or the server stops
    await response.write_eof()
