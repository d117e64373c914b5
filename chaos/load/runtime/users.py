"""Locust users for LLM targets: streaming chat, chat, and evals, on the fast HTTP client.

``LLMUser`` is the base a locustfile builds on: ``chat()``, ``chat_stream()`` and
``ask_eval()`` each send one request and return its ``RequestEnded`` record.
``ChatMixUser`` sends the scenario's mix. Both are bound to a ``LoadRuntime`` by
``LoadRuntime.user_class``, which also sets the wait and the client's timeouts.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, ClassVar

from locust import task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

from chaos.evals import EvalCase
from chaos.kinds import RequestKind
from chaos.load.prompts import CHAT_PROMPTS
from chaos.load.runtime.exchange import exchange
from chaos.records import RequestEnded

if TYPE_CHECKING:
    from chaos.load.runtime.session import LoadRuntime


class LLMUser(FastHttpUser):
    abstract = True
    runtime: ClassVar[LoadRuntime]

    def chat(self, prompt: str | None = None) -> RequestEnded:
        return self._send(RequestKind.CHAT, prompt or random.choice(CHAT_PROMPTS))

    def chat_stream(self, prompt: str | None = None) -> RequestEnded:
        return self._send(RequestKind.CHAT_STREAM, prompt or random.choice(CHAT_PROMPTS))

    def ask_eval(self, item: EvalCase | None = None) -> RequestEnded:
        """An eval prompt (a random one of the set by default), its answer judged by its match rule."""
        item = item or random.choice(self.runtime.evals)
        return self._send(RequestKind.EVAL, item.prompt, item)

    def _send(self, kind: RequestKind, prompt: str, item: EvalCase | None = None) -> RequestEnded:
        if self.runtime.stopping:
            raise StopUser  # the load has stopped: no request starts after STOP
        return exchange(self, kind, prompt, item)


class ChatMixUser(LLMUser):
    """Each task is one request, its kind drawn from the scenario's mix."""

    abstract = True

    @task
    def one_request(self) -> None:
        kinds, weights = self.runtime.mix
        kind = random.choices(kinds, weights)[0]
        if kind is RequestKind.CHAT_STREAM:
            self.chat_stream()
        elif kind is RequestKind.CHAT:
            self.chat()
        else:
            self.ask_eval()
