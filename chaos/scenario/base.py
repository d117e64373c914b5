"""The base every scenario model shares, and the closed sets several rooms use."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema

from chaos.errors import quote


class Strict(BaseModel):
    """Unknown keys are errors, models are immutable, aliases are what YAML spells, and a
    number is finite (``.inf`` and ``.nan`` are refused; each field states its range)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


# Ranges several models share: what one machine's load generator can drive.
MAX_USERS = 100_000
MAX_SPAWN_RATE = 10_000.0
MIN_SPAWN_RATE = 0.001
MAX_TOKENS = 100_000
MAX_TOKENS_PER_S = 1_000_000.0
MIN_TOKENS_PER_S = 0.001  # a token every 1000 s: slower is a hang (say hang:)


_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            f'{quote(value)} is not a name: use lower-case letters, digits, "-", "_" or "." '
            "(at most 64, starting with a letter or digit)"
        )
    return value


# Provider and fault names appear in segment names (``a+b``) and in metric labels; no
# fault may take a segment's own name (``chaos.segments.RESERVED_NAMES``).
Name = Annotated[str, AfterValidator(_check_name), WithJsonSchema({"type": "string", "pattern": _NAME.pattern})]


class Api(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"


class Environment(StrEnum):
    LOCAL = "local"
    STAGING = "staging"


class DegradedPolicy(StrEnum):
    """Whether a cached or canned answer counts as available."""

    GOOD = "good"
    BAD = "bad"


class Severity(StrEnum):
    PAGE = "page"
    TICKET = "ticket"
