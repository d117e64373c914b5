"""The team's Prometheus alerting rules, read for what a run can and cannot show.

A rule's condition holds, in a chaos run, at most while a fault lasts plus the longest
range its expression reads (``rate(x[30s])`` keeps seeing a fault's errors 30 s after
its restore). Prometheus fires an alert once its condition held for its ``for:``; so a
rule whose ``for:`` outlasts the longest fault plus that range, or the load itself, can
never fire within the run. A burn-rate rule written ``> F * (1 - O)`` needs a bad ratio of
``F * (1 - O)``; above 1 (a factor over ``1 / (1 - O)``) no outage can reach it: the
scenario's own burn-rate math (DESIGN.md, "Alerts and response times").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from chaos.errors import ChaosError
from chaos.scenario.model import Scenario
from chaos.scenario.units import format_duration

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_RANGE = re.compile(r"\[\s*((?:\d+(?:ms|s|m|h|d|w|y))+)\s*(?::[^\]]*)?\]")
_BURN = re.compile(r">\s*\(?\s*(\d+(?:\.\d+)?)\s*\*\s*\(\s*1\s*-\s*(0?\.\d+|1)\s*\)")


@dataclass(frozen=True)
class AlertingRule:
    group: str
    alert: str
    expr: str
    for_s: float

    @property
    def longest_range_s(self) -> float:
        return max((prometheus_duration(match.group(1)) for match in _RANGE.finditer(self.expr)), default=0.0)

    @property
    def burn(self) -> tuple[float, float] | None:
        """(factor, objective) of a ``> F * (1 - O)`` threshold, if the expression has one."""
        match = _BURN.search(self.expr)
        return (float(match.group(1)), float(match.group(2))) if match else None


def prometheus_duration(text: str) -> float:
    """``1h30m`` -> 5400.0, as Prometheus writes durations."""
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text.strip():
        raise ValueError(f"{text!r} is not a Prometheus duration")
    return sum(int(number) * _UNIT_S[unit] for number, unit in parts)


def read_rules(path: Path) -> list[AlertingRule]:
    """The alerting rules of a Prometheus rules file (recording rules are skipped)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ChaosError(f"{path}: cannot read the rules file: {exc}") from None
    groups = document.get("groups") if isinstance(document, dict) else None
    if not isinstance(groups, list):
        raise ChaosError(f"{path}: a Prometheus rules file has groups: [...]")
    rules = []
    for index, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("rules"), list):
            raise ChaosError(f"{path}: groups[{index}]: a group has a name and rules: [...]")
        for number, rule in enumerate(group["rules"]):
            if not isinstance(rule, dict) or "alert" not in rule:
                continue
            try:
                for_s = prometheus_duration(str(rule.get("for", "0s")))
            except ValueError as exc:
                raise ChaosError(f"{path}: groups[{index}].rules[{number}].for: {exc}") from None
            rules.append(
                AlertingRule(str(group.get("name", index)), str(rule["alert"]), str(rule.get("expr", "")), for_s)
            )
    return rules


def why_never(rule: AlertingRule, scenario: Scenario) -> str | None:
    """Why ``rule`` can never fire in a run of ``scenario``, or None if it can."""
    if rule.burn is not None:
        factor, objective = rule.burn
        if factor * (1 - objective) > 1:
            return (
                f"it needs a burn rate of {factor:g}, and an objective of {objective:g} burns at most "
                f"{1 / (1 - objective):.3g}x (every request failing)"
            )
    load = scenario.load.duration
    if scenario.faults:
        longest = max(fault.end(load) - fault.at for fault in scenario.faults)
        if rule.for_s > longest + rule.longest_range_s:
            tail = f" and its {format_duration(rule.longest_range_s)} range" if rule.longest_range_s else ""
            return (
                f"its for: {format_duration(rule.for_s)} outlasts the longest fault ({format_duration(longest)}){tail}"
            )
    if rule.for_s >= load:
        return f"its for: {format_duration(rule.for_s)} is as long as the whole load ({format_duration(load)})"
    return None
