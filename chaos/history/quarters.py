"""Calendar quarters in UTC, spelled ``2026Q4``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def quarter_of(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return f"{moment.year}Q{(moment.month - 1) // 3 + 1}"


def parse_quarter(text: str) -> tuple[int, int]:
    """``2026Q4`` -> ``(2026, 4)``; raises ``ValueError`` naming the form."""
    match = _QUARTER.match(text.strip())
    if not match:
        raise ValueError(f"expected a quarter like 2026Q4, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def shift(quarter: str, by: int) -> str:
    """The quarter ``by`` quarters after (negative: before) ``quarter``."""
    year, number = parse_quarter(quarter)
    index = year * 4 + number - 1 + by
    return f"{index // 4}Q{index % 4 + 1}"


def quarter_start(quarter: str) -> float:
    year, number = parse_quarter(quarter)
    return datetime(year, 3 * (number - 1) + 1, 1, tzinfo=UTC).timestamp()
