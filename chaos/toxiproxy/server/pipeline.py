"""The toxic chain of one link: stages joined by channels, the way Toxiproxy joins its
toxic stubs with Go channels.

    source -> [stage: latency] -> channel -> [stage: bandwidth] -> ... -> sink (the other socket)

A stage runs one toxic as a task: it ``take``s an item from its input, does what the toxic
does, and ``emit``s items to its output. An item is a ``Chunk`` of bytes or an ``End``
marker, and markers travel in order behind the data. A stage remembers what it has taken
and not yet passed on (``holding``), so that removing or updating a toxic on a live
connection loses no data: the holding and the queued items go on to the next stage.
Channels never refuse an item; a writer that overfills one waits for room afterwards, and
the first channel's fullness pauses reading from the source socket.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chaos.toxiproxy.server.proxy import ProxyToxic


class End(Enum):
    """How a link ends; each ends the whole connection once it reaches the sink."""

    EOF = "eof"  # the source closed: close both sockets (Toxiproxy does not half-close)
    CLOSE = "close"  # a toxic cut the connection (timeout, limit_data): counted as cut
    RESET = "reset"  # reset_peer: abort both sockets with RST; counted as reset


@dataclass(slots=True)
class Chunk:
    data: bytes | memoryview  # a memoryview when a toxic splits a chunk without copying it
    t: float  # loop time it was read at; latency is measured from it


Item = Chunk | End


class Outlet(Protocol):
    """Where a stage sends items: the next stage's input, or the sink."""

    def put(self, item: Item) -> None: ...

    def full(self) -> bool: ...

    async def room(self) -> None: ...


class Channel:
    """A FIFO between two stages, bounded in bytes: ``put`` always succeeds, and a writer
    that made it full awaits ``room``. ``on_room`` is told when it stops being full.
    """

    __slots__ = ("_bytes", "_capacity", "_getter", "_items", "_on_room", "_retired", "_room_waiters")

    def __init__(self, capacity: int, on_room: Callable[[], None]) -> None:
        self._items: deque[Item] = deque()
        self._bytes = 0
        self._capacity = capacity
        self._getter: asyncio.Future[None] | None = None
        self._room_waiters: list[asyncio.Future[None]] = []
        self._on_room = on_room
        self._retired = False

    def put(self, item: Item) -> None:
        self._items.append(item)
        if isinstance(item, Chunk):
            self._bytes += len(item.data)
        getter = self._getter
        if getter is not None and not getter.done():
            getter.set_result(None)

    def push_front(self, item: Item) -> None:
        self._items.appendleft(item)
        if isinstance(item, Chunk):
            self._bytes += len(item.data)

    async def get(self) -> Item:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            self._getter = getter
            try:
                await getter
            finally:
                self._getter = None
        was_full = self.full()
        item = self._items.popleft()
        if isinstance(item, Chunk):
            self._bytes -= len(item.data)
        if was_full and not self.full():
            self._wake_writers()
            self._on_room()
        return item

    def full(self) -> bool:
        return self._bytes >= self._capacity

    async def room(self) -> None:
        while self.full() and not self._retired:
            waiter = asyncio.get_running_loop().create_future()
            self._room_waiters.append(waiter)
            await waiter

    def take_all(self) -> list[Item]:
        """Empty the channel for good: its stage is leaving the chain."""
        items = list(self._items)
        self._items.clear()
        self._bytes = 0
        self._retired = True
        self._wake_writers()
        return items

    def _wake_writers(self) -> None:
        waiters, self._room_waiters = self._room_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


Pipe = Callable[["Stage"], Awaitable[None]]


class Stage:
    """One toxic on one link. Toxicity is rolled when the stage (re)starts: a stage that
    lost the roll passes everything through, as Toxiproxy's noop does.
    """

    def __init__(self, toxic: ProxyToxic, output: Outlet, on_room: Callable[[], None], *, at_link_start: bool) -> None:
        self.toxic = toxic
        self.input = Channel(toxic.kind.buffer, on_room)
        self.output = output
        self.at_link_start = at_link_start  # reset_peer resets only links it was on from the start
        self.holding: Item | None = None
        self.sent = 0  # bytes passed on, kept across updates (limit_data)
        self.finished = False
        self._task: asyncio.Task[None] | None = None

    @property
    def attrs(self) -> dict[str, int]:
        return self.toxic.attributes

    def start(self) -> None:
        active = random.random() < self.toxic.toxicity
        pipe = self.toxic.kind.pipe if active else pass_through
        self._task = asyncio.get_running_loop().create_task(self._run(pipe))

    def restart(self) -> None:
        """The toxic was updated: rerun it (and roll again) from the item it was holding."""
        if self.finished:
            return
        self.cancel()
        if self.holding is not None:
            self.input.push_front(self.holding)
            self.holding = None
        self.start()

    def retire(self) -> list[Item]:
        """The toxic was removed: stop, and hand back every item not yet passed on, in order."""
        self.cancel()
        held = [] if self.holding is None else [self.holding]
        self.holding = None
        return held + self.input.take_all()

    async def take(self) -> Item:
        item = await self.input.get()
        self.holding = item
        return item

    def drop(self) -> None:
        self.holding = None

    async def emit(self, item: Item, *, rest: Chunk | None = None) -> None:
        """Pass ``item`` on; ``rest`` is what the stage still holds of the item it took."""
        self.holding = rest
        output = self.output
        output.put(item)
        if output.full():
            await output.room()

    async def _run(self, pipe: Pipe) -> None:
        await pipe(self)
        self.finished = True

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None


async def pass_through(stage: Stage) -> None:
    while True:
        item = await stage.take()
        await stage.emit(item)
        if isinstance(item, End):
            return
