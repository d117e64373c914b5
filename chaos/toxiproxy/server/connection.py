"""One proxied connection: the client's socket, the upstream's, and a link each way.

The hot path is ``Side.data_received`` on a link without toxics: the bytes go straight to
the other socket's transport, with the transports' own flow control (a full write buffer
pauses reading on the other side). A link with toxics feeds a ``pipeline`` of stages
instead; adding, updating or removing a toxic changes live links in place.

Like Toxiproxy, a link that ends (EOF, or a toxic cutting it) closes the whole connection:
both sockets, after what was already written is flushed.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import TYPE_CHECKING, cast

from chaos.toxiproxy.models import Stream
from chaos.toxiproxy.server.pipeline import Chunk, End, Item, Stage

if TYPE_CHECKING:
    from chaos.toxiproxy.server.proxy import Proxy, ProxyToxic

_LINGER_ZERO = struct.pack("ii", 1, 0)  # close() then sends RST, not FIN


class Side(asyncio.Protocol):
    """One socket of a proxied connection."""

    __slots__ = ("conn", "incoming", "outgoing", "transport")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.transport: asyncio.Transport | None = None
        self.outgoing: Link | None = None  # what this side reads travels on this link
        self.incoming: Link | None = None  # and this link writes to this side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        self.conn.side_made(self)

    def data_received(self, data: bytes) -> None:
        link = self.outgoing
        if link is None:
            self.conn.hold(Chunk(data, self.conn.loop.time()))
        elif link.entry is None:
            link.dest_write(data)
        else:
            link.feed(Chunk(data, link.loop.time()))

    def eof_received(self) -> bool:
        if self.outgoing is None:
            self.conn.hold(End.EOF)
        else:
            self.outgoing.feed(End.EOF)
        return True  # keep the transport: the EOF closes it once it has crossed the link

    def pause_writing(self) -> None:
        if self.incoming is not None:
            self.incoming.set_dest_paused(True)

    def resume_writing(self) -> None:
        if self.incoming is not None:
            self.incoming.set_dest_paused(False)

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.close()


class Sink:
    """The end of a link's pipeline: the destination socket."""

    __slots__ = ("link",)

    def __init__(self, link: Link) -> None:
        self.link = link

    def put(self, item: Item) -> None:
        link = self.link
        if link.conn.closing:
            return
        if isinstance(item, Chunk):
            link.dest_write(item.data)
        else:
            assert isinstance(item, End)
            link.conn.finish(item)

    def full(self) -> bool:
        return self.link.dest_paused

    async def room(self) -> None:
        await self.link.dest_writable()


class Link:
    """One direction of a connection: what ``source`` reads, through the toxics, to ``dest``."""

    __slots__ = (
        "conn",
        "dest_paused",
        "dest_write",
        "entry",
        "loop",
        "reading_paused",
        "sink",
        "source",
        "stages",
        "stream",
        "writable_waiters",
    )

    def __init__(self, conn: Connection, stream: Stream, source: Side, dest: Side) -> None:
        assert source.transport is not None
        assert dest.transport is not None
        self.conn = conn
        self.stream = stream
        self.source = source
        self.loop = conn.loop
        self.dest_write = dest.transport.write
        self.sink = Sink(self)
        self.stages: list[Stage] = []
        self.entry: Stage | None = None  # the first stage; None: the fast path
        self.dest_paused = False
        self.reading_paused = False
        self.writable_waiters: list[asyncio.Future[None]] = []
        source.outgoing = self
        dest.incoming = self

    def feed(self, item: Item) -> None:
        entry = self.entry
        if entry is None:
            self.sink.put(item)
            return
        entry.input.put(item)
        if entry.input.full():
            self.update_reading()

    def add(self, toxic: ProxyToxic, *, at_link_start: bool = False) -> None:
        stage = Stage(toxic, self.sink, self.update_reading, at_link_start=at_link_start)
        if self.stages:
            self.stages[-1].output = stage.input
        else:
            self.entry = stage
        self.stages.append(stage)
        stage.start()

    def update(self, toxic: ProxyToxic) -> None:
        for stage in self.stages:
            if stage.toxic is toxic:
                stage.restart()

    def remove(self, toxic: ProxyToxic) -> None:
        index = next(i for i, stage in enumerate(self.stages) if stage.toxic is toxic)
        stage = self.stages.pop(index)
        finished = stage.finished
        items = stage.retire()
        if index:
            self.stages[index - 1].output = stage.output
        self.entry = self.stages[0] if self.stages else None
        if toxic.kind.closes_on_remove and not finished:
            items = [End.CLOSE]
        for item in items:
            stage.output.put(item)
        self.update_reading()

    def cancel(self) -> None:
        for stage in self.stages:
            stage.cancel()
        self.set_dest_paused(False)

    def set_dest_paused(self, paused: bool) -> None:
        self.dest_paused = paused
        if not paused:
            waiters, self.writable_waiters = self.writable_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        self.update_reading()

    async def dest_writable(self) -> None:
        while self.dest_paused:
            waiter = self.loop.create_future()
            self.writable_waiters.append(waiter)
            await waiter

    def update_reading(self) -> None:
        """Read from the source only while the next hop has room."""
        transport = self.source.transport
        if transport is None or self.conn.closing:
            return
        entry = self.entry
        paused = self.dest_paused if entry is None else entry.input.full()
        if paused != self.reading_paused:
            self.reading_paused = paused
            if paused:
                transport.pause_reading()
            else:
                transport.resume_reading()


