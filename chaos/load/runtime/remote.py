"""A remote Locust worker: what ``chaos worker --master HOST:PORT`` runs.

    python -m chaos.load.runtime.remote HOST PORT WAIT

It asks the master for its load (``chaos:load``, answered by ``MasterHub``: the load
config and the locustfile, the eval items inline), writes both to a folder of its own,
and becomes a Locust worker of that master. Its records then travel to the master
(``WorkerRecorder``), rebased to the master's clock, and its clock offset is written
there as it joins. Header values stay ``${ENV}`` references in what the master sends:
this process resolves them in its own environment. A locustfile that imports modules
beside it needs them on this machine too (on ``sys.path``).

Exits 1 with a one-line message if no master answers within WAIT seconds, or if the
master takes no remote workers; otherwise as Locust's worker does (0 when the master
quits).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any
from uuid import uuid4

import gevent  # type: ignore[import-untyped]
from locust.rpc import Message, zmqrpc

from chaos.load.config import CONFIG_ENV, LoadConfig
from chaos.rundir import RunDir

_ASK_EVERY = 1.0  # seconds between asks: the master may not be listening yet


def fetch_load(host: str, port: int, wait: float) -> dict[str, Any]:
    """The master's answer to ``chaos:load``; raises ``gevent.Timeout`` after ``wait`` seconds."""
    identity = f"{socket.gethostname()}_chaos_load_{uuid4().hex}"
    client = zmqrpc.Client(host, port, identity)  # type: ignore[no-untyped-call]

    def ask() -> None:
        while True:
            client.send(Message("chaos:load", None, identity))  # type: ignore[no-untyped-call]
            gevent.sleep(_ASK_EVERY)

    asker, receiver = gevent.spawn(ask), gevent.spawn(client.recv)
    try:
        answer: Message = receiver.get(timeout=wait)
    finally:
        gevent.killall([asker, receiver])  # before the socket closes under them
        client.close(linger=0)  # type: ignore[no-untyped-call]
    data: dict[str, Any] = answer.data
    return data


def prepare(offer: dict[str, Any], folder: Path) -> tuple[LoadConfig, Path]:
    """The offered config and locustfile written in ``folder``: the config read back (and
    so validated), and the locustfile's path."""
    config_file = RunDir(folder).load_config
    config_file.write_text(offer["config"], encoding="utf-8")
    config = LoadConfig.read(config_file)
    locustfile = folder / Path(offer["locustfile"]["name"]).name
    locustfile.write_text(offer["locustfile"]["contents"], encoding="utf-8")
    return config, locustfile


def main(argv: list[str]) -> None:
    host, port, wait = argv[0], int(argv[1]), float(argv[2])
    where = f"{host}:{port}"
    try:
        offer = fetch_load(host, port, wait)
    except gevent.Timeout:
        raise SystemExit(f"chaos worker: no chaos load master answered at {where} within {wait:g} s") from None
    if "error" in offer:
        raise SystemExit(f"chaos worker: the master at {where} refused: {offer['error']}")
    folder = Path(tempfile.mkdtemp(prefix="chaos-worker-"))
    atexit.register(shutil.rmtree, folder, True)
    config, locustfile = prepare(offer, folder)
    os.environ[CONFIG_ENV] = str(RunDir(folder).load_config)
    print(f"chaos worker: {config.run_id}: {config.shape.users} users in all at {config.host}", file=sys.stderr)
    sys.argv = [
        "locust",
        "--worker",
        "--master-host",
        host,
        "--master-port",
        str(port),
        "--locustfile",
        str(locustfile),
        "--loglevel",
        config.log_level,
    ]
    from locust.main import main as locust_main

    locust_main()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main(sys.argv[1:])
