"""``LoadRuntime``: what one load process shares, and how it hooks into Locust's events.

A locustfile builds one from the config file named by ``CHAOS_LOAD_CONFIG``, installs it
on ``locust.events`` and takes its user and shape classes (see ``chaos/load/runtime/chat.py``).
Then, in a single local process or in the master:

    test_start     LoadEvent START (t = 0 of every offset)
    the shape      ends the load at ``duration`` (or on SIGTERM / SIGINT, within a second)
                   by stopping the runner gracefully: no request starts any more, those in
                   flight get the stop grace (Locust's stop_timeout), then end as timeouts
    test_stopping  LoadEvent STOP, with the stop grace (the master waits until every worker
                   has stopped starting requests too)
    quit           LoadEvent SUMMARY with Locust's own request and failure counts

The duration lives in the shape because Locust ignores ``--run-time`` for shape classes,
and because a master's ``quit()`` does not wait for its workers' in-flight requests.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import gevent  # type: ignore[import-untyped]
import gevent.event  # type: ignore[import-untyped]
from locust import between, constant_throughput
from locust.env import Environment
from locust.event import Events
from locust.runners import MasterRunner, Runner, WorkerRunner
from locust.shape import LoadTestShape

from chaos.envrefs import Resolver
from chaos.errors import ChaosError
from chaos.kinds import LoadEventKind
from chaos.load.config import CONFIG_ENV, LoadConfig
from chaos.load.runtime.recorder import FileRecorder, MasterHub, Recorder, WorkerRecorder
from chaos.load.runtime.users import ChatMixUser, LLMUser
from chaos.load.wire import Wire
from chaos.records import LoadEvent
from chaos.stack.parent import die_with_parent

_WORKER_EXIT_WAIT = 5.0  # seconds the master waits for its local workers to exit


class LoadRuntime:
    def __init__(self, config: LoadConfig, environ: Mapping[str, str]) -> None:
        self.config = config
        self.secrets = Resolver(environ)  # what is recorded is scrubbed of what it resolves
        self.headers = config.resolved_headers(self.secrets)
        self.evals = config.eval_items() if config.mix.eval > 0 else []
        served_field = config.served_by.name if config.served_by.source == "json" else None
        self.wire = Wire(config.api, config.model, config.max_tokens, served_field)
        self.path = config.path
        self.url = config.host + config.path
        weights = config.mix.weights()
        self.mix = (list(weights), list(weights.values()))
        self.recorder: Recorder = _NoRecorder()
        self.worker: str | None = None
        self.stopping = False  # in this process, no request starts any more
        self._stop_requested = gevent.event.Event()
        self._ticked = False
        self._runner: Runner | None = None
        self._file: FileRecorder | None = None
        self._hub: MasterHub | None = None
        self._worker_recorder: WorkerRecorder | None = None
        self._summary: dict[str, Any] | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> LoadRuntime:
        """The runtime of the config file ``CHAOS_LOAD_CONFIG`` names; exits with a message if it is unusable."""
        path = environ.get(CONFIG_ENV)
        try:
            if not path:
                raise ChaosError(f"{CONFIG_ENV} is not set: it names the load config file (chaos.load.launch)")
            return cls(LoadConfig.read(Path(path)), environ)
        except ChaosError as exc:
            raise SystemExit(f"chaos load: {exc.message}") from None

    def request_id(self) -> str:
        return os.urandom(16).hex()  # as unique as a uuid4, and cheaper

    def user_class(self, base: type[LLMUser] = ChatMixUser, name: str = "ChatUser") -> type[LLMUser]:
        """``base`` bound to this runtime, with the scenario's wait and the client timeout."""
        config = self.config
        socket_timeout = config.client_timeout + 1  # the client timeout fires first and is classified as such
        attributes: dict[str, Any] = {
            "runtime": self,
            "host": config.host,
            "wait_time": (
                constant_throughput(1 / config.wait.every)
                if config.wait.every is not None
                else between(config.wait.min, config.wait.max)
            ),
            "network_timeout": socket_timeout,
            "connection_timeout": socket_timeout,
            "max_retries": 0,
            "abstract": False,
            "__module__": base.__module__,
        }
        if config.wait.every is not None:
            attributes["on_start"] = _phased(base.on_start, config.wait.every)
        return type(name, (base,), attributes)

    def shape_class(self) -> type[LoadTestShape]:
        return type("ScenarioShape", (_ScenarioShape,), {"runtime": self, "abstract": False})

    def install(self, events: Events) -> None:
        scrub_logs(self.secrets)
        for hook, listener in (
            (events.init, self._on_init),
            (events.test_start, self._on_test_start),
            (events.test_stopping, self._on_test_stopping),
            (events.test_stop, self._on_test_stop),
            (events.quit, self._on_quit),
        ):
            hook.add_listener(listener)  # type: ignore[no-untyped-call]

    def request_stop(self) -> None:
        """Stop the load gracefully (what SIGTERM and SIGINT do)."""
        self._stop_requested.set()

    def tick(self, elapsed: float) -> tuple[int, float] | None:
        """The shape's answer ``elapsed`` seconds in: the target, or None once the load has stopped."""
        remaining = self.config.shape.duration - elapsed
        if self._ticked and 0 < remaining <= 1.0:
            # the next tick (a second away) would come too late: wait here for the end or a stop request
            self._stop_requested.wait(remaining)
            remaining = 0
        if remaining <= 0 or self._stop_requested.is_set():
            if self._runner is not None:
                self._runner.stop()
            return None
        self._ticked = True
        return self.config.shape.target(elapsed)

    def _on_init(self, environment: Environment, runner: Runner, **_: Any) -> None:
        self._runner = runner
        if isinstance(runner, WorkerRunner):
            if getattr(environment.parsed_options, "processes", None):
                die_with_parent()  # forked by `--processes`, and fork() cleared the parent-death signal
            self.worker = runner.client_id
            self._worker_recorder = WorkerRecorder(runner)
            self.recorder = self._worker_recorder
            gevent.spawn(self._worker_recorder.sync_clock)
            return
        environment.stop_timeout = self.config.stop_grace
        self._file = FileRecorder(self.config.records)
        self.recorder = self._file
        if isinstance(runner, MasterRunner):
            self._hub = MasterHub(runner, self._file)
            gevent.spawn(self._hub.watch)
        for signum in (signal.SIGTERM, signal.SIGINT):
            gevent.signal_handler(signum, self.request_stop)

    def _on_test_start(self, environment: Environment, **_: Any) -> None:
        if self._file is None:
            return
        config = self.config
        detail = {"run_id": config.run_id, "processes": config.processes, "shape": config.shape.kind}
        self._file.write(LoadEvent(event=LoadEventKind.START, t=time.time(), detail=detail))

    def _on_test_stopping(self, environment: Environment, **_: Any) -> None:
        if self.stopping:
            return
        self.stopping = True
        if self._worker_recorder is not None and self._runner is not None:
            t = self._worker_recorder.to_master_time(time.time())
            self._runner.send_message("chaos:stopping", {"t": t})
        elif self._hub is not None:
            self._hub.stopping({"stop_grace": self.config.stop_grace})
        elif self._file is not None:
            detail = {"stop_grace": self.config.stop_grace}
            self._file.write(LoadEvent(event=LoadEventKind.STOP, t=time.time(), detail=detail))

    def _on_test_stop(self, environment: Environment, **_: Any) -> None:
        runner = self._runner
        if isinstance(runner, WorkerRunner) and self._worker_recorder is not None:
            self._worker_recorder.flush()
            # The worker's stop handler sleeps the stop timeout once stopped, deaf to the
            # master's quit; its users have stopped already, so there is nothing to wait for.
            environment.stop_timeout = 0
            # Locust sends a worker's last statistics only when it quits, after the master
            # has stopped listening; send them now, before saying that everything arrived.
            runner._send_stats()
            runner.send_message("chaos:bye")
        else:
            if self._hub is not None:
                self._hub.stopped()
            if runner is not None:
                # taken now: writing Locust's JSON statistics at exit clears the per-kind entries
                self._summary = _locust_counts(runner)

    def _on_quit(self, exit_code: int, **_: Any) -> None:
        if self._file is None or self._runner is None:
            return
        detail = self._summary or _locust_counts(self._runner)
        detail = {**detail, "locust_exit_code": exit_code}
        self._file.write(LoadEvent(event=LoadEventKind.SUMMARY, t=time.time(), detail=detail))
        self._file.close()
        self._file = None
        if self._hub is not None:
            self._hub.wait_for_children(_WORKER_EXIT_WAIT)


