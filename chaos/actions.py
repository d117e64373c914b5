"""Action items: what a game day or a drill found to fix, one per failure, with an id that
survives from one exercise to the next.

An item's id is derived from the identity of the failure it comes from (``Failure``: its
kind, the scenario or plan it belongs to, and what failed in it), never from the run, so
the same failure found again in a later game day or drill gets the same id, and a list of
open items across exercises can tell a new failure from a recurring one. An item starts
``open`` with an owner placeholder for people to fill in.

Each exercise writes its items to ``ACTION_ITEMS_FILE`` in its own directory (a game
day's, a drill's), atomically; the drills' history indexes those files. This module is
the one place the file's name, its shape and the id rule are defined.
"""

from __future__ import annotations

import hashlib
import time
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chaos.atomic import write_atomically

ACTION_ITEMS_FILE = "action-items.json"
OWNER_PLACEHOLDER = "(owner: to be assigned)"


class FailureKind(StrEnum):
    """What failed, each named by the same words the verdict and the plans use."""

    SLO = "slo"  # an SLO failed in a segment (subject: "SLO in SEGMENT")
    EXPECTATION = "expectation"  # an expectation failed (subject: the expectation as written)
    RESPONSE = "response"  # a response time missed its target (subject: "MEASURE of FAULT")
    FINDING = "finding"  # a client finding (subject: the finding's kind)
    CHECKPOINT = "checkpoint"  # a game-day checkpoint late or missed (subject: the checkpoint's id)


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Failure(_Model):
    """The identity of a failure: the same three words in a later exercise are the same failure."""

    kind: FailureKind
    scope: str = Field(description="The scenario (slo, expectation, response, finding) or the plan (checkpoint).")
    subject: str = Field(description="What failed in it, e.g. 'availability in primary-503'.")

    @property
    def action_id(self) -> str:
        """``AI-`` and 10 hex digits of the SHA-256 of the identity: stable, short enough to say."""
        identity = "\x1f".join((self.kind.value, self.scope, self.subject))
        return "AI-" + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:10]

    @classmethod
    def slo(cls, scenario: str, slo: str, segment: str) -> Failure:
        return cls(kind=FailureKind.SLO, scope=scenario, subject=f"{slo} in {segment}")

    @classmethod
    def expectation(cls, scenario: str, written: str) -> Failure:
        return cls(kind=FailureKind.EXPECTATION, scope=scenario, subject=written)

    @classmethod
    def response(cls, scenario: str, measure: str, fault: str) -> Failure:
        return cls(kind=FailureKind.RESPONSE, scope=scenario, subject=f"{measure} of {fault}")

    @classmethod
    def finding(cls, scenario: str, finding: str) -> Failure:
        return cls(kind=FailureKind.FINDING, scope=scenario, subject=finding)

    @classmethod
    def checkpoint(cls, plan: str, checkpoint: str) -> Failure:
        return cls(kind=FailureKind.CHECKPOINT, scope=plan, subject=checkpoint)


class ActionItem(_Model):
    id: str = Field(description="Failure.action_id of ``failure``: the same failure, the same id.")
    title: str = Field(description="What to fix, in one line.")
    source: str = Field(description="Where it was found: the exercise's kind, name and directory.")
    failure: Failure
    detail: str = Field("", description="The figures that show the failure.")
    owner: str = OWNER_PLACEHOLDER
    status: ActionStatus = ActionStatus.OPEN

    @classmethod
    def of(cls, failure: Failure, title: str, source: str, detail: str = "") -> ActionItem:
        return cls(id=failure.action_id, title=title, source=source, failure=failure, detail=detail)


class ActionItems(_Model):
    """``ACTION_ITEMS_FILE``: the items one exercise found, in the order it found them."""

    schema_version: Literal[1] = 1
    source: str
    written_at: float
    items: list[ActionItem]


def unique(items: list[ActionItem]) -> list[ActionItem]:
    """The first item of each id: one failure seen twice in one exercise is one item."""
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            kept.append(item)
    return kept


def write_action_items(directory: Path, source: str, items: list[ActionItem]) -> Path:
    """``directory/ACTION_ITEMS_FILE``, written atomically (a reader never sees half of it)."""
    path = directory / ACTION_ITEMS_FILE
    document = ActionItems(source=source, written_at=time.time(), items=unique(items))
    return write_atomically(path, document.model_dump_json(indent=2))


def read_action_items(directory: Path) -> ActionItems | None:
    """The items an exercise wrote in ``directory``, or None if it wrote none; raises
    ``ValueError`` (pydantic's) on a file that is not one."""
    path = directory / ACTION_ITEMS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return ActionItems.model_validate_json(text)
