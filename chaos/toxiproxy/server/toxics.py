"""Toxiproxy 2.12's toxics: their attributes with defaults, and what each does to a link.

Each pipe mirrors ``toxics/<name>.go``: times in milliseconds except slicer's delay (µs),
bandwidth in KB/s (1 KB = 1000 bytes). Where Toxiproxy would crash or misbehave on an
attribute (slicer with ``average_size`` 0 recurses forever), the pipe degrades to the
nearest sensible behaviour instead.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from chaos.toxiproxy.server.pipeline import Chunk, End, Pipe, Stage, pass_through

SMALL_BUFFER = 256 * 1024
LATENCY_BUFFER = 8 * 1024 * 1024  # Toxiproxy gives latency a deeper channel (1024 chunks) too


@dataclass(frozen=True)
class ToxicKind:
    name: str
    defaults: dict[str, int]
    pipe: Pipe
    buffer: int = SMALL_BUFFER
    closes_on_remove: bool = False  # timeout: removing it closes the connection


async def latency(stage: Stage) -> None:
    loop = asyncio.get_running_loop()
    while True:
        item = await stage.take()
        if isinstance(item, Chunk):
            delay = stage.attrs["latency"]
            jitter = stage.attrs["jitter"]
            if jitter > 0:
                delay += random.randrange(-jitter, jitter)
            due = item.t + delay / 1000
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            item.t = due
        await stage.emit(item)
        if isinstance(item, End):
            return


async def bandwidth(stage: Stage) -> None:
    """Like Toxiproxy: a chunk larger than 100 ms worth goes out in 100 ms pieces, and the
    time owed is carried over so that the average rate holds despite timer error.
    """
    loop = asyncio.get_running_loop()
    owed = 0.0
    while True:
        item = await stage.take()
        if isinstance(item, End):
            await stage.emit(item)
            return
        rate = stage.attrs["rate"]
        if rate <= 0:
            owed = 0.0
            await stage.emit(item)
            continue
        data = memoryview(item.data)
        owed += len(data) / (rate * 1000)
        piece = rate * 100
        while len(data) > piece:
            await asyncio.sleep(0.1)
            data, sent = data[piece:], data[:piece]
            await stage.emit(Chunk(sent, item.t), rest=Chunk(data, item.t))
            owed -= 0.1
        started = loop.time()
        if owed > 0:
            await asyncio.sleep(owed)
        owed -= loop.time() - started
        await stage.emit(Chunk(data, item.t))


async def slow_close(stage: Stage) -> None:
    while True:
        item = await stage.take()
        if isinstance(item, End):
            await asyncio.sleep(stage.attrs["delay"] / 1000)
            await stage.emit(item)
            return
        await stage.emit(item)


async def timeout(stage: Stage) -> None:
    """Swallow data; after ``timeout`` ms cut the connection (0: hold it until removed)."""
    ms = stage.attrs["timeout"]
    deadline = asyncio.get_running_loop().time() + ms / 1000 if ms > 0 else None
    while True:
        try:
            async with asyncio.timeout_at(deadline):
                item = await stage.take()
        except TimeoutError:
            await stage.emit(End.CLOSE)
            return
        if isinstance(item, End):
            await stage.emit(item)
            return
        stage.drop()


async def reset_peer(stage: Stage) -> None:
    """On the first data, wait ``timeout`` ms then reset. Toxiproxy sets SO_LINGER 0 only on
    links that had the toxic from their start; older connections see a plain close.
    """
    await stage.take()
    stage.drop()
    await asyncio.sleep(stage.attrs["timeout"] / 1000)
    await stage.emit(End.RESET if stage.at_link_start else End.CLOSE)


async def slicer(stage: Stage) -> None:
    while True:
        item = await stage.take()
        if isinstance(item, End):
            await stage.emit(item)
            return
        data = memoryview(item.data)
        bounds = slice_bounds(len(data), stage.attrs["average_size"], stage.attrs["size_variation"])
        for start, end in bounds:
            rest = Chunk(data[end:], item.t) if end < len(data) else None
            await stage.emit(Chunk(data[start:end], item.t), rest=rest)
            await asyncio.sleep(stage.attrs["delay"] / 1_000_000)


def slice_bounds(size: int, average: int, variation: int) -> list[tuple[int, int]]:
    """Toxiproxy's split: halve (+- variation) until a piece is within average + variation."""
    average, variation = max(average, 1), max(variation, 0)
    bounds: list[tuple[int, int]] = []
    todo = [(0, size)]
    while todo:
        start, end = todo.pop()
        if (end - start) - average <= variation or end - start < 2:
            bounds.append((start, end))
            continue
        mid = start + (end - start) // 2
        if variation > 0:
            mid += random.randrange(-variation, variation)
        mid = min(max(mid, start + 1), end - 1)
        todo += [(mid, end), (start, mid)]
    return bounds


async def limit_data(stage: Stage) -> None:
    limit = stage.attrs["bytes"]
    while True:
        item = await stage.take()
        if isinstance(item, End):
            await stage.emit(item)
            return
        allowed = max(limit - stage.sent, 0)
        data = item.data[:allowed]
        if data:
            stage.sent += len(data)
            await stage.emit(Chunk(data, item.t))
        else:
            stage.drop()
        if limit - stage.sent <= 0:
            await stage.emit(End.CLOSE)
            return


KINDS: dict[str, ToxicKind] = {
    kind.name: kind
    for kind in (
        ToxicKind("latency", {"latency": 0, "jitter": 0}, latency, buffer=LATENCY_BUFFER),
        ToxicKind("bandwidth", {"rate": 0}, bandwidth),
        ToxicKind("slow_close", {"delay": 0}, slow_close),
        ToxicKind("timeout", {"timeout": 0}, timeout, closes_on_remove=True),
        ToxicKind("reset_peer", {"timeout": 0}, reset_peer),
        ToxicKind("slicer", {"average_size": 0, "size_variation": 0, "delay": 0}, slicer),
        ToxicKind("limit_data", {"bytes": 0}, limit_data),
        ToxicKind("noop", {}, pass_through),
    )
}