def scrub_logs(secrets: Resolver) -> None:
    """Every log record of this process (Locust's, a locustfile's) is scrubbed of the header
    values as it is made, traceback included, whatever handler writes it later."""
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            record.msg, record.args = secrets.scrub(record.getMessage()), None
        except Exception:  # a malformed call: logging reports it when the record is written
            return record
        if record.exc_info is not None and record.exc_info[1] is not None:
            record.exc_text = secrets.scrub("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return record

    logging.setLogRecordFactory(factory)


def _locust_counts(runner: Runner) -> dict[str, Any]:
    """Locust's own request and failure counts, in total and per request kind."""
    stats = runner.stats
    by_kind = {
        name: {"requests": entry.num_requests, "failures": entry.num_failures}
        for (name, _method), entry in stats.entries.items()
    }
    return {"requests": stats.total.num_requests, "failures": stats.total.num_failures, "by_kind": by_kind}


def _phased(on_start: Callable[[LLMUser], None], every: float) -> Callable[[LLMUser], None]:
    """A user's start, first waiting a random share of its interval: Locust starts users in
    batches each second, and a user with a fixed pace keeps its first request's phase, so
    without it a step's arrivals would all come in the first milliseconds of each second."""

    def start(user: LLMUser) -> None:
        gevent.sleep(random.uniform(0, every))
        on_start(user)

    return start


class _ScenarioShape(LoadTestShape):
    abstract = True
    runtime: ClassVar[LoadRuntime]

    def tick(self) -> tuple[int, float] | None:
        return self.runtime.tick(time.perf_counter() - self.start_time)


class _NoRecorder:
    def write(self, record: object) -> None:
        raise RuntimeError("the load runtime was not installed on locust.events before the test started")
