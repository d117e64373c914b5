"""An asyncio loop in a daemon thread of the test process, for the servers the fixtures run.

The mock providers and the embedded Toxiproxy are asyncio servers; a test is synchronous
code that calls an SDK. They run side by side: the servers on this loop, the test on its
own thread, talking over loopback as a real app talks to a real provider. Being a thread
of the test process, nothing outlives the session, even when pytest itself is killed: the
kernel closes the ports with the process.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")

# Starting servers and admin calls answer in milliseconds on loopback; this bounds a wedged one.
CALL_TIMEOUT_S = 30.0


class LoopThread:
    def __init__(self, name: str = "chaos-fixtures") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, _T], timeout: float = CALL_TIMEOUT_S) -> _T:
        """Run ``coroutine`` on the loop and wait for its result (its exception is raised here)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def close(self) -> None:
        """Stop the loop and join its thread; the servers on it must be stopped first."""
        if not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CALL_TIMEOUT_S)
        if not self._thread.is_alive():
            self._loop.close()
