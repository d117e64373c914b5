from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.load.helpers import EVALS
from tests.load.target import Settings, TargetServer, eval_answers


@pytest.fixture
def target() -> Iterator[TargetServer]:
    """The tiny OpenAI/Anthropic target: 20 ms to the first token, eval prompts answered right."""
    with TargetServer(Settings(answers=eval_answers(EVALS))) as server:
        yield server
