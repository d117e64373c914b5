"""The JSON Schema of game-day plans, as editors and linters read it (``gameday.schema.json``)."""

from __future__ import annotations

from typing import Any

from chaos import __version__
from chaos.gameday.plan import Plan

SCHEMA_ID = "https://github.com/chaos-llm/chaos/gameday.schema.json"


def plan_schema() -> dict[str, Any]:
    schema = Plan.model_json_schema(by_alias=True, mode="validation")
    return {
        **schema,
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "chaos game-day plan",
        "description": f"A game-day plan (language version 1), from chaos {__version__}.",
    }
