"""Eval sets: prompts with a known right answer, and the rule that judges an answer.

JSON Lines, one eval per line: ``{"id", "prompt", "expected", "match"}`` where ``match``
is ``exact`` (the whole answer, trimmed), ``contains`` (a substring) or ``regex``
(``re.search``). The mock providers answer them (rightly unless a quality fault says
otherwise), the load judges the target's answers, and the demo gateway's canaries judge
each provider's; all three read and judge with this module.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chaos.errors import ChaosError

MAX_EVAL_SET_BYTES = 8 * 1024 * 1024


class Match(StrEnum):
    EXACT = "exact"
    CONTAINS = "contains"
    REGEX = "regex"


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    expected: str
    match: Match = Match.EXACT

    @model_validator(mode="after")
    def _regex_compiles(self) -> EvalItem:
        if self.match is Match.REGEX:
            try:
                re.compile(self.expected)
            except re.error as exc:
                raise ValueError(f"expected is not a valid regular expression: {exc}") from None
        return self

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        return re.compile(self.expected)

    def judge(self, answer: str) -> bool:
        """Whether ``answer`` is right."""
        text = answer.strip()
        if self.match is Match.EXACT:
            return text == self.expected.strip()
        if self.match is Match.CONTAINS:
            return self.expected in text
        return self._pattern.search(text) is not None


class EvalSet:
    """The items of one eval set, findable by id and by prompt."""

    def __init__(self, items: list[EvalItem], source: str = "<memory>") -> None:
        self.items = items
        self.source = source
        self._by_id = {item.id: item for item in items}
        self._by_prompt = {item.prompt.strip(): item for item in items}

    def __len__(self) -> int:
        return len(self.items)

    def by_id(self, eval_id: str) -> EvalItem | None:
        return self._by_id.get(eval_id)

    def by_prompt(self, prompt: str) -> EvalItem | None:
        return self._by_prompt.get(prompt.strip())


def load_eval_set(path: Path) -> EvalSet:
    """Read a JSONL eval set; raises ``ChaosError`` naming the file and line of a bad item."""
    try:
        size = path.stat().st_size
        if size > MAX_EVAL_SET_BYTES:
            raise ChaosError(f"{path}: larger than {MAX_EVAL_SET_BYTES // (1024 * 1024)} MiB; an eval set is prompts")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ChaosError(f"{path}: no such eval set") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ChaosError(f"{path}: cannot read the eval set: {exc}") from None
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = EvalItem.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ChaosError(f"{path}:{number}:{exc.colno}: not a JSON object: {exc.msg}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            raise ChaosError(
                f"{path}:{number}: {where}: {message}" if where else f"{path}:{number}: {message}"
            ) from None
        if item.id in seen:
            raise ChaosError(f"{path}:{number}: id {item.id!r} already used on line {seen[item.id]}")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise ChaosError(f"{path}: the eval set has no items")
    return EvalSet(items, str(path))
