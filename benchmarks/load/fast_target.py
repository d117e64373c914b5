"""A target as fast as one core allows: canned OpenAI chat answers over keep-alive HTTP/1.1.

    python benchmarks/load/fast_target.py      prints its port, serves until stdin closes

A bare asyncio protocol (no framework) so that the load generator, not the target, is
what the load benchmark measures. A body asking for ``"stream": true`` gets a canned SSE
stream (role chunk, eight tokens, finish, usage, [DONE]); any other gets a JSON answer.
"""

from __future__ import annotations

import asyncio
import json
import sys

TOKENS = ["The ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dogs."]


def _chunk(delta: dict[str, str], finish: str | None = None) -> bytes:
    data = {
        "id": "c",
        "object": "chat.completion.chunk",
        "model": "fast",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def _response(content_type: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\nx-served-by: fast\r\n\r\n"
    )
    return head.encode() + body


STREAM = _response(
    "text/event-stream",
    _chunk({"role": "assistant", "content": ""})
    + b"".join(_chunk({"content": token}) for token in TOKENS)
    + _chunk({}, "stop")
    + b'data: {"id": "c", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 8}}\n\n'
    + b"data: [DONE]\n\n",
)
WHOLE = _response(
    "application/json",
    json.dumps(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "fast",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "".join(TOKENS)}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 9, "completion_tokens": 8},
        }
    ).encode(),
)


class Http(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            start = head.find(b"content-length:")
            length = (
                int(head[start + 15 : head.find(b"\r\n", start) if head.find(b"\r\n", start) > 0 else None])
                if start >= 0
                else 0
            )
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(STREAM if b'"stream": true' in body else WHOLE)


async def serve() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Http, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes our stdin
    server.close()


if __name__ == "__main__":
    asyncio.run(serve())
