"""What every HTTP server of the project keeps to, as production servers do.

A client has ``HEAD_TIMEOUT_S`` from opening a connection to finish sending its request
head (Go's ``ReadHeaderTimeout``, nginx's ``client_header_timeout``); a connection still
short of the blank line that ends the head is closed then. Otherwise a few hundred
sockets each sending a header line every few seconds (slowloris) hold the server's
connections for as long as they like. Later requests on a kept-alive connection are
bounded by aiohttp's keep-alive timer, which closes a connection left waiting for one.

    runner = web.AppRunner(app)
    await runner.setup()
    await GuardedSite(runner, "127.0.0.1", 0).start()

The guard wraps aiohttp's protocol and only watches bytes go by: what the server does
with a request is aiohttp's alone.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

HEAD_TIMEOUT_S = 10.0
_HEAD_ENDS = (b"\r\n\r\n", b"\n\n")


class HeadDeadline(asyncio.Protocol):
    """``inner`` (aiohttp's request handler), closed if its first request head is not in
    within ``timeout`` seconds of the connection."""

    def __init__(self, inner: asyncio.Protocol, timeout: float) -> None:
        self.inner = inner
        self.timeout = timeout
        self._timer: asyncio.TimerHandle | None = None
        self._tail = b""  # the last bytes seen, so that a head's end split across reads is found

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._timer = asyncio.get_running_loop().call_later(self.timeout, transport.close)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._timer is not None:
            seen = self._tail + data
            if any(end in seen for end in _HEAD_ENDS):
                self._disarm()
            else:
                self._tail = seen[-3:]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class GuardedSite(web.BaseSite):
    """aiohttp's ``TCPSite``, each connection guarded by ``HeadDeadline``."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        backlog: int = 128,
        head_timeout: float = HEAD_TIMEOUT_S,
        **server_options: Any,
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._host, self._port = host, port
        self._head_timeout = head_timeout
        self._options = server_options

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None  # the runner was set up
        self._server = await asyncio.get_running_loop().create_server(
            lambda: HeadDeadline(server(), self._head_timeout),
            self._host,
            self._port,
            backlog=self._backlog,
            **self._options,
        )
