"""The baseline: a bare aiohttp server answering a fixed chat completion, JSON or 20-chunk SSE.

    python benchmarks/providers/bare_server.py PORT

It reads the body (as any server must) and answers with pre-rendered bytes: the cost of
aiohttp itself, against which the mock's own work is measured.
"""

from __future__ import annotations

import json
import sys

from aiohttp import web

CHUNKS = 20
ANSWER = json.dumps(
    {
        "id": "chatcmpl-bare",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "word " * CHUNKS}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 7, "completion_tokens": CHUNKS, "total_tokens": 7 + CHUNKS},
    }
).encode()
CHUNK = (
    b'data: {"id":"chatcmpl-bare","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini",'
    b'"choices":[{"index":0,"delta":{"content":" word"},"finish_reason":null}]}\n\n'
)


async def chat(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    if b'"stream":true' not in body:
        return web.Response(body=ANSWER, content_type="application/json")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    try:
        await response.prepare(request)
        for _ in range(CHUNKS):
            await response.write(CHUNK)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
    except ConnectionError:
        pass  # wrk closes its connections when its time is up
    return response


def main() -> None:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None, backlog=4096)


if __name__ == "__main__":
    main()
