"""The built-in load (chaos.load's chat mix), with the benchmark's probe."""

import meter  # noqa: F401  (Locust puts this folder on sys.path; the probe installs itself)

from chaos.load.runtime.chat import ChatUser, ScenarioShape

__all__ = ["ChatUser", "ScenarioShape"]
