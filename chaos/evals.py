"""Eval sets: prompts with a known right answer, and how an answer is judged.

An eval set is JSON Lines (``scenarios/evals/README.md``): ``id``, ``prompt``,
``expected``, ``match`` (exact | contains | regex) and, optionally, ``answer``: what a
correct provider says (default: ``expected``; required for ``regex``). The mock
providers answer a prompt of the set with its answer (or, under a ``quality`` fault, with
a wrong one); the load judges the target's answers and the demo gateway's canaries judge
each provider's, all with ``EvalCase.judge``: one reader and one judge for every room.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from chaos.errors import ChaosError
from chaos.scenario.base import Strict

MAX_EVAL_BYTES = 8 * 1024 * 1024
_WRONG_ANSWERS = ("I am not sure.", "I cannot answer that.", "Unknown.", "No idea, sorry!")


class Match(StrEnum):
    EXACT = "exact"
    CONTAINS = "contains"
    REGEX = "regex"


class EvalCase(Strict):
    id: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    expected: str
    match: Match
    answer: str | None = Field(None, description="What a correct provider answers (default: expected).")

    @model_validator(mode="after")
    def _answer_is_right(self) -> EvalCase:
        if self.match is Match.REGEX:
            try:
                re.compile(self.expected)
            except re.error as exc:
                raise ValueError(f"expected is not a valid regex: {exc}") from None
            if self.answer is None:
                raise ValueError("a regex eval needs answer: (what a correct provider says)")
        if not self.judge(self.right_answer):
            raise ValueError(f'answer "{self.right_answer}" does not pass its own match')
        return self

    @property
    def right_answer(self) -> str:
        return self.answer if self.answer is not None else self.expected

    def wrong_answer(self) -> str:
        """An answer that fails the match."""
        for text in _WRONG_ANSWERS:
            if not self.judge(text):
                return text
        return ""

    def judge(self, text: str) -> bool:
        if self.match is Match.EXACT:
            return text.strip() == self.expected.strip()
        if self.match is Match.CONTAINS:
            return self.expected in text
        return re.search(self.expected, text.strip()) is not None


class EvalSet:
    """Eval cases, findable by id and by prompt."""

    def __init__(self, cases: list[EvalCase]) -> None:
        self.cases = cases
        self._by_prompt = {case.prompt.strip(): case for case in cases}
        self._by_id = {case.id: case for case in cases}

    def __len__(self) -> int:
        return len(self.cases)

    def by_id(self, eval_id: str) -> EvalCase | None:
        return self._by_id.get(eval_id)

    def find(self, last_user_text: str) -> EvalCase | None:
        """The case whose prompt is the user's last message, or is quoted inside it."""
        case = self._by_prompt.get(last_user_text.strip())
        if case is not None or not last_user_text:
            return case
        return next((c for prompt, c in self._by_prompt.items() if prompt in last_user_text), None)


def load_eval_set(path: Path) -> EvalSet:
    """Read an eval set; raises ``ChaosError`` naming the file and line of each problem."""
    try:
        raw = path.read_bytes()[: MAX_EVAL_BYTES + 1]
    except OSError as exc:
        raise ChaosError(f"{path}: cannot read the eval set: {exc.strerror}") from None
    if len(raw) > MAX_EVAL_BYTES:
        raise ChaosError(f"{path}: larger than {MAX_EVAL_BYTES // 1024 // 1024} MiB; an eval set is JSON Lines")
    problems: list[str] = []
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = EvalCase.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: not a JSON object: {exc.msg}")
            continue
        except ValidationError as exc:
            problems.extend(
                f"{path}:{number}: {'.'.join(str(p) for p in error['loc']) or 'line'}: {error['msg']}"
                for error in exc.errors()
            )
            continue
        if case.id in seen:
            problems.append(f"{path}:{number}: id: duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    if problems:
        raise ChaosError("\n".join(problems))
    if not cases:
        raise ChaosError(f"{path}: the eval set has no cases")
    return EvalSet(cases)
