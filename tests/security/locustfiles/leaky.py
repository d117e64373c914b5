"""A careless locustfile: it logs the header it sends, and fails holding it."""

import logging

from locust import events, task

from chaos.load.runtime import LLMUser, LoadRuntime

runtime = LoadRuntime.from_environ()
runtime.install(events)
log = logging.getLogger("leaky")


class Leaky(LLMUser):
    abstract = True

    @task
    def leak(self) -> None:
        key = runtime.headers["Authorization"]
        log.warning("about to send %s", key)
        self.chat("hello")
        raise RuntimeError(f"the locustfile broke holding {key!r}")


LeakyUser = runtime.user_class(Leaky, name="LeakyUser")
ScenarioShape = runtime.shape_class()
