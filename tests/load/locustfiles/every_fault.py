"""One user asks the tiny target for every failure kind once, streamed and not, then stops."""

from fault_plan import STREAMED, WHOLE  # Locust puts the locustfile's folder on sys.path
from locust import events, task
from locust.exception import StopUser

from chaos.load.runtime import LLMUser, LoadRuntime

runtime = LoadRuntime.from_environ()
runtime.install(events)


class EveryFault(LLMUser):
    abstract = True

    @task
    def each_once(self) -> None:
        for prompt, _ in STREAMED:
            self.chat_stream(prompt)
        for prompt, _ in WHOLE:
            self.chat(prompt)
        raise StopUser


EveryFaultUser = runtime.user_class(EveryFault, name="EveryFaultUser")
ScenarioShape = runtime.shape_class()
