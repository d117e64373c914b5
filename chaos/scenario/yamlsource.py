"""YAML read into plain data, remembering where every key and value stood.

PyYAML's composer gives nodes with marks; this module builds the data itself so that it
can (a) keep a line and column for every path, (b) resolve scalars the YAML 1.2 way
(``on``/``off``/``yes``/``no`` stay strings: ``flap: {on: 5s, off: 5s}`` means what it
says), and (c) refuse what a scenario never needs and an attacker might send: duplicate
keys, unknown tags, alias bombs, deep nesting, huge or binary files. ``read_mapping`` and
``parse_mapping`` give every YAML file the project reads (a scenario, a target file, a
providers file) its problems located in it, as a ``ScenarioError``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chaos.errors import Problem, ScenarioError, quote

MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64

Loc = tuple[str | int, ...]
Mark = tuple[int, int]  # 1-based line and column

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
_YAML = "tag:yaml.org,2002:"
_PLAIN = "tag:chaos,2026:plain"  # what an untagged scalar gets: resolved here, not by PyYAML
_STANDARD_TAGS = {_PLAIN, *(f"{_YAML}{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq"))}


class _Composer(yaml.SafeLoader):
    """Composes without PyYAML's YAML 1.1 implicit resolution, so that explicit tags show."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN
        return f"{_YAML}seq" if kind is yaml.SequenceNode else f"{_YAML}map"


class YamlProblem(Exception):
    """The text is not a YAML document this project reads."""

    def __init__(self, message: str, mark: Mark | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


@dataclass
class SourceMap:
    """Where each path's value (and, for mapping entries, its key) stood in the file."""

    values: dict[Loc, Mark] = field(default_factory=dict)
    keys: dict[Loc, Mark] = field(default_factory=dict)

    def value_mark(self, loc: Loc) -> Mark | None:
        """The mark of ``loc``'s value, or of its nearest ancestor that has one."""
        for end in range(len(loc), -1, -1):
            mark = self.values.get(loc[:end])
            if mark is not None:
                return mark
        return None


def read_text(path: Path) -> str:
    """Read a UTF-8 text file of at most ``MAX_BYTES``."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise YamlProblem("no such file") from None
    except IsADirectoryError:
        raise YamlProblem("is a directory, not a file") from None
    except OSError as exc:
        raise YamlProblem(f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise YamlProblem(f"larger than {MAX_BYTES // 1024} KiB; a scenario is a short text file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem("not UTF-8 text (a binary file?)", (line, 1)) from None


def parse_yaml(text: str) -> tuple[Any, SourceMap]:
    """One YAML document -> (data, where each path stood)."""
    try:
        node = yaml.compose(text, Loader=_Composer)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise YamlProblem(
            f"not valid YAML: the control character U+{code:04X} is not allowed", (line, column)
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else None
        raise YamlProblem(f"not valid YAML: {exc.problem or exc.context}", where) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise YamlProblem(f"nested too deeply (more than {MAX_DEPTH} levels)") from None
    if node is None:
        return None, SourceMap()
    builder = _Builder()
    data = builder.build(node, (), 0)
    return data, builder.source_map


def parse_value(text: str) -> Any:
    """A YAML value given on the command line (``--set load.duration=20s``)."""
    data, _ = parse_yaml(text)
    return data


def read_mapping(path: Path, what: str, empty_hint: str, keys_hint: str) -> tuple[str, dict[str, Any], SourceMap]:
    """A YAML file whose top level is a mapping; raises ``ScenarioError`` located in it."""
    text = read_located(path)
    data, source_map = parse_mapping(text, str(path), what, empty_hint, keys_hint)
    return text, data, source_map


def read_located(path: Path) -> str:
    """``read_text``, its problem located in the file as a ``ScenarioError``."""
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


def _mark(node: yaml.Node) -> Mark:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self) -> None:
        self.source_map = SourceMap()
        self.nodes = 0

    def build(self, node: yaml.Node, loc: Loc, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlProblem(f"more than {MAX_NODES:,} values (an alias bomb?)", _mark(node))
        if depth > MAX_DEPTH:
            raise YamlProblem(f"nested too deeply (more than {MAX_DEPTH} levels)", _mark(node))
        if node.tag not in _STANDARD_TAGS:
            raise YamlProblem(f"unsupported YAML tag {node.tag}", _mark(node))
        self.source_map.values.setdefault(loc, _mark(node))
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, index), depth + 1) for index, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc, depth)
        raise YamlProblem(f"unsupported YAML node {type(node).__name__}", _mark(node))

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and key_node.style is None:
                merged.update(self._merge_source(value_node, loc, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("a key must be a plain word, not a list or mapping", _mark(key_node))
            key = str(key_node.value)
            if key in result:
                raise YamlProblem(f"duplicate key {quote(key)}", _mark(key_node))
            self.source_map.keys[(*loc, key)] = _mark(key_node)
            result[key] = self.build(value_node, (*loc, key), depth + 1)
        return {**merged, **result}

    def _merge_source(self, node: yaml.Node, loc: Loc, depth: int) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            value = self.build(source, loc, depth + 1)
            if not isinstance(value, dict):
                raise YamlProblem("<< merges mappings only", _mark(source))
            merged = {**value, **merged}
        return merged


def _scalar(node: yaml.ScalarNode) -> Any:
    value: str = node.value
    if node.style in ("'", '"', "|", ">") or node.tag == f"{_YAML}str":
        return value
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        digits = value.lstrip("+-")
        if digits[:2] in ("0x", "0o"):
            return int(value, 0)
        # 0123 stays a string rather than guessing whether octal was meant.
        return value if len(digits) > 1 and digits.startswith("0") else int(value)
    if value.lower() in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[value.lower()]
    if _FLOAT.match(value):
        return float(value)
    return value
