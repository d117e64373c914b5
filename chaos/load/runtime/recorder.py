"""Where the records of a load process go: the records file, or the master.

    FileRecorder     a single local process, or the master: one JSON line per record,
                     flushed as written, appended to the records file the orchestrator tails
    WorkerRecorder   a worker: each record, rebased to the master's clock, travels to the
                     master through Locust's messaging (the same path remote workers use)
    MasterHub        the master's side: writes what workers send, answers clock pings,
                     writes each worker's clock offset once measured (WORKER_READY),
                     knows which requests each worker has in flight, reports lost workers,
                     and hands remote workers their load (``chaos.load.runtime.remote``)

Worker -> master messages: ``chaos:ping {t0, pid}``, ``chaos:clock {offset, round_trip,
pid, host}``, ``chaos:record {line, opens|closes}``, ``chaos:stopping {t}``, ``chaos:bye``;
master -> worker: ``chaos:pong {t0, tm}``. A remote worker, before it is one, asks
``chaos:load`` and is answered ``chaos:load {config, locustfile: {name, contents}}`` (or
``{error}``).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import gevent  # type: ignore[import-untyped]
from locust.env import Environment
from locust.rpc.protocol import Message
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

from chaos.kinds import LoadEventKind
from chaos.load.clock import ClockOffset, rebase
from chaos.records import LoadEvent, RequestEnded, RequestSent, dump_record

LoadRecord = RequestSent | RequestEnded | LoadEvent

_PINGS = 5  # clock samples a worker takes when it connects; the shortest round trip wins
_PONG_WAIT = 2.0  # seconds a worker waits for the answers before it reports its offset
_WATCH_INTERVAL = 0.5  # how often the master looks for workers Locust marked missing
FLUSH_INTERVAL = 0.02  # seconds: the longest a request record waits before it reaches the records file
_BUFFER = 1 << 20  # large enough that the buffer never fills (and splits a line) between two flushes


class Recorder(Protocol):
    def write(self, record: LoadRecord) -> None: ...


class FileRecorder:
    """Appends records to the file; request records reach it within ``FLUSH_INTERVAL``.

    A write system call per record costs as much as a third of a request here; one per
    interval costs nothing. Load events (START, STOP, ...) are flushed at once.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8", buffering=_BUFFER)
        self._pending = False
        self._flusher = gevent.spawn(self._flush_every, FLUSH_INTERVAL)

    def write(self, record: LoadRecord) -> None:
        self.write_line(dump_record(record))
        if isinstance(record, LoadEvent):
            self.flush()

    def write_line(self, line: str) -> None:
        self._file.write(line)
        self._pending = True

    def flush(self) -> None:
        if self._pending:
            self._pending = False
            self._file.flush()

    def _flush_every(self, interval: float) -> None:
        while True:
            gevent.sleep(interval)
            self.flush()

    def close(self) -> None:
        self._flusher.kill()
        self._file.close()


class WorkerRecorder:
    """Ships records to the master; holds them until the first clock sample is in."""

    def __init__(self, runner: WorkerRunner) -> None:
        self._runner = runner
        self.clock = ClockOffset()
        self._held: list[LoadRecord] = []
        self._pongs = 0
        runner.register_message("chaos:pong", self._on_pong)

    def sync_clock(self) -> None:
        """Ping the master a few times (from a greenlet of its own), then tell it the offset found."""
        for _ in range(_PINGS):
            self._runner.send_message("chaos:ping", {"t0": time.time(), "pid": os.getpid()})
            gevent.sleep(0.02)
        deadline = time.monotonic() + _PONG_WAIT
        while self._pongs < _PINGS and time.monotonic() < deadline:
            gevent.sleep(0.02)
        round_trip = self.clock.round_trip if self.clock.offset is not None else None
        report = {
            "offset": self.clock.offset,
            "round_trip": round_trip,
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }
        self._runner.send_message("chaos:clock", report)

    def to_master_time(self, t: float) -> float:
        return t + (self.clock.offset or 0.0)

    def write(self, record: LoadRecord) -> None:
        if self.clock.offset is None:
            self._held.append(record)
            return
        self._ship(record, self.clock.offset)

    def flush(self) -> None:
        """Ship what is held even without a clock sample (the master never answered)."""
        held, self._held = self._held, []
        for record in held:
            self._ship(record, self.clock.offset or 0.0)

    def _ship(self, record: LoadRecord, offset: float) -> None:
        data: dict[str, Any] = {"line": dump_record(rebase(record, offset))}
        if isinstance(record, RequestSent):
            data["opens"] = record.id
        elif isinstance(record, RequestEnded):
            data["closes"] = record.id
        self._runner.send_message("chaos:record", data)

    def _on_pong(self, environment: Environment, msg: Message, **_: Any) -> None:
        self.clock.sample(msg.data["t0"], msg.data["tm"], time.time())
        self._pongs += 1
        self.flush()


@dataclass
class _Worker:
    pid: int | None = None
    in_flight: set[str] = field(default_factory=set)
    sent: int = 0  # records of requests sent and ended that reached the master
    ended: int = 0
    finished: bool = False  # said bye: every record it made has arrived
    lost: bool = False


