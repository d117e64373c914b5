"""Request bodies read the way Go's ``encoding/json`` reads them into Toxiproxy's structs.

Only the first JSON value counts (trailing bytes are ignored), keys match their field
case-insensitively, unknown keys are ignored, ``null`` leaves a field as it was, and a
value of the wrong type is a 400 ``bad request body: json: cannot unmarshal ...``: also
a number too large for its Go type (an int64 attribute, a float32 toxicity such as
``1e309``), so that nothing infinite is stored or echoed, and ``NaN`` or ``Infinity``,
which are not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chaos.toxiproxy.server.errors import bad_body

INT64 = range(-(2**63), 2**63)
# Half a unit in the last place above float32's largest: Go's ParseFloat(s, 32) overflows from here.
FLOAT32_LIMIT = 3.4028235677973366e38
_GO_TYPES: dict[type, str] = {str: "string", bool: "bool", float: "float32", int: "int64", dict: "object"}

PROXY_FIELDS: dict[str, type] = {"name": str, "listen": str, "upstream": str, "enabled": bool}
TOXIC_FIELDS: dict[str, type] = {"name": str, "type": str, "stream": str, "toxicity": float, "attributes": dict}
TOXIC_UPDATE_FIELDS: dict[str, type] = {"attributes": dict, "toxicity": float}


def parse_body(raw: bytes) -> Any:
    """The first JSON value of ``raw``; an empty body is Go's ``EOF``."""
    text = raw.decode("utf-8", errors="replace").lstrip(" \t\r\n")
    if not text:
        raise bad_body("EOF")
    try:
        value, _ = json.JSONDecoder(parse_constant=_no_constant, parse_float=_Float).raw_decode(text)
    except json.JSONDecodeError as exc:
        raise bad_body(f"invalid JSON: {exc.msg} at offset {exc.pos}") from exc
    except (ValueError, RecursionError) as exc:
        raise bad_body(f"invalid JSON: {exc}") from exc
    return value


def struct_fields(body: Any, struct: str, fields: Mapping[str, type]) -> dict[str, Any]:
    """The fields of ``body`` that ``fields`` names, type-checked; ``struct`` names it in errors."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_body(f"json: cannot unmarshal {_json_kind(body)} into Go value of type {struct}")
    found: dict[str, Any] = {}
    by_lower = {name.lower(): name for name in fields}
    for key, value in body.items():
        name = by_lower.get(key.lower())
        if name is None or value is None:
            continue
        expected = fields[name]
        if not _fits(value, expected):
            raise bad_body(
                f"json: cannot unmarshal {_json_kind(value)} into Go struct field {struct}.{name} "
                f"of type {_GO_TYPES[expected]}"
            )
        found[name] = float(value) if expected is float else value
    return found


class _Float(float):
    """A JSON number with a fraction or an exponent, as written (Go's errors quote it so)."""

    literal: str

    def __new__(cls, literal: str) -> _Float:
        number = super().__new__(cls, literal)
        number.literal = literal
        return number


def list_of_objects(body: Any, struct: str) -> list[Any]:
    if body is None:
        return []
    if not isinstance(body, list):
        raise bad_body(f"json: cannot unmarshal {_json_kind(body)} into Go value of type []{struct}")
    return body


def _fits(value: Any, expected: type) -> bool:
    if expected is int:
        return type(value) is int and value in INT64
    if expected is float:  # Toxiproxy's floats are float32: a larger number does not parse
        return type(value) in (int, _Float) and abs(value) < FLOAT32_LIMIT
    return type(value) is expected


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, _Float):
        return f"number {value.literal}"
    if isinstance(value, int | float):
        return f"number {json.dumps(value)}"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _no_constant(name: str) -> Any:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")
