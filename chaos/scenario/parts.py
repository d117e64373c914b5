"""A scenario read part by part, so that one bad part hides no problem of the others.

pydantic validates a ``Scenario`` whole: after one error there is no model left for the
checks that span several parts (``checks.py``). ``Parts`` is what those checks read
instead: each top-level part that is valid on its own, and of each collection (providers,
SLOs, faults, alerts, expectations, abort rules, budget rules) each item that is, under
the key or index it was written with. An unknown key is its own problem and is set aside here, so that a
typo does not hide the rest of its part. A name given to an invalid item is still a name:
a reference to it is not reported as dangling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from chaos.scenario.base import Environment
from chaos.scenario.budget import BudgetRule
from chaos.scenario.change import Change
from chaos.scenario.faults import Fault
from chaos.scenario.model import Load, Provider, Safety, Scenario, Stack, Target
from chaos.scenario.objectives import AbortRule, AlertRule, Expectation, Slo, infer_slis
from chaos.scenario.observe import Observe
from chaos.scenario.units import STRICT_UNITS


@dataclass(frozen=True)
class Parts:
    """The valid parts of a scenario; ``None`` where a part is not valid on its own."""

    environment: Environment | None
    target: Target | None
    stack: Stack | None
    safety: Safety | None
    load: Load | None
    providers: dict[str, Provider]
    faults: dict[int, Fault]
    slos: dict[str, Slo]
    alerts: dict[int, AlertRule]
    expect: dict[int, Expectation]
    abort: dict[int, AbortRule]
    change: Change | None
    observe: Observe | None
    budget: dict[int, BudgetRule]
    # Every name written, valid item or not; None where the collection cannot be read.
    provider_names: frozenset[str] | None
    fault_names: frozenset[str] | None
    slo_names: frozenset[str] | None

    @classmethod
    def of(cls, scenario: Scenario) -> Parts:
        """Every part of a valid scenario."""
        return cls(
            environment=scenario.environment,
            target=scenario.target,
            stack=scenario.stack,
            safety=scenario.safety,
            load=scenario.load,
            providers=dict(scenario.providers),
            faults=dict(enumerate(scenario.faults)),
            slos=dict(scenario.slos),
            alerts=dict(enumerate(scenario.alerts)),
            expect=dict(enumerate(scenario.expect)),
            abort=dict(enumerate(scenario.abort)),
            change=scenario.change,
            observe=scenario.observe,
            budget=dict(enumerate(scenario.budget)),
            provider_names=frozenset(scenario.providers),
            fault_names=frozenset(fault.name for fault in scenario.faults),
            slo_names=frozenset(scenario.slos),
        )

    @classmethod
    def salvage(cls, data: dict[str, Any]) -> Parts:
        """What of ``data``, a scenario that is not valid as a whole, is valid part by part."""
        data = {**data, "slos": infer_slis(data["slos"])} if "slos" in data else data
        return cls(
            environment=_part(data, "environment"),
            target=_part(data, "target"),
            stack=_part(data, "stack"),
            safety=_part(data, "safety"),
            load=_part(data, "load"),
            providers=_items(data, "providers"),
            faults=_items(data, "faults"),
            slos=_items(data, "slos"),
            alerts=_items(data, "alerts"),
            expect=_items(data, "expect"),
            abort=_items(data, "abort"),
            change=_part(data, "change"),
            observe=_part(data, "observe"),
            budget=_items(data, "budget"),
            provider_names=_keys(data, "providers"),
            fault_names=_fault_names(data),
            slo_names=_keys(data, "slos"),
        )


def _part(data: dict[str, Any], key: str) -> Any:
    field = Scenario.model_fields[key]
    if key not in data:
        return None if field.is_required() else field.get_default(call_default_factory=True)
    return _valid(_adapter(key), data[key])


def _items(data: dict[str, Any], key: str) -> dict[Any, Any]:
    adapter = _adapter(key)  # the collection's type, validating one item at a time
    written = data.get(key)
    items: dict[Any, Any] = {}
    if isinstance(written, dict):
        for name, value in written.items():
            valid = _valid(adapter, {name: value})
            if valid is not None:
                items.update(valid)
    elif isinstance(written, list):
        for index, value in enumerate(written):
            valid = _valid(adapter, [value])
            if valid is not None:
                items[index] = valid[0]
    return items


def _adapter(key: str) -> TypeAdapter[Any]:
    """The type of a scenario's field, without the field's bounds (``min_length``: they hold for the whole)."""
    annotation: Any = Scenario.model_fields[key].annotation
    return TypeAdapter(annotation)


def _valid(adapter: TypeAdapter[Any], value: Any) -> Any:
    try:
        return adapter.validate_python(value, context=STRICT_UNITS, extra="ignore")
    except ValidationError:
        return None


def _keys(data: dict[str, Any], key: str) -> frozenset[str] | None:
    written = data.get(key)
    return frozenset(str(name) for name in written) if isinstance(written, dict) else None


def _fault_names(data: dict[str, Any]) -> frozenset[str] | None:
    written = data.get("faults", [])
    if not isinstance(written, list):
        return None
    return frozenset(item["name"] for item in written if isinstance(item, dict) and isinstance(item.get("name"), str))