class Connection:
    """A client accepted by a proxy, and the upstream connection dialled for it."""

    def __init__(self, proxy: Proxy, loop: asyncio.AbstractEventLoop) -> None:
        self.proxy = proxy
        self.loop = loop
        self.client = Side(self)
        self.upstream = Side(self)
        self.links: dict[Stream, Link] = {}
        self.closing = False
        self._dial: asyncio.Task[None] | None = None
        self._early: list[Item] = []  # read from the client before the upstream answered

    def side_made(self, side: Side) -> None:
        if side is self.client:
            self._accepted()
        else:
            self._established()

    def _accepted(self) -> None:
        assert self.client.transport is not None
        self.proxy.connections.add(self)
        self.proxy.counts.accepted += 1
        self.client.transport.pause_reading()  # until the upstream answers
        self._dial = self.loop.create_task(self._connect())

    async def _connect(self) -> None:
        host, _, port = self.proxy.upstream.rpartition(":")
        try:
            # An int port and an IP literal let the loop skip getaddrinfo's thread pool.
            await self.loop.create_connection(lambda: self.upstream, host.strip("[]") or "127.0.0.1", int(port))
        except (OSError, ValueError, UnicodeError):
            self.close()  # Toxiproxy closes the client: it sees EOF

    def _established(self) -> None:
        assert self.client.transport is not None
        assert self.upstream.transport is not None
        if self.closing:
            self.upstream.transport.close()
            return
        for stream, source, dest in (
            (Stream.UPSTREAM, self.client, self.upstream),
            (Stream.DOWNSTREAM, self.upstream, self.client),
        ):
            link = self.links[stream] = Link(self, stream, source, dest)
            for toxic in self.proxy.chain(stream):
                link.add(toxic, at_link_start=True)
        early, self._early = self._early, []
        for item in early:
            self.links[Stream.UPSTREAM].feed(item)
        if self.closing:
            return
        self.client.transport.resume_reading()
        for link in self.links.values():
            link.update_reading()

    def hold(self, item: Item) -> None:
        """uvloop may start reading an accepted socket despite a pause in connection_made."""
        self._early.append(item)
        if self.client.transport is not None:
            self.client.transport.pause_reading()

    def toxic_added(self, toxic: ProxyToxic) -> None:
        if toxic.stream in self.links:
            self.links[toxic.stream].add(toxic)

    def toxic_updated(self, toxic: ProxyToxic) -> None:
        if toxic.stream in self.links:
            self.links[toxic.stream].update(toxic)

    def toxic_removed(self, toxic: ProxyToxic) -> None:
        if toxic.stream in self.links:
            self.links[toxic.stream].remove(toxic)

    def finish(self, end: End) -> None:
        """A link ended: close the connection, counting a toxic's cut or reset."""
        if end is End.CLOSE:
            self.proxy.counts.cut += 1
        elif end is End.RESET:
            self.proxy.counts.reset += 1
            self._abort()
            return
        self.close()

    def close(self) -> None:
        if self._begin_closing():
            for side in (self.client, self.upstream):
                if side.transport is not None:
                    side.transport.close()

    def _abort(self) -> None:
        if self._begin_closing():
            for side in (self.client, self.upstream):
                if side.transport is not None:
                    sock = side.transport.get_extra_info("socket")
                    if sock is not None:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
                    side.transport.abort()

    def _begin_closing(self) -> bool:
        if self.closing:
            return False
        self.closing = True
        if self._dial is not None and not self._dial.done():
            self._dial.cancel()
        for link in self.links.values():
            link.cancel()
        self.proxy.connections.discard(self)
        return True
