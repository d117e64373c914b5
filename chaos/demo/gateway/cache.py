"""An exact-match answer cache: the same conversation gets the last good answer.

Used only when every provider failed (a stale answer beats an error), and marked as
such (``x-degraded: cached``).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Any


def cache_key(messages: list[dict[str, Any]], max_tokens: int) -> str:
    canonical = json.dumps([messages, max_tokens], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class AnswerCache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._answers: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: str, answer: str) -> None:
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self._size:
            self._answers.popitem(last=False)
