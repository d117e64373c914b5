"""How long to wait before retrying the same provider.

Exponential backoff with "equal jitter" (half of ``base * 2**attempt``, capped, plus a
random part up to the other half): spread out like full jitter, but never close to zero,
which a provider would rightly read as an immediate retry. Never less than the
provider's ``retry-after``.
"""

from __future__ import annotations

import random


def retry_delay(attempt: int, *, base: float, cap: float, retry_after: float | None, rng: random.Random) -> float:
    """The wait before retry number ``attempt`` (0 = the first retry)."""
    ceiling = min(cap, base * 2**attempt)
    backoff: float = ceiling / 2 + rng.uniform(0, ceiling / 2)
    return max(backoff, retry_after) if retry_after is not None else backoff
