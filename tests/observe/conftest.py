"""An OTLP receiver on loopback in a thread of its own, for tests that talk to it over HTTP."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from chaos.observe.receiver import OtlpReceiver
from chaos.observe.spans import SpanRow


@dataclass
class Running:
    endpoint: str
    spans: list[SpanRow] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Running]:
    running = Running("")
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def keep(rows: Sequence[SpanRow]) -> None:
        running.spans.extend(rows)

    async def serve() -> None:
        async with OtlpReceiver(keep) as otlp:
            running.endpoint = otlp.endpoint
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the receiver did not start"
    yield running
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()
