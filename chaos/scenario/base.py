"""The base every scenario model shares, and the closed sets several rooms use."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class Strict(BaseModel):
    """Unknown keys are errors, models are immutable, aliases are what YAML spells."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# Provider and fault names appear in segment names (``a+b``) and in metric labels.
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)]

# Segment names that are not faults; no fault may take them.
RESERVED_NAMES = frozenset({"baseline", "recovery", "overall", "warmup", "settle", "grace"})


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
