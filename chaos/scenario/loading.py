"""A scenario file -> a validated ``Scenario``, or every problem with its location.

Problems read ``file:line:column: path: message`` (``locate.py`` finds the place). Type
errors come from pydantic; checks that span several parts of the scenario
(``checks.py``) run on every part that is valid (``parts.py``), so both kinds are
reported at once. Overrides (``--set load.users=40``) apply to the data before
validation, so an overridden value is checked like a written one; a problem in a value
an override wrote is located at the override (``--set PATH=VALUE: path: message``), and
one an override caused elsewhere names it. A scale (``--scale 0.4``, ``scaling.py``)
applies to the valid scenario, whose cross-part checks then run again on the scaled
timeline, their problems located at ``--scale``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chaos.errors import Problem, ScenarioError, quote
from chaos.scenario.checks import check_scenario
from chaos.scenario.locate import Locator, format_loc
from chaos.scenario.model import Scenario
from chaos.scenario.overlay import Override
from chaos.scenario.parts import Parts
from chaos.scenario.scaling import scale_scenario
from chaos.scenario.units import STRICT_UNITS
from chaos.scenario.yamlsource import Loc, SourceMap, YamlProblem, parse_mapping, parse_value, read_located

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class ScenarioFile:
    """A validated scenario with the text it was written as and where it lives."""

    path: Path
    text: str
    scenario: Scenario
    overrides: tuple[str, ...] = ()
    scale: float = 1.0

    def resolve(self, relative: Path) -> Path:
        """Paths in a scenario are relative to the scenario file's folder."""
        return relative if relative.is_absolute() else self.path.parent / relative


def load_scenario(path: Path, overrides: Sequence[str | Override] = (), scale: float = 1.0) -> ScenarioFile:
    """Read, parse, override (in order), validate and scale; raises ``ScenarioError`` with
    every problem. An override is ``--set``'s ``PATH=VALUE``, or an ``Override`` that says
    where it came from (a target file, a flag: ``chaos.scenario.overlay``)."""
    return scenario_from_text(read_located(path), path, overrides, scale)


def scenario_from_text(
    text: str, path: Path, overrides: Sequence[str | Override] = (), scale: float = 1.0
) -> ScenarioFile:
    """Validate ``text`` as if read from ``path`` (its folder anchors relative paths)."""
    source = str(path)
    data, source_map = parse_mapping(text, source, "a scenario", "starts with version: 1", "version, name, ...")
    located = [Override(o, f"--set {o}") if isinstance(o, str) else o for o in overrides]
    data, overridden = apply_overrides(data, located, source)
    scenario = validate(data, source_map, source, overridden, base_dir=path.parent)
    if scale != 1:
        scenario = scale_scenario(scenario, scale)
        where = f"--scale {scale:g}"
        problems = [
            Problem(where, None, None, format_loc(issue.loc), issue.message)
            for issue in check_scenario(Parts.of(scenario), path.parent)
        ]
        if problems:
            raise ScenarioError(problems, source=source)
    texts = tuple(override.text for override in located)
    return ScenarioFile(path=path, text=text, scenario=scenario, overrides=texts, scale=scale)


def validate_model(model: type[_M], data: dict[str, Any], source_map: SourceMap, source: str) -> _M:
    """``data`` validated as ``model`` (units written as in a scenario), problems located in the file."""
    try:
        return model.model_validate(data, context=STRICT_UNITS)
    except ValidationError as exc:
        locator = Locator(source, source_map, {}, root=model)
        raise ScenarioError(sorted(locator.from_pydantic(data, exc.errors()), key=_order)) from None


def validate(
    data: dict[str, Any], source_map: SourceMap, source: str, overridden: dict[Loc, Override], *, base_dir: Path
) -> Scenario:
    """``data`` as a ``Scenario``; raises ``ScenarioError`` with every problem, structural and cross-field."""
    locator = Locator(source, source_map, overridden)
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data, context=STRICT_UNITS)
    except ValidationError as exc:
        problems = locator.from_pydantic(data, exc.errors())
        parts = Parts.salvage(data)  # the cross-field checks still run on every part that is valid
    else:
        problems, parts = [], Parts.of(scenario)
    problems += [
        locator.at(issue.loc, issue.message, because=issue.because) for issue in check_scenario(parts, base_dir)
    ]
    if scenario is None or problems:
        raise ScenarioError(sorted(problems, key=_order), source=source)
    return scenario


_SET_PATH = re.compile(r"^[A-Za-z_][\w-]*(?:\[\d+\])*(?:\.[A-Za-z_][\w-]*(?:\[\d+\])*)*$")


def apply_overrides(
    data: dict[str, Any], overrides: Iterable[Override], source: str
) -> tuple[dict[str, Any], dict[Loc, Override]]:
    """``load.duration=20s`` or ``faults[0].at=5s`` set into a copy of ``data``."""
    problems: list[Problem] = []
    overridden: dict[Loc, Override] = {}
    for override in overrides:
        path, sep, raw = override.text.partition("=")
        if not sep or not _SET_PATH.match(path):
            problems.append(Problem("--set", None, None, override.text, "expected PATH=VALUE, e.g. load.duration=20s"))
            continue
        loc: Loc = tuple(
            int(part) if part.isdigit() else part for part in re.split(r"\.|\[|\]", path.replace("]", "")) if part
        )
        try:
            value = parse_value(raw)
            data = _set_in(data, loc, value)
        except (YamlProblem, _PathError) as exc:
            problems.append(override.problem(path, str(exc)))
            continue
        overridden[loc] = override
    if problems:
        raise ScenarioError(problems, source=source)
    return data, overridden


class _PathError(Exception):
    pass


def _set_in(node: Any, loc: Loc, value: Any) -> Any:
    if not loc:
        return value
    head, rest = loc[0], loc[1:]
    if isinstance(head, int):
        if not isinstance(node, list) or not 0 <= head < len(node):
            raise _PathError(f"no item [{head}] to set")
        copy = list(node)
        copy[head] = _set_in(node[head], rest, value)
        return copy
    if node is None:
        node = {}
    if not isinstance(node, dict):
        raise _PathError(f"cannot set key {quote(head)} inside a {type(node).__name__}")
    return {**node, head: _set_in(node.get(head), rest, value)}


def _order(problem: Problem) -> tuple[int, int, str]:
    return problem.line or 0, problem.column or 0, problem.path
