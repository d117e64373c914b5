"""Eval sets: prompts with a known answer, and the rule that judges an answer right.

A set is JSON Lines of ``{id, prompt, expected, match}`` (``scenarios/evals/README.md``):
``exact`` compares the whole answer, trimmed; ``contains`` looks for ``expected`` in it;
``regex`` is Python's ``re.search`` of ``expected``.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chaos.errors import ChaosError


class Match(StrEnum):
    EXACT = "exact"
    CONTAINS = "contains"
    REGEX = "regex"


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    expected: str
    match: Match = Match.CONTAINS

    @model_validator(mode="after")
    def _compiles(self) -> EvalItem:
        if self.match is Match.REGEX:
            try:
                re.compile(self.expected)
            except re.error as exc:
                raise ValueError(f"expected is not a valid regular expression: {exc}") from None
        return self

    def judge(self, answer: str) -> bool:
        """Whether ``answer`` is right by this item's match rule."""
        if self.match is Match.EXACT:
            return answer.strip() == self.expected.strip()
        if self.match is Match.CONTAINS:
            return self.expected in answer
        return re.search(self.expected, answer) is not None


def read_eval_set(path: Path) -> list[EvalItem]:
    """Every item of a JSONL eval set; a bad line is a ``ChaosError`` naming its line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ChaosError(f"cannot read the eval set {path}: {exc.strerror}") from None
    items: list[EvalItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = EvalItem.model_validate_json(line)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            raise ChaosError(f"{path}:{number}: {where + ': ' if where else ''}{error['msg']}") from None
        if item.id in seen:
            raise ChaosError(f'{path}:{number}: id "{item.id}" appears twice; ids must be unique')
        seen.add(item.id)
        items.append(item)
    if not items:
        raise ChaosError(f"{path}: the eval set is empty")
    return items
