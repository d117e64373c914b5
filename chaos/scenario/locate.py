"""Where a problem with a scenario lies, and what it says: pydantic's errors and the
cross-field checks' paths, turned into ``file:line:column: path: message``.

A path is found in the file through the source map (``yamlsource.py``), or at the
override that wrote its value (``--set``, a target file, a flag: ``overlay.py``); an
unknown key gets a "did you mean" from the keys its model accepts, and pydantic's union
tags and wording are taken out of the path and the message.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from chaos.errors import Problem, quote
from chaos.scenario.model import Scenario
from chaos.scenario.objectives import ABORT_KEYS, EXPECTATION_KEYS
from chaos.scenario.overlay import Override
from chaos.scenario.yamlsource import Loc, SourceMap

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


class Locator:
    """Turns paths into places: a line and column of the file, or the override that wrote the value."""

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
