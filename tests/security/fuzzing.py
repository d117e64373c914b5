"""What the numeric fuzz feeds and where: every numeric field of the scenario language, found
by walking its models, and scenarios that write each of them; hostile numbers, and strict
JSON to judge the answers by."""

from __future__ import annotations

import json
import math
import types
import typing
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from chaos.scenario.model import Scenario
from tests.run.harness import ROOT

EVALS = ROOT / "scenarios" / "evals" / "general.jsonl"
Path = tuple[str | int, ...]
Field = tuple[str, str]  # (model class, field name)

# Every model with a numeric field appears in one of these, with every such field written.
# Fields that exclude each other (stages or bursts, inter_token or tokens_per_s) are in
# different scenarios.
_COMMON: dict[str, Any] = {
    "version": 1,
    "name": "every-number",
    "target": {"start": ["python", "-m", "x"], "ready_timeout": "30s"},
    "providers": {
        "primary": {
            "api": "openai",
            "model": "m",
            "price": {"input": 1, "output": 2},
            "latency": {"ttft": "100ms", "jitter": "10ms", "tokens_per_s": 50},
            "quota": {"rpm": 600, "tpm": 100000, "window": "10s"},
        },
        "secondary": {"api": "anthropic", "model": "n", "price": {"input": "$1", "output": "2 USD"}},
    },
    "load": {
        "users": 10,
        "spawn_rate": 10,
        "duration": "100s",
        "warmup": "5s",
        "client_timeout": "10s",
        "stop_grace": "2s",
        "processes": 1,
        "max_tokens": 32,
        "wait": {"min": "10ms", "max": "20ms"},
        "mix": {"chat_stream": "60%", "chat": "30%", "eval": "10%"},
        "eval_set": str(EVALS),
    },
    "settle": "5s",
    "min_segment": "1s",
    "stack": {"lease_ttl": "30s"},
    "slos": {
        "availability": {"objective": "99%"},
        "slow": {"sli": "latency", "metric": "ttft", "percentile": 95, "max": "1s"},
        "eval_pass_rate": {"objective": "90%"},
        "cost_per_request": {"max": 0.05, "total_max": 10},
    },
    "alerts": [{"severity": "page", "factor": 5, "long": "30s", "short": "5s", "min_samples": 10}],
    "expect": [
        {"served_by": "secondary", "during": "a", "at_least": "50%", "at_most": "100%"},
        {"recovers_to": "primary", "within": "10s", "share": "90%"},
        {"retry_amplification": {"max": 2}},
        {"no_traffic_to": "primary", "during": "a", "after": "1s"},
        {"detect": "page", "slo": "availability", "during": "a", "within": "10s"},
        {"degraded_share": {"at_least": "0%", "at_most": "10%"}},
    ],
    "abort": [{"slo": "availability", "below": "50%", "over": "10s"}, {"max_cost_usd": 5}],
    "observe": {
        "traces": {"trace_coverage": {"min": "99%"}, "port": 4318},
        "metrics": {"interval": "1s", "expect": [{"metric": "requests_total", "agrees_with_load": "5%"}]},
    },
    "budget": [{"slo": "availability", "window": "7d", "burns": "50%", "then": "page", "min_requests": 10}],
    "capacity": {
        "from": 2,
        "by": 2,
        "to": 10,
        "step": "20s",
        "bursts": {"times": 1.5, "for": "5s", "base": "50%", "lead": "5s", "after": "10s"},
    },
}


