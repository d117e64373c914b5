"""Your own gateway under a library scenario: the target laid over the scenario, no copy.

A target file (the ``target:`` part of a scenario, and where it runs: ``environment:``,
``stack:``, ``safety:``) and the flags ``--target-start``, ``--target-url``,
``--target-api``, ``--provider-api`` and ``--served-by`` become ``--set`` overrides of those keys, applied
before validation like any other: an overridden value is checked like a written one, a
problem in the target file is located in it and a bad flag is named, and the journal
keeps the overrides beside the scenario as written, so a rebuild reads the same
scenario. Order: the scenario, then the target file, then the flags, then ``--set``.

A target given a start command is no longer reached at the scenario's URL, and the
other way round: giving one clears the other (unless both are given, which validation
refuses). ``served_by`` is replaced whole (it names exactly one source).
"""

from __future__ import annotations

import difflib
import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos.errors import ChaosError, Problem, ScenarioError, quote
from chaos.scenario.yamlsource import read_mapping

OVERLAY_KEYS = ("environment", "target", "stack", "safety")
SERVED_BY_FORMS = "header:NAME, json:FIELD (or field:FIELD) or ledger"


@dataclass(frozen=True)
class Override:
    """One ``PATH=VALUE`` as ``--set`` takes it, and where it came from (for problems)."""

    text: str
    source: str
    line: int | None = None
    column: int | None = None

    @property
    def label(self) -> str:
        """``--set load.users=3``, ``--target-api``, or ``gw.yaml:3:5``."""
        return self.problem("", "").where

    def problem(self, path: str, message: str) -> Problem:
        return Problem(self.source, self.line, self.column, path, message)


@dataclass(frozen=True)
class TargetOverlay:
    file: Path | None = None
    start: str | None = None
    url: str | None = None
    api: str | None = None
    provider_api: str | None = None
    served_by: str | None = None

    def overrides(self) -> list[Override]:
        """Every override, the target file's first; raises ``ScenarioError`` for a bad one."""
        found = list(file_overrides(self.file)) if self.file is not None else []
        found += self._flags()
        return _exclusive(found)

    def _flags(self) -> Iterator[Override]:
        if self.start is not None:
            try:
                argv = shlex.split(self.start)
            except ValueError as exc:
                raise ChaosError(f"--target-start {quote(self.start)}: {exc}") from None
            if not argv:
                raise ChaosError("--target-start is empty: give the command that starts your gateway")
            yield Override(_set("target.start", argv), "--target-start")
        if self.url is not None:
            yield Override(_set("target.url", self.url), "--target-url")
        if self.api is not None:
            yield Override(_set("target.api", self.api), "--target-api")
        if self.provider_api is not None:
            yield Override(_set("target.provider_api", self.provider_api), "--provider-api")
        if self.served_by is not None:
            yield Override(_set("target.served_by", parse_served_by(self.served_by)), "--served-by")


def parse_served_by(text: str) -> dict[str, Any]:
    """``header:x-served-by`` -> ``{header: x-served-by}``; ``json:model``, ``ledger``."""
    kind, sep, name = text.partition(":")
    if kind == "ledger" and not sep:
        return {"ledger": True}
    if kind == "header" and name:
        return {"header": name}
    if kind in ("json", "field") and name:
        return {"json": name}
    raise ChaosError(f"--served-by {quote(text)}: expected {SERVED_BY_FORMS}")


def file_overrides(path: Path) -> Iterator[Override]:
    """A target file's keys as overrides, each located where the file wrote it."""
    _, data, source_map = read_mapping(
        path, "a target file", "holds target: (and optionally environment:, stack:, safety:)", "target, ..."
    )
    problems = []
    for key in data:
        if key not in OVERLAY_KEYS:
            line, column = source_map.keys.get((key,)) or (None, None)
            close = difflib.get_close_matches(str(key), OVERLAY_KEYS, n=1, cutoff=0.6)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            message = f"unknown key {quote(str(key))}{hint}; a target file holds {', '.join(OVERLAY_KEYS)}"
            problems.append(Problem(str(path), line, column, str(key), message))
    for key in ("target", "stack", "safety"):
        if key in data and not isinstance(data[key], dict):
            line, column = source_map.value_mark((key,)) or (None, None)
            problems.append(Problem(str(path), line, column, key, f"{key} is a mapping of keys"))
    if problems:
        raise ScenarioError(problems)
    for key, value in data.items():
        entries = value.items() if isinstance(value, dict) else [(None, value)]
        for sub, item in entries:
            loc = (key,) if sub is None else (key, sub)
            line, column = source_map.value_mark(loc) or (None, None)
            yield Override(_set(".".join(map(str, loc)), item), str(path), line, column)


def _exclusive(overrides: list[Override]) -> list[Override]:
    """A start command clears the scenario's URL, and the other way round."""
    paths = {override.text.partition("=")[0] for override in overrides}
    extra = []
    for given, cleared in (("target.start", "target.url"), ("target.url", "target.start")):
        source = next((o for o in overrides if o.text.startswith(given + "=")), None)
        if source is not None and cleared not in paths:
            extra.append(Override(f"{cleared}=null", source.source, source.line, source.column))
    return extra + overrides


def _set(path: str, value: Any) -> str:
    return f"{path}={json.dumps(value)}"
