"""How long to wait before retrying the same provider.

Exponential backoff with full jitter (AWS's recommendation: a random wait between 0 and
``base * 2**attempt``, capped), and never less than the provider's ``retry-after``.
"""

from __future__ import annotations

import random


def retry_delay(attempt: int, *, base: float, cap: float, retry_after: float | None, rng: random.Random) -> float:
    """The wait before retry number ``attempt`` (0 = the first retry)."""
    backoff = rng.uniform(0, min(cap, base * 2**attempt))
    return max(backoff, retry_after) if retry_after is not None else backoff
