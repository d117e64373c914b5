"""A webhook receiver on 127.0.0.1 for the tests: ``/ok/...`` answers 200, ``/fail/...``
500, ``/refuse/...`` 404, and ``/hang/...`` never answers (until the server stops)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    at: float


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def bodies(self, prefix: str) -> list[dict[str, Any]]:
        return [r.body for r in self.received if r.path.startswith(prefix)]


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.received.append(Received(self.path, body, time.monotonic()))
            if self.path.startswith("/hang"):
                state.stop.wait()
                return
            status = 200 if self.path.startswith("/ok") else 404 if self.path.startswith("/refuse") else 500
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        server.shutdown()
        server.server_close()
