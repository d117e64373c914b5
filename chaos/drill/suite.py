"""A drill suite (``gameday/drills/*.yaml``): scenarios to run, each with its targets.

A suite has a ``kind``: ``component`` suites are due every quarter, ``full`` suites once a
year (the last four quarters). Each entry names a library scenario (a path relative to the
suite file), the ``--set`` overrides it runs with, and the targets it is judged by beside
the scenario's own SLOs. A suite is validated like a scenario: every problem at once,
located (``file:line:column: path: message``), a problem inside a scenario located in
that scenario's file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from chaos import __version__
from chaos.errors import ChaosError, Problem, ScenarioError
from chaos.scenario.base import Name, Strict
from chaos.scenario.loading import ScenarioFile, load_scenario, validate_model
from chaos.scenario.overlay import Override
from chaos.scenario.units import Duration, Money, Percent
from chaos.scenario.yamlsource import parse_mapping, read_located

SUITE_SCHEMA_ID = "https://github.com/chaos-llm/chaos/drill-suite.schema.json"


class SuiteKind(StrEnum):
    COMPONENT = "component"  # quarterly
    FULL = "full"  # annual

    @property
    def every_quarters(self) -> int:
        """How many quarters may pass between two runs of its scenarios."""
        return 1 if self is SuiteKind.COMPONENT else 4


class Targets(Strict):
    """What the drill asks of one scenario's run; a target not written is not judged."""

    detect: Duration | None = Field(None, description="Longest time to detect (first page alert) of any fault.")
    mitigate: Duration | None = Field(
        None, description="Longest time to mitigate (availability back within objective while the fault is active)."
    )
    recover: Duration | None = Field(None, description="Longest time to recover after any fault's restore.")
    failed_requests: int | None = Field(
        None, ge=0, le=1_000_000_000, description="Most failed requests in the fault segments, pooled."
    )
    availability: Percent | None = Field(None, description="Least availability in the fault segments, pooled.")
    extra_cost: Money | None = Field(
        None,
        description="Most extra cost in USD: what the fault segments billed beyond the baseline's cost per request.",
    )

    @model_validator(mode="after")
    def _at_least_one(self) -> Targets:
        if not self.model_dump(exclude_none=True):
            raise ValueError("give at least one target (detect, mitigate, recover, failed_requests, ...)")
        return self


class Entry(Strict):
    scenario: str = Field(description="The scenario file, relative to the suite file.")
    name: Name | None = Field(None, description="What the history calls this entry (default: the scenario's name).")
    set: list[str] = Field(
        default_factory=list, description="Overrides applied to the scenario as --set does: PATH=VALUE."
    )
    targets: Targets


class Suite(Strict):
    version: Literal[1]
    name: Name
    kind: SuiteKind
    owner: str = Field(min_length=1, max_length=200, description="Who answers for this suite's results.")
    description: str = ""
    scenarios: list[Entry] = Field(min_length=1, max_length=100)


@dataclass(frozen=True)
class LoadedEntry:
    name: str
    index: int  # in the suite's scenarios
    entry: Entry
    scenario: ScenarioFile


@dataclass(frozen=True)
class SuiteFile:
    path: Path
    text: str
    suite: Suite
    entries: tuple[LoadedEntry, ...]


def load_suite(path: Path, overrides: Sequence[str | Override] = (), scale: float = 1.0) -> SuiteFile:
    """Read and validate a suite and every scenario it names (each with the entry's
    ``set:``, then ``overrides``, then ``scale``); raises ``ScenarioError`` with every problem."""
    return suite_from_text(read_located(path), path, overrides, scale)


def suite_from_text(text: str, path: Path, overrides: Sequence[str | Override] = (), scale: float = 1.0) -> SuiteFile:
    source = str(path)
    data, source_map = parse_mapping(text, source, "a drill suite", "starts with version: 1", "version, name, ...")
    suite = validate_model(Suite, data, source_map, source)
    problems: list[Problem] = []
    entries: list[LoadedEntry] = []
    names: dict[str, int] = {}
    for index, entry in enumerate(suite.scenarios):
        line, column = source_map.value_mark(("scenarios", index, "scenario")) or (None, None)
        scenario_path = path.parent / entry.scenario
        if not scenario_path.is_file():
            problems.append(Problem(source, line, column, f"scenarios[{index}].scenario", f"no file {scenario_path}"))
            continue
        located = [
            Override(text, source, *(source_map.value_mark(("scenarios", index, "set", j)) or (None, None)))
            for j, text in enumerate(entry.set)
        ]
        try:
            loaded = load_scenario(scenario_path, [*located, *overrides], scale)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        name = entry.name or loaded.scenario.name
        if name in names:
            line, column = source_map.value_mark(("scenarios", index)) or (None, None)
            message = f"{name} is already scenarios[{names[name]}]: give one a name:"
            problems.append(Problem(source, line, column, f"scenarios[{index}]", message))
            continue
        names[name] = index
        entries.append(LoadedEntry(name, index, entry, loaded))
    if problems:
        raise ScenarioError(problems, source=source)
    return SuiteFile(path=path, text=text, suite=suite, entries=tuple(entries))


def only(suite: SuiteFile, names: Sequence[str]) -> SuiteFile:
    """The suite with only the entries ``names`` (all when empty); raises ``ChaosError``
    naming the entries there are for a name that is not one of them."""
    unknown = [name for name in names if name not in {entry.name for entry in suite.entries}]
    if unknown:
        known = ", ".join(entry.name for entry in suite.entries)
        raise ChaosError(f"--only {', '.join(unknown)}: not in {suite.path} (its scenarios: {known})")
    if not names:
        return suite
    return replace(suite, entries=tuple(entry for entry in suite.entries if entry.name in names))


def suite_schema() -> dict[str, Any]:
    return {
        **Suite.model_json_schema(by_alias=True, mode="validation"),
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SUITE_SCHEMA_ID,
        "title": "chaos drill suite",
        "description": f"A DR drill suite (version 1), from chaos {__version__}.",
    }
