"""The Locust command line for a ``LoadConfig``: what the orchestrator runs as a subprocess.

``locust_command`` is pure: it builds the arguments, the environment and the files of one
load process (and its workers with ``processes > 1``), in its run directory; the caller
writes the config (``LoadConfig.dump(command.config_file)``) and starts ``command.argv``
with ``command.env`` in ``command.cwd``, in a session of its own (``start_new_session=True``).

How the load ends:

- by itself: the shape stops starting requests at ``shape.duration`` (t = 0 is the START
  record), lets in-flight requests finish for ``stop_grace``, ends those still running as
  timeouts, writes SUMMARY and exits 0, also when requests failed (failures are judged
  from the records, not by Locust's exit code);
- early: SIGTERM (or SIGINT) to ``argv``'s process does the same within a second, so every
  request in flight still gets its end record. Wait ``stop_deadline(config)`` for the
  exit, then SIGKILL the process group: requests without an end record were in flight.
  With ``processes > 1`` signal only the master (the process started); its workers stop
  through Locust's messages and exit with it.

With ``config.workers`` the process started is a master alone: it listens on
``workers.address`` and waits up to ``workers.timeout`` for ``workers.count`` workers,
each started elsewhere by ``chaos worker --master HOST:PORT``
(``chaos.load.runtime.remote``), which asks the master for the config and the locustfile.
If too few come, the master exits non-zero before its START record; the WORKER_READY
records say how many came (``workers_came``).
"""

from __future__ import annotations

import math
import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chaos.load.config import CONFIG_ENV, LoadConfig
from chaos.rundir import RunDir

BUILTIN_LOCUSTFILE = Path(__file__).resolve().parent / "runtime" / "chat.py"
_STARTUP_SLACK = 10.0  # seconds: Locust's start, workers connecting, SUMMARY and exit


@dataclass(frozen=True)
class LoadCommand:
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    config_file: Path  # where the caller writes the LoadConfig as JSON
    locust_stats: Path  # Locust's own statistics (JSON), for cross-checking the records
    log_file: Path


def locust_command(
    config: LoadConfig,
    run_dir: RunDir,
    *,
    master_port: int | None = None,
    python: str = sys.executable,
    base_env: Mapping[str, str] = os.environ,
) -> LoadCommand:
    """The command that runs ``config``'s load, its files in ``run_dir``.

    ``master_port`` (a free loopback port, see ``free_port``) is required with
    ``processes > 1``: the workers reach their master there.
    """
    locustfile = config.locustfile or BUILTIN_LOCUSTFILE
    argv = [
        python,
        "-m",
        "locust",
        "--locustfile",
        str(locustfile),
        "--headless",
        "--host",
        config.host,
        "--exit-code-on-error",
        "0",
        "--only-summary",
        "--json-file",
        str(run_dir.locust_stats.with_suffix("")),  # Locust adds the .json
        "--logfile",
        str(run_dir.locust_log),
        "--loglevel",
        config.log_level,
    ]
    if config.processes > 1:
        if master_port is None:
            raise ValueError("processes > 1 needs a master_port for the workers to reach their master")
        port = str(master_port)
        argv += [
            "--processes",
            str(config.processes),
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            port,
            "--master-port",
            port,
        ]
    if config.workers is not None:
        workers = config.workers
        argv += [
            "--master",
            "--expect-workers",
            str(workers.count),
            "--expect-workers-max-wait",
            str(math.ceil(workers.timeout)),
            "--master-bind-host",
            workers.bind_host,
            "--master-bind-port",
            str(workers.bind_port),
        ]
    # LOCUST_* variables would silently change the run; the config is the whole truth.
    env = {name: value for name, value in base_env.items() if not name.startswith("LOCUST_")}
    env[CONFIG_ENV] = str(run_dir.load_config)
    env["PYTHONUNBUFFERED"] = "1"
    return LoadCommand(
        argv=argv,
        env=env,
        cwd=run_dir.path,
        config_file=run_dir.load_config,
        locust_stats=run_dir.locust_stats,
        log_file=run_dir.locust_log,
    )


def stop_deadline(config: LoadConfig) -> float:
    """Seconds to wait for the load to exit after SIGTERM before killing it."""
    return config.stop_grace + _STARTUP_SLACK


def run_deadline(config: LoadConfig) -> float:
    """Seconds a load may take from its start to its exit, stopping by itself."""
    return workers_wait(config) + config.shape.duration + config.stop_grace + 2 * _STARTUP_SLACK


def workers_wait(config: LoadConfig) -> float:
    """Seconds the master may wait for its remote workers before the load starts."""
    return math.ceil(config.workers.timeout) if config.workers is not None else 0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def too_few_workers(config: LoadConfig, came: int) -> str:
    """What to say when the load gave up waiting for its remote workers."""
    assert config.workers is not None
    workers = config.workers
    return (
        f"only {came} of {workers.count} load workers came within {workers.timeout:g} s; the load did not start "
        f"(its master listened on {workers.address}: start each worker with "
        f"`chaos worker --master HOST:{workers.bind_port}`, HOST being this machine as the worker reaches it)"
    )
