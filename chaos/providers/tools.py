"""Tool calls: when the mock calls a tool, and arguments that satisfy the tool's schema.

A provider calls a tool when the request offers tools and either forces one
(``tool_choice`` naming a tool, or ``required`` / ``any``) or the last user message names
one of them; otherwise it answers with text. After a tool result it always answers with
text, so that an agent loop ends. Arguments are built from the tool's JSON Schema:
every property (required or not) gets a value of its type, the first of an ``enum``, the
``const``, the ``default`` when one is given, and strings long enough for ``minLength``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chaos.providers.text import filler_tokens, seed_of

_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    schema: dict[str, Any]


def choose_tool(tools: Sequence[Tool], forced: str | None, any_tool: bool, last_user_text: str) -> Tool | None:
    """The tool to call, or None to answer with text."""
    if not tools:
        return None
    if forced is not None:
        return next((tool for tool in tools if tool.name == forced), None)
    if any_tool:
        return tools[0]
    mentioned = [(last_user_text.find(tool.name), tool) for tool in tools if tool.name in last_user_text]
    return min(mentioned, key=lambda item: item[0])[1] if mentioned else None


def tool_arguments(tool: Tool, prompt: str) -> str:
    """The call's arguments as a JSON text, deterministic for a prompt."""
    value = _value(tool.schema, seed_of(prompt + tool.name), 0)
    return json.dumps(value if isinstance(value, dict) else {}, separators=(",", ":"))


def _value(schema: Any, seed: int, depth: int) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return _value(options[0], seed, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    return _BY_TYPE.get(kind, _string)(schema, seed, depth)


def _object(schema: dict[str, Any], seed: int, depth: int) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    return {str(name): _value(sub, seed + index, depth + 1) for index, (name, sub) in enumerate(properties.items())}


def _array(schema: dict[str, Any], seed: int, depth: int) -> list[Any]:
    minimum = schema.get("minItems", 1)
    count = minimum if isinstance(minimum, int) and 0 <= minimum <= 16 else 1
    return [_value(schema.get("items", {}), seed + i, depth + 1) for i in range(count)]


def _string(schema: dict[str, Any], seed: int, depth: int) -> str:
    text = "".join(filler_tokens(seed, 3)[:-1])
    minimum = schema.get("minLength", 0)
    if isinstance(minimum, int) and len(text) < minimum:
        text = text.ljust(minimum, "x")
    maximum = schema.get("maxLength")
    return text[:maximum] if isinstance(maximum, int) and maximum >= 0 else text


def _number(schema: dict[str, Any], seed: int, depth: int) -> int:
    minimum = schema.get("minimum", schema.get("exclusiveMinimum"))
    if isinstance(minimum, int | float) and not isinstance(minimum, bool):
        return int(minimum) + 1
    return 1


_BY_TYPE: dict[str, Any] = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": _number,
    "number": _number,
    "boolean": lambda schema, seed, depth: True,
    "null": lambda schema, seed, depth: None,
}
