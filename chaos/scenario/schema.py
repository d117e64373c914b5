"""The JSON Schema of the scenario language, as editors and linters read it."""

from __future__ import annotations

from typing import Any

from chaos import __version__
from chaos.scenario.model import Scenario
from chaos.scenario.objectives import LATENCY_NAME

SCHEMA_ID = "https://github.com/chaos-llm/chaos/scenario.schema.json"


def scenario_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    # ``sli`` is inferred from an SLO's name (availability, ttft_p95, ...), so a file
    # need not write it; nor the metric and percentile a latency SLO's name carries.
    for definition in schema.get("$defs", {}).values():
        properties = definition.get("properties", {})
        if "sli" in properties and "required" in definition:
            inferred = {"sli", "metric", "percentile"}
            definition["required"] = [name for name in definition["required"] if name not in inferred]
    # Names that say what they measure get that SLO's schema; any other name must say sli:.
    slos = schema["properties"]["slos"]
    members = slos["additionalProperties"].pop("oneOf")
    slos["properties"] = {
        "availability": {"$ref": "#/$defs/AvailabilitySlo"},
        "eval_pass_rate": {"$ref": "#/$defs/EvalPassRateSlo"},
        "cost_per_request": {"$ref": "#/$defs/CostSlo"},
    }
    slos["patternProperties"] = {LATENCY_NAME.pattern: {"$ref": "#/$defs/LatencySlo"}}
    slos["additionalProperties"] = {"anyOf": [{**member, "required": ["sli"]} for member in members]}
    return {
        **schema,
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "chaos scenario",
        "description": f"A chaos scenario (language version 1), from chaos {__version__}.",
    }
