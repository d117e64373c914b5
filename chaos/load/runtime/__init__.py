"""The half of ``chaos.load`` that runs inside the Locust process (it imports Locust and gevent).

Never import it from the orchestrator: Locust patches the whole process with gevent.
A locustfile uses it as ``loadtests/chat.py`` does.
"""

from chaos.load.runtime.session import LoadRuntime
from chaos.load.runtime.users import ChatMixUser, LLMUser

__all__ = ["ChatMixUser", "LLMUser", "LoadRuntime"]
