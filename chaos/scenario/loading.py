"""A scenario file -> a validated ``Scenario``, or every problem with its location.

Problems read ``file:line:column: path: message``. Type errors come from pydantic and
are located through the source map; checks that span several parts of the scenario
(``checks.py``) run on every part that is valid (``parts.py``), so both kinds are
reported at once. Overrides (``--set load.users=40``) apply to the data before
validation, so an overridden value is checked like a written one; a problem in a value
an override wrote is located at the override (``--set PATH=VALUE: path: message``), and
one an override caused elsewhere names it. A scale (``--scale 0.4``, ``scaling.py``)
applies to the valid scenario, whose cross-part checks then run again on the scaled
timeline, their problems located at ``--scale``.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from chaos.errors import Problem, ScenarioError, quote
from chaos.scenario.checks import check_scenario
from chaos.scenario.model import Scenario
from chaos.scenario.objectives import ABORT_KEYS, EXPECTATION_KEYS
from chaos.scenario.overlay import Override
from chaos.scenario.parts import Parts
from chaos.scenario.scaling import scale_scenario
from chaos.scenario.units import STRICT_UNITS
from chaos.scenario.yamlsource import Loc, SourceMap, YamlProblem, parse_value, parse_yaml, read_text

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
    return scenario_from_text(_read(path), path, overrides, scale)


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


def read_mapping(path: Path, what: str, empty_hint: str, keys_hint: str) -> tuple[str, dict[str, Any], SourceMap]:
    """A YAML file whose top level is a mapping; raises ``ScenarioError`` located in it."""
    text = _read(path)
    data, source_map = parse_mapping(text, str(path), what, empty_hint, keys_hint)
    return text, data, source_map


def _read(path: Path) -> str:
    try:
        return read_text(path)
    except YamlProblem as exc:
        line, column = exc.mark if exc.mark else (None, None)
        raise ScenarioError([Problem(str(path), line, column, "", exc.message)]) from None


def parse_mapping(
    text: str, source: str, what: str, empty_hint: str, keys_hint: str
) -> tuple[dict[str, Any], SourceMap]:
    """YAML text whose top level must be a mapping; problems located in ``source``."""
    try:
        data, source_map = parse_yaml(text)
    except YamlProblem as exc:
        line, column = exc.mark if exc.mark else (None, None)
        raise ScenarioError([Problem(source, line, column, "", exc.message)]) from None
    if data is None:
        raise ScenarioError([Problem(source, None, None, "", f"the file is empty; {what} {empty_hint}")])
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
        line, column = source_map.value_mark(()) or (1, 1)
        raise ScenarioError(
            [Problem(source, line, column, "", f"{what} is a mapping of keys ({keys_hint}), got {kind}")]
        )
    return data, source_map


def validate_model(model: type[_M], data: dict[str, Any], source_map: SourceMap, source: str) -> _M:
    """``data`` validated as ``model`` (units written as in a scenario), problems located in the file."""
    try:
        return model.model_validate(data, context=STRICT_UNITS)
    except ValidationError as exc:
        locator = _Locator(source, source_map, {}, root=model)
        raise ScenarioError(sorted(locator.from_pydantic(data, exc.errors()), key=_order)) from None


def validate(
    data: dict[str, Any], source_map: SourceMap, source: str, overridden: dict[Loc, Override], *, base_dir: Path
) -> Scenario:
    """``data`` as a ``Scenario``; raises ``ScenarioError`` with every problem, structural and cross-field."""
    locator = _Locator(source, source_map, overridden)
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


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][\w-]*$")


def format_loc(loc: Loc) -> str:
    """``("faults", 1, "network")`` -> ``faults[1].network``; odd keys are JSON-quoted."""
    text = ""
    for step in loc:
        if isinstance(step, int):
            text += f"[{step}]"
        elif not _PLAIN_KEY.fullmatch(step):
            text += f"[{quote(step)}]"
        else:
            text += f".{step}" if text else step
    return text


class _Locator:
    def __init__(
        self, source: str, source_map: SourceMap, overridden: dict[Loc, Override], root: type[BaseModel] = Scenario
    ) -> None:
        self.root = root
        self.source = source
        self.source_map = source_map
        self.overridden = overridden

    def at(self, loc: Loc, message: str, *, key: bool = False, because: tuple[Loc, ...] = ()) -> Problem:
        """The problem at ``loc``: located at the override that wrote that value, if one did;
        else in the file, naming every override it may come from (one that changed part of
        the value at ``loc``, or a value the problem is ``because`` of)."""
        writer = self._writer(loc)
        if writer is not None:
            return writer.problem(format_loc(loc), message)
        behind = [
            override
            for path, override in self.overridden.items()
            if _under(loc, path) or any(_under(path, cause) or _under(cause, path) for cause in because)
        ]
        if behind:
            message += "; with " + ", ".join(override.label for override in behind)
        mark = self.source_map.keys.get(loc) if key else None
        line, column = mark or self.source_map.value_mark(loc) or (None, None)
        return Problem(self.source, line, column, format_loc(loc), message)

    def _writer(self, loc: Loc) -> Override | None:
        """The override that wrote the value at ``loc``: one set at or above it, or one that
        made a mapping it lies in (their common part is not in the file)."""
        for path, override in self.overridden.items():
            common = _common(path, loc)
            if common == path or (common and common not in self.source_map.values):
                return override
        return None

    def from_pydantic(self, data: Any, errors: list[ErrorDetails]) -> list[Problem]:
        problems: list[Problem] = []
        seen: set[tuple[Loc, str]] = set()
        for error in errors:
            loc, missing = _real_path(data, tuple(error["loc"]), error["type"] == "missing")
            if error["type"] == "union_tag_invalid":
                loc = (*loc, str(error.get("ctx", {}).get("discriminator", "")).strip("'"))
            message = _message(error, loc, self.root)
            if (loc, message) in seen:
                continue
            seen.add((loc, message))
            if missing:
                problems.append(self.at(loc, message))
            else:
                problems.append(self.at(loc, message, key=error["type"] == "extra_forbidden"))
        return problems


def _common(a: Loc, b: Loc) -> Loc:
    length = 0
    while length < min(len(a), len(b)) and a[length] == b[length]:
        length += 1
    return a[:length]


def _under(outer: Loc, inner: Loc) -> bool:
    """Whether ``inner`` lies inside ``outer`` (or is it); the root holds everything and counts for nothing."""
    return bool(outer) and inner[: len(outer)] == outer


def _real_path(data: Any, loc: Loc, missing: bool) -> tuple[Loc, bool]:
    """Drop the union tags pydantic puts into ``loc``, keeping the steps that exist in data.

    Of the readings of ``loc`` as "descend or skip" at each step, the best descends into
    the most steps and, on a tie, descends at the last one (where the error is). Model
    paths are short; a long one (deep free-form data) is read greedily instead.
    """
    if len(loc) > _MAX_SEARCHED_LOC:
        return _greedy_path(data, loc, missing)
    best: tuple[tuple[int, int], Loc] = ((-1, -1), ())

    def walk(node: Any, index: int, path: Loc, last_descended: bool) -> None:
        nonlocal best
        if index == len(loc):
            score = (len(path), int(last_descended))
            if score > best[0]:
                best = (score, path)
            return
        step = loc[index]
        child = _child(node, step)
        if child is not _ABSENT:
            walk(child, index + 1, (*path, step), True)
        walk(node, index + 1, path, False)

    walk(data, 0, (), False)
    path = best[1]
    if missing and loc and loc[-1] not in _last_container_keys(data, path):
        return (*path, loc[-1]), True
    return path, False


_MAX_SEARCHED_LOC = 16
_ABSENT = object()


def _child(node: Any, step: str | int) -> Any:
    if isinstance(node, dict) and step in node:
        return node[step]
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return _ABSENT


def _greedy_path(data: Any, loc: Loc, missing: bool) -> tuple[Loc, bool]:
    node: Any = data
    path: Loc = ()
    for step in loc:
        child = _child(node, step)
        if child is not _ABSENT:
            node, path = child, (*path, step)
    if missing and loc and path[-1:] != loc[-1:]:
        return (*path, loc[-1]), True
    return path, False


def _last_container_keys(data: Any, path: Loc) -> set[Any]:
    node = data
    for step in path:
        node = node[step]
    return set(node) if isinstance(node, dict) else set()


_PREFIXES = ("Value error, ", "Assertion failed, ")
_KEYED_UNIONS = {"unknown_expectation": list(EXPECTATION_KEYS), "unknown_abort_rule": list(ABORT_KEYS)}


def _message(error: ErrorDetails, loc: Loc, root: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        suggestion = _suggest(key, _fields_at(root, tuple(error["loc"])[:-1]))
        return f"unknown key {quote(key)}" + (f' (did you mean "{suggestion}"?)' if suggestion else "")
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        tags = [tag.strip(" '") for tag in str(ctx.get("expected_tags", "")).split(",")]
        tag = str(ctx.get("tag", ""))
        suggestion = _suggest(tag, tags)
        hint = f' (did you mean "{suggestion}"?)' if suggestion else ""
        field = str(ctx.get("discriminator", "kind")).strip("'")
        return f"unknown {field} {quote(tag)}{hint}; one of: {', '.join(tags)}"
    if kind in _KEYED_UNIONS and isinstance(error.get("input"), dict):
        keys = list(error["input"])
        for key in keys:
            suggestion = _suggest(str(key), _KEYED_UNIONS[kind])
            if suggestion and suggestion not in keys:
                return f'unknown key {quote(str(key))} (did you mean "{suggestion}"?); {error["msg"]}'
    message = error["msg"]
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    if kind not in ("value_error", "assertion_error") and _is_scalar(error.get("input")):
        message += f", got {_show(error.get('input'))}"
    return message


def _suggest(key: str, fields: list[str] | None) -> str | None:
    if not fields:
        return None
    matches = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _show(value: Any) -> str:
    text = quote(value) if isinstance(value, str) else ("null" if value is None else repr(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _fields_at(model: Any, loc: Loc) -> list[str] | None:
    """The keys a model at ``loc`` (pydantic's loc, tags included) accepts."""
    node: Any = model
    for step in loc:
        node = _child_type(node, step)
        if node is None:
            return None
    models = [_unwrap(member) for member in _union_members(_unwrap(node)) if member is not type(None)]
    node = models[0] if len(models) == 1 else None
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [info.alias or name for name, info in node.model_fields.items()]
    return None


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _union_members(tp: Any) -> list[Any]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return list(typing.get_args(tp))
    return [tp]


def _child_type(tp: Any, step: str | int) -> Any:
    tp = _unwrap(tp)
    members = _union_members(tp)
    if len(members) > 1:
        for member in members:
            tags = [meta.tag for meta in getattr(member, "__metadata__", ()) if hasattr(meta, "tag")]
            if step in tags or _literal_tag(_unwrap(member), step):
                return member
        models = [m for m in members if m is not type(None)]
        return _child_type(models[0], step) if len(models) == 1 else None
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return typing.get_args(tp)[0] if isinstance(step, int) else None
    if origin is dict:
        return typing.get_args(tp)[1]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            if step in (name, info.alias):
                return info.annotation
    return None


def _literal_tag(model: Any, step: str | int) -> bool:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return False
    for info in model.model_fields.values():
        if typing.get_origin(info.annotation) is typing.Literal and step in typing.get_args(info.annotation):
            return True
    return False
