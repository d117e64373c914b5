"""An example of a locustfile of your own: a user who streams a question, then checks a fact.

Any ``LLMUser`` method (``chat()``, ``chat_stream()``, ``ask_eval()``) sends one request,
records it (sent and ended, with TTFT, ITL, who served, eval pass) and returns its
``RequestEnded``; the shape, the stop and the records file come from the runtime.
"""

from locust import events, task

from chaos.load.runtime import LLMUser, LoadRuntime

runtime = LoadRuntime.from_environ()
runtime.install(events)


class Conversation(LLMUser):
    abstract = True

    @task
    def ask_then_check(self) -> None:
        answer = self.chat_stream("Explain what a circuit breaker does in a gateway, briefly.")
        if answer.error_kind is None and self.runtime.evals:
            self.ask_eval()


ConversationUser = runtime.user_class(Conversation, name="ConversationUser")
ScenarioShape = runtime.shape_class()
