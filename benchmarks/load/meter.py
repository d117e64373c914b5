"""Requests and CPU time of one Locust process over a steady window (the load benchmark's probe).

Installed by both benchmark locustfiles: ``METER_WARMUP`` seconds after the test starts
it notes the time, the process's CPU time and Locust's request count, again
``METER_WINDOW`` seconds later, and writes both to the JSON file ``METER_OUT``. Start-up,
ramp-up and the stop stay out of the figures.
"""

import json
import os
import time
from typing import Any

import gevent
from locust import events
from locust.env import Environment


def _sample(environment: Environment) -> dict[str, float]:
    assert environment.runner is not None
    return {
        "wall": time.perf_counter(),
        "cpu": time.process_time(),
        "requests": environment.runner.stats.total.num_requests,
    }


def _measure(environment: Environment) -> None:
    gevent.sleep(float(os.environ["METER_WARMUP"]))
    first = _sample(environment)
    gevent.sleep(float(os.environ["METER_WINDOW"]))
    last = _sample(environment)
    with open(os.environ["METER_OUT"], "w") as out:
        json.dump({"first": first, "last": last}, out)


@events.test_start.add_listener
def _start(environment: Environment, **_: Any) -> None:
    gevent.spawn(_measure, environment)
