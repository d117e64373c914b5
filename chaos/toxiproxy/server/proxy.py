"""A proxy: its listener, its live connections, and its toxics (one chain per direction).

State changes follow Toxiproxy's ``proxy.go``: starting binds the listen address and
records it resolved; stopping closes the listener (new connections are refused by the
kernel) and every live connection (they see EOF); toxics apply to live connections too.
"""

from __future__ import annotations

import asyncio
import errno
import os
import re
import socket
from dataclasses import dataclass, field
from typing import Any

import structlog

from chaos.toxiproxy.models import Stream
from chaos.toxiproxy.server.connection import Connection
from chaos.toxiproxy.server.errors import ApiError
from chaos.toxiproxy.server.metrics import ConnectionCounts
from chaos.toxiproxy.server.toxics import ToxicKind

LISTEN_BACKLOG = 4096


@dataclass
class ProxyToxic:
    """A toxic as configured on a proxy; live stages read ``attributes`` as they run."""

    name: str
    kind: ToxicKind
    stream: Stream
    toxicity: float
    attributes: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "attributes": self.attributes,
            "name": self.name,
            "type": self.kind.name,
            "stream": str(self.stream),
            "toxicity": self.toxicity,
        }


@dataclass
class Proxy:
    name: str
    listen: str
    upstream: str
    counts: ConnectionCounts
    enabled: bool = False
    toxics: list[ProxyToxic] = field(default_factory=list)
    connections: set[Connection] = field(default_factory=set)
    _server: asyncio.Server | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": self.toxics_json(),
        }

    def toxics_json(self) -> list[dict[str, Any]]:
        """Upstream toxics first, then downstream, each in the order added (as Toxiproxy lists them)."""
        return [toxic.as_json() for stream in Stream for toxic in self.chain(stream)]

    def chain(self, stream: Stream) -> list[ProxyToxic]:
        return [toxic for toxic in self.toxics if toxic.stream is stream]

    def find_toxic(self, name: str) -> ProxyToxic | None:
        return next((toxic for toxic in self.toxics if toxic.name == name), None)

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and serve; raises ``ApiError`` 500 with the OS's reason, as Toxiproxy does."""
        if self.enabled:
            return
        loop = asyncio.get_running_loop()
        family, address = await resolve(self.listen)
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(address)
        except OSError as exc:
            listener.close()
            reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
            raise ApiError(f"listen tcp {format_address(address)}: bind: {reason}", 500) from exc
        listener.setblocking(False)
        self._server = await loop.create_server(
            lambda: Connection(self, loop).client, sock=listener, backlog=LISTEN_BACKLOG
        )
        self.listen = format_address(listener.getsockname())
        self.enabled = True
        structlog.get_logger().info("proxy started", proxy=self.name, listen=self.listen, upstream=self.upstream)

    async def stop(self) -> None:
        if not self.enabled:
            return
        self.enabled = False
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for conn in list(self.connections):
            conn.close()
        structlog.get_logger().info("proxy stopped", proxy=self.name, listen=self.listen)

    async def differs(self, listen: str, upstream: str) -> bool:
        """Would ``listen`` and ``upstream`` move the proxy? ``listen`` is compared resolved."""
        _, address = await resolve(listen)
        return self.listen != format_address(address) or self.upstream != upstream

    # -- toxics -----------------------------------------------------------------------

    def add_toxic(self, toxic: ProxyToxic) -> None:
        self.toxics.append(toxic)
        for conn in list(self.connections):
            conn.toxic_added(toxic)

    def update_toxic(self, toxic: ProxyToxic, toxicity: float, attributes: dict[str, int]) -> None:
        toxic.toxicity = toxicity
        toxic.attributes = attributes
        for conn in list(self.connections):
            conn.toxic_updated(toxic)

    def remove_toxic(self, toxic: ProxyToxic) -> None:
        self.toxics.remove(toxic)
        for conn in list(self.connections):
            conn.toxic_removed(toxic)

    def remove_all_toxics(self) -> None:
        for toxic in list(self.toxics):
            self.remove_toxic(toxic)


async def resolve(listen: str) -> tuple[socket.AddressFamily, tuple[Any, ...]]:
    """``host:port`` -> one socket address, IPv4 first, as Go's ``net.ResolveTCPAddr``.

    An empty host (or listen) means 127.0.0.1 here, where Toxiproxy would listen on every
    interface; an empty port, as in Go, means any free one.
    """
    host, sep, port = (listen or ":").rpartition(":")
    if not sep:
        raise ApiError(f"address {listen}: missing port in address", 500)
    host = host.removeprefix("[").removesuffix("]") or "127.0.0.1"
    port = port or "0"
    if _NUMBER.fullmatch(port) and not 0 <= int(port) <= 65535:
        # Go's message; left to getaddrinfo, the port would wrap around (99999 -> 34463).
        raise ApiError(f"listen tcp: address {port}: invalid port", 500)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        raise ApiError(f"lookup {host}: {_reason(exc)}", 500) from exc
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _, _, _, address = infos[0]
    return family, address


_NUMBER = re.compile(r"[+-]?\d+")


def format_address(address: tuple[Any, ...]) -> str:
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror) and exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)):
        return "no such host"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRNOTAVAIL:
        return "cannot assign requested address"
    return str(exc)