def _faults(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    def fault(name: str, at: int, **kind: Any) -> dict[str, Any]:
        return {"name": name, "at": f"{at}s", "for": "10s", **kind}

    p = "primary"
    share = {"rate": "90%"}
    toxic = {"provider": p, "toxicity": "90%"}
    return [
        fault("a", 20, provider=p, http_error={"status": 503, "retry_after": "1s", **share}),
        fault("b", 20, provider=p, rate_limit={"rpm": 10, "tpm": 1000, "retry_after": "1s", **share}),
        fault("c", 30, provider=p, slow_first_token={"delay": "100ms", "jitter": "10ms", **share}),
        fault("d", 30, provider=p, stream_cut={"after_tokens": 3, **share}),
        fault("e", 40, provider=p, token_inflation={"factor": 2, **share}),
        fault("f", 40, provider=p, quality={"pass_rate": "50%", **share}),
        fault("g", 45, provider=p, hang=share),
        fault("h", 50, network={**toxic, "toxic": "latency", "latency": "100ms", "jitter": "10ms"}),
        fault("i", 50, network={**toxic, "toxic": "bandwidth", "rate": 100}),
        fault("j", 60, network={**toxic, "toxic": "slow_close", "delay": "10ms"}),
        fault("k", 60, network={**toxic, "toxic": "timeout", "timeout": "1s"}),
        fault("l", 70, network={**toxic, "toxic": "reset_peer", "timeout": "1s"}),
        fault("m", 70, network={**toxic, "toxic": "slicer", "average_size": 10, "size_variation": 2, "delay": "1ms"}),
        fault("n", 80, network={**toxic, "toxic": "limit_data", "bytes": 100}),
        *extra,
    ]


BASES: dict[str, dict[str, Any]] = {
    "stages": {
        **_COMMON,
        "load": {**_COMMON["load"], "shape": {"stages": [{"until": "50s", "users": 5, "spawn_rate": 5}]}},
        "faults": _faults(
            {
                "name": "s1",
                "at": "80s",
                "for": "10s",
                "provider": "secondary",
                "slow_tokens": {"inter_token": "10ms", "rate": "90%"},
                "schedule": {"flap": {"on": "2s", "off": "2s"}},
            },
            {
                "name": "s2",
                "at": "85s",
                "for": "10s",
                "provider": "secondary",
                "http_error": {"status": 500},
                "schedule": {"ramp": {"rate": ["10%", "90%"]}, "every": "1s"},
            },
        ),
    },
    "bursts": {
        **_COMMON,
        "load": {
            **_COMMON["load"],
            "shape": {"bursts": {"every": "20s", "for": "5s", "users": 20, "spawn_rate": 20}},
            "wait": {"every": "10s"},
        },
        "faults": _faults(
            {
                "name": "s1",
                "at": "80s",
                "for": "10s",
                "provider": "secondary",
                "slow_tokens": {"tokens_per_s": 5, "rate": "90%"},
            }
        ),
    },
}


# Model versions and a change plan: every number they hold, on a base of their own.
BASES["change"] = {
    **_COMMON,
    "providers": {
        **_COMMON["providers"],
        "primary": {
            **_COMMON["providers"]["primary"],
            "versions": {"v1": {}, "v2": {"eval_accuracy": "90%", "token_use": 1.5, "latency": {"ttft": "200ms"}}},
        },
    },
    "faults": [
        {
            "name": "a",
            "at": "20s",
            "for": "10s",
            "provider": "primary",
            "model_swap": {"version": "v2", "rate": "90%"},
        }
    ],
    "change": {
        "baseline": {"provider": "primary", "version": "v1"},
        "candidate": {"provider": "primary", "version": "v2"},
        "at": "10s",
        "steps": [{"share": "10%", "hold": "20s"}, {"share": "100%", "hold": "20s"}],
        "set_share": {"http": {"url": "/admin/canary?share={share}"}, "timeout": "5s"},
        "gates": {
            "alpha": "5%",
            "min_sample": 50,
            "eval_pass_rate": {"max_drop": "5%"},
            "ttft": {"max_slowdown": "100ms"},
            "cost_per_request": {"max_increase": "10%"},
            "recheck": "2s",
        },
        "expect": {"outcome": "rolled_back", "within": "5s"},
    },
}


def _unwrap(annotation: Any) -> list[Any]:
    """The types an annotation admits, through Optional, unions, Annotated and containers."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, dict):
        return [found for arg in typing.get_args(annotation) for found in _unwrap(arg)]
    return [annotation]


def _numeric(annotation: Any) -> bool:
    return any(kind in (int, float) for kind in _unwrap(annotation))


def numeric_fields(root: type[BaseModel] = Scenario) -> set[Field]:
    """Every (model, field) holding a number, in every model the root can contain."""
    found: set[Field] = set()
    todo, seen = [root], set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            if _numeric(info.annotation):
                found.add((model.__name__, name))
            todo += [
                kind for kind in _unwrap(info.annotation) if isinstance(kind, type) and issubclass(kind, BaseModel)
            ]
    return found


def numeric_paths(data: Any, model: BaseModel, path: Path = ()) -> Iterator[tuple[Path, Field]]:
    """Where ``data`` (a scenario as written) writes a number, and which field that is, by
    walking it beside the ``model`` it validated into."""
    if not isinstance(data, dict):
        return
    fields = {info.alias or name: name for name, info in type(model).model_fields.items()}
    for key, value in data.items():
        name = fields.get(key)
        if name is None:
            continue
        info = type(model).model_fields[name]
        if _numeric(info.annotation) and not isinstance(value, (dict, list)):
            yield (*path, key), (type(model).__name__, name)
            continue
        yield from _walk(value, getattr(model, name), (*path, key))


def _walk(value: Any, held: Any, path: Path) -> Iterator[tuple[Path, Field]]:
    if isinstance(held, BaseModel):
        yield from numeric_paths(value, held, path)
    elif isinstance(held, list) and isinstance(value, list):
        for index, (item, model) in enumerate(zip(value, held, strict=True)):
            yield from _walk(item, model, (*path, index))
    elif isinstance(held, dict) and isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, held.get(key), (*path, key))


def replace(data: Any, path: Path, value: Any) -> Any:
    """A copy of ``data`` with ``value`` at ``path``."""
    copy = json.loads(json.dumps(data))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


# Numbers an attacker or a slip of the finger writes: infinities, NaN, the extremes of a
# double and of an int64, beyond them, and spellings that overflow when parsed.
EXTREMES: list[Any] = [
    math.inf,
    -math.inf,
    math.nan,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    5e-324,
    1e-300,
    -1e-300,
    0,
    -1,
    2**63,
    2**63 - 1,
    -(2**63),
    10**30,
    10**400,
]
SPELLINGS: list[str] = [
    "9" * 400 + "s",
    "1" + "0" * 400 + "ms",
    "0." + "0" * 400 + "1us",
    "24h1ms",
    "1e999",
    "Infinity",
    "NaN",
    "inf%",
    "1e400%",
    "-0.0%",
    "$1e400",
    "1e400 USD",
    "-1s",
    "99999999999h",
]
hostile = st.one_of(
    st.sampled_from(EXTREMES),
    st.sampled_from(SPELLINGS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.builds(lambda number, unit: f"{number}{unit}", st.floats(min_value=0), st.sampled_from(["s", "ms", "%", ""])),
)

# A JSON number as an API body may spell it, beyond what json.dumps writes.
RAW_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e-999", "1" + "0" * 400, "1e39", "3.5e38"]
raw_number = st.one_of(
    st.sampled_from(RAW_NUMBERS),
    st.sampled_from(EXTREMES).map(json.dumps),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
)


def strict_json(text: str | bytes) -> Any:
    """``text`` as JSON, refusing NaN and Infinity; every number in it must be finite."""

    def refuse(literal: str) -> Any:
        raise ValueError(f"{literal} is not JSON")

    value = json.loads(text, parse_constant=refuse)
    assert all(math.isfinite(number) for number in _numbers(value)), text
    return value


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)
