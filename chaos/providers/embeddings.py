"""OpenAI's embeddings answer: a deterministic unit vector per input, streamed out in pieces.

The largest request the API takes (2,048 inputs of 4,096 dimensions) is 8.4 million
numbers. Built and encoded in one go it held the providers process, admin API included,
for 11.7 s. Here each vector is drawn with numpy and encoded on its own (well under a
millisecond each), and the answer is written vector by vector, so the event loop serves
every other request between two of them.
"""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING

import msgspec
import numpy as np
from aiohttp import web

from chaos.providers.requests import EmbeddingRequest
from chaos.providers.text import seed_of
from chaos.providers.wire import JSON_TYPE
from chaos.records import CallEnd

if TYPE_CHECKING:
    from chaos.providers.provider import Outcome

_ENCODE = msgspec.json.Encoder()


def vector(text: str, dimensions: int) -> np.ndarray:
    """The unit vector of ``text``: the same text always gets the same vector."""
    raw = np.random.default_rng(seed_of(text)).standard_normal(dimensions)
    norm = float(np.linalg.norm(raw)) or 1.0
    unit: np.ndarray = raw / norm
    return unit


def _item(index: int, text: str, req: EmbeddingRequest) -> bytes:
    unit = vector(text, req.dimensions)
    embedding: list[float] | str = (
        base64.b64encode(unit.astype("<f4").tobytes()).decode() if req.base64 else unit.tolist()
    )
    return _ENCODE.encode({"object": "embedding", "index": index, "embedding": embedding})


async def stream_embeddings(request: web.Request, req: EmbeddingRequest, outcome: Outcome) -> web.StreamResponse:
    """The whole answer, written one vector at a time (the loop runs between two)."""
    response = web.StreamResponse(headers={"Content-Type": JSON_TYPE})
    outcome.input_tokens = req.input_tokens
    try:
        await response.prepare(request)
        outcome.status = 200
        await response.write(b'{"object":"list","data":[')
        for index, text in enumerate(req.inputs):
            await response.write((b"," if index else b"") + _item(index, text, req))
            await asyncio.sleep(0)  # a write that fits the buffer does not yield by itself
        usage = {"prompt_tokens": req.input_tokens, "total_tokens": req.input_tokens}
        await response.write(b'],"model":' + _ENCODE.encode(req.model) + b',"usage":' + _ENCODE.encode(usage) + b"}")
        await response.write_eof()
        outcome.end = CallEnd.COMPLETED
    except ConnectionError:
        pass  # the client went away before the answer was whole: the ledger row says so
    return response
