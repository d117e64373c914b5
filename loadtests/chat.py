"""The chat mix as a locustfile a scenario can name (``load.locustfile: ../loadtests/chat.py``).

It is the built-in load (``chaos/load/runtime/chat.py``): streaming chat, non-streaming
chat and eval prompts from the scenario's eval set, in the scenario's mix, with answers
to evals judged against their expected value. Copy ``conversation.py`` to write your own.
"""

from chaos.load.runtime.chat import ChatUser, ScenarioShape

__all__ = ["ChatUser", "ScenarioShape"]