class MasterHub:
    """The master's end of the records channel."""

    def __init__(self, runner: MasterRunner, recorder: FileRecorder, offer: dict[str, Any] | None = None) -> None:
        """``offer``: what a remote worker is sent when it asks for its load (None: this
        master takes no remote worker)."""
        self._runner = runner
        self._recorder = recorder
        self._offer = offer
        self._workers: dict[str, _Worker] = {}
        self._stop_t: float | None = None
        self._stop_waiting: set[str] = set()
        self._stop_written = False
        self._stop_detail: dict[str, Any] = {}
        runner.register_message("chaos:ping", self._on_ping)
        runner.register_message("chaos:record", self._on_record)
        runner.register_message("chaos:stopping", self._on_stopping)
        runner.register_message("chaos:bye", self._on_bye)
        runner.register_message("chaos:clock", self._on_clock)
        runner.register_message("chaos:load", self._on_load_asked)

    def watch(self) -> None:
        """Report workers Locust marks missing (missed heartbeats), until the process ends."""
        while True:
            gevent.sleep(_WATCH_INTERVAL)
            self.check_lost()

    def check_lost(self, *, final: bool = False) -> None:
        """``final``: the load has stopped, so a worker that has not said bye is lost too."""
        for worker_id, client in list(self._runner.clients.items()):
            if client.state == STATE_MISSING:
                self._lost(worker_id, "missed its heartbeats")
        if final:
            for worker_id, worker in self._workers.items():
                if not worker.finished:
                    self._lost(worker_id, "stopped before its requests ended")

    def counts(self) -> dict[str, dict[str, int]]:
        """Per worker: the request records that reached the master."""
        return {worker_id: {"sent": w.sent, "ended": w.ended} for worker_id, w in self._workers.items()}

    def stopping(self, detail: dict[str, Any]) -> None:
        """The master ordered the stop; STOP is written once every worker has stopped starting requests."""
        self._stop_t = time.time()
        self._stop_detail = detail
        self._stop_waiting = {
            worker_id for worker_id, client in self._runner.clients.items() if client.state != STATE_MISSING
        }
        self._stop_waiting &= {worker_id for worker_id, worker in self._workers.items() if not worker.lost}
        self._maybe_write_stop()

    def stopped(self) -> None:
        self.check_lost(final=True)
        self._stop_waiting.clear()
        self._maybe_write_stop()

    def wait_for_children(self, timeout: float) -> None:
        """Wait for workers that are this process's children (``--processes``) to exit.

        Locust's master may otherwise exit first and leave them orphaned. ``WNOWAIT``
        leaves the exit status for Locust, which reaps its children itself.
        """
        deadline = time.monotonic() + timeout
        pids = {worker.pid for worker in self._workers.values() if worker.pid is not None}
        while pids and time.monotonic() < deadline:
            for pid in list(pids):
                try:
                    exited = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                except ChildProcessError:
                    exited = None  # not ours (a remote worker) or already reaped
                    pids.discard(pid)
                if exited is not None:
                    pids.discard(pid)
            gevent.sleep(0.05)

    def _maybe_write_stop(self) -> None:
        if self._stop_t is not None and not self._stop_waiting and not self._stop_written:
            self._stop_written = True
            self._recorder.write(LoadEvent(event=LoadEventKind.STOP, t=self._stop_t, detail=self._stop_detail))

    def _lost(self, worker_id: str, reason: str) -> None:
        worker = self._workers.setdefault(worker_id, _Worker())
        if worker.lost or worker.finished:
            return
        worker.lost = True
        detail = {
            "reason": reason,
            "pid": worker.pid,
            "in_flight": sorted(worker.in_flight),
            "sent": worker.sent,
            "ended": worker.ended,
        }
        self._recorder.write(LoadEvent(event=LoadEventKind.WORKER_LOST, t=time.time(), worker=worker_id, detail=detail))
        self._stop_waiting.discard(worker_id)
        self._maybe_write_stop()

    def _on_ping(self, environment: Environment, msg: Message, **_: Any) -> None:
        self._workers.setdefault(msg.node_id, _Worker()).pid = msg.data["pid"]
        self._runner.send_message("chaos:pong", {"t0": msg.data["t0"], "tm": time.time()}, client_id=msg.node_id)

    def _on_record(self, environment: Environment, msg: Message, **_: Any) -> None:
        self._recorder.write_line(msg.data["line"])
        worker = self._workers.setdefault(msg.node_id, _Worker())
        if "opens" in msg.data:
            worker.in_flight.add(msg.data["opens"])
            worker.sent += 1
        elif "closes" in msg.data:
            worker.in_flight.discard(msg.data["closes"])
            worker.ended += 1

    def _on_clock(self, environment: Environment, msg: Message, **_: Any) -> None:
        detail = {
            "clock_offset": msg.data["offset"],
            "round_trip": msg.data["round_trip"],
            "pid": msg.data["pid"],
            "host": msg.data["host"],
        }
        self._recorder.write(
            LoadEvent(event=LoadEventKind.WORKER_READY, t=time.time(), worker=msg.node_id, detail=detail)
        )

    def _on_load_asked(self, environment: Environment, msg: Message, **_: Any) -> None:
        """A ``chaos worker`` not yet connected asks what to run (from a client id of its own)."""
        answer = self._offer if self._offer is not None else {"error": "this load takes no remote workers"}
        self._runner.send_message("chaos:load", answer, client_id=msg.node_id)

    def _on_stopping(self, environment: Environment, msg: Message, **_: Any) -> None:
        if self._stop_t is not None:
            self._stop_t = max(self._stop_t, msg.data["t"])
        self._stop_waiting.discard(msg.node_id)
        self._maybe_write_stop()

    def _on_bye(self, environment: Environment, msg: Message, **_: Any) -> None:
        self._workers.setdefault(msg.node_id, _Worker()).finished = True
