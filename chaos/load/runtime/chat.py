"""The built-in locustfile: streaming chat, chat and evals in the scenario's mix.

``chaos.load.launch`` runs it unless the scenario names a locustfile of its own. The
config comes from the file ``CHAOS_LOAD_CONFIG`` names. A locustfile of your own takes
the same four steps, with users built on ``chaos.load.runtime.LLMUser`` (``chat()``,
``chat_stream()``, ``ask_eval()``); ``loadtests/`` has examples.
"""

from locust import events

from chaos.load.runtime import ChatMixUser, LoadRuntime

runtime = LoadRuntime.from_environ()
runtime.install(events)
ChatUser = runtime.user_class(ChatMixUser)
ScenarioShape = runtime.shape_class()
