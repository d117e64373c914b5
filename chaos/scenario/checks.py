"""Checks that span several parts of a scenario, run once every part has the right type.

Each check yields ``(path, message)``; the loader turns paths into file locations. They
cover what pydantic cannot see from one model: names that must resolve (providers,
faults, segments, SLOs), fault windows inside the load, what staging and local require,
schedules whose parameters belong to their fault, and files that must exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from chaos.errors import quote
from chaos.records import RequestKind
from chaos.scenario import contract
from chaos.scenario.base import Environment
from chaos.scenario.faults import Container, Down, Fault, FaultKind, Schedule
from chaos.scenario.model import Scenario
from chaos.scenario.objectives import (
    CostSlo,
    DetectExpectation,
    EvalPassRateSlo,
    NoTrafficToExpectation,
    RecoversToExpectation,
    ServedByExpectation,
    SloBelowRule,
)
from chaos.scenario.units import STRICT_UNITS, format_duration, parse_duration
from chaos.scenario.yamlsource import Loc
from chaos.segments import BASELINE, JOINED_BY, OVERALL, RECOVERY, RESERVED_NAMES

Issue = tuple[Loc, str]

_SERVED_BY_EXTRA = ("degraded",)


def check_scenario(scenario: Scenario, base_dir: Path) -> list[Issue]:
    checks = (
        _environment,
        _placeholders,
        _faults,
        _references,
        _objectives,
        lambda s: _files(s, base_dir),
    )
    return [issue for check in checks for issue in check(scenario)]


def _environment(scenario: Scenario) -> Iterator[Issue]:
    target, stack = scenario.target, scenario.stack
    if scenario.environment is Environment.STAGING:
        if target.start is not None:
            yield ("target", "start"), "staging starts nothing: remove start and give the target's url"
        if target.url is None:
            yield ("target",), "staging needs target.url (where the system under test listens)"
        if stack.toxiproxy is None:
            yield ("stack",), "staging needs stack.toxiproxy (the Toxiproxy API URL)"
        if stack.providers_admin is None:
            yield ("stack",), "staging needs stack.providers_admin (the mock providers' admin API URL)"
    else:
        if target.start is None and target.url is None:
            yield ("target",), "give target.start (a command the run starts) or target.url (an app already running)"
        if target.start is not None and target.url is not None:
            yield ("target", "url"), "give start or url, not both: a started target listens on CHAOS_TARGET_PORT"
    for loc, url in _urls(scenario):
        if url.startswith("${"):
            continue  # a whole URL from the environment: checked once resolved, before the run connects
        host = _host(url)
        if host is None:
            yield loc, f"{quote(url)} is not an http(s) URL"
        elif "${" not in host and host not in scenario.safety.allowed_hosts:
            allowed = ", ".join(scenario.safety.allowed_hosts)
            yield loc, f"host {quote(host)} is not in safety.allowed_hosts ({allowed})"


def _placeholders(scenario: Scenario) -> Iterator[Issue]:
    """``{port}``, ``{provider.NAME.url}``, ... in the start command and the target's env."""
    names = contract.available(scenario)
    for index, arg in enumerate(scenario.target.start or []):
        for message in contract.check_placeholders(arg, names):
            yield ("target", "start", index), message
    for key, value in scenario.target.env.items():
        for message in contract.check_placeholders(value, names):
            yield ("target", "env", key), message


def _urls(scenario: Scenario) -> Iterator[tuple[Loc, str]]:
    if scenario.target.url is not None:
        yield ("target", "url"), scenario.target.url
    for key in ("toxiproxy", "providers_admin"):
        url = getattr(scenario.stack, key)
        if url is not None:
            yield ("stack", key), url


def _host(url: str) -> str | None:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("http", "https"):
        return None
    authority = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if authority.startswith("["):
        return authority[1 : authority.find("]")] if "]" in authority else None
    return authority.split(":", 1)[0] or None


def _faults(scenario: Scenario) -> Iterator[Issue]:
    load = scenario.load
    seen: dict[str, int] = {}
    for index, fault in enumerate(scenario.faults):
        loc: Loc = ("faults", index)
        if fault.name in seen:
            yield (
                (*loc, "name"),
                f'"{fault.name}" is already the name of faults[{seen[fault.name]}]; names must be unique',
            )
        seen.setdefault(fault.name, index)
        if fault.name in RESERVED_NAMES:
            yield (*loc, "name"), f'"{fault.name}" names a segment; choose another fault name'
        if fault.at >= load.duration:
            yield (
                (*loc, "at"),
                f"starts at {format_duration(fault.at)}, after the load ends ({format_duration(load.duration)})",
            )
        elif fault.duration is not None and fault.at + fault.duration > load.duration:
            end = format_duration(fault.at + fault.duration)
            yield (*loc, "for"), f"ends at {end}, after the load ends ({format_duration(load.duration)})"
        if fault.at < load.judged_from:
            yield (
                (*loc, "at"),
                (
                    f"starts at {format_duration(fault.at)}, inside the warm-up "
                    f"(until {format_duration(load.judged_from)}: "
                    "ramp-up plus load.warmup); faults start after a baseline is measured"
                ),
            )
        if fault.schedule is not None:
            yield from _schedule(fault, fault.schedule, (*loc, "schedule"))


def _schedule(fault: Fault, schedule: Schedule, loc: Loc) -> Iterator[Issue]:
    spec = fault.spec
    what = f"the {fault.network.toxic} toxic" if fault.network is not None else fault.kind.value
    if isinstance(spec, Down | Container):
        yield loc, f"{what} has no setting to change over time; use separate faults"
        return
    if schedule.flap is not None:
        return
    params = [name for name in type(spec).model_fields if name not in ("toxic", "provider", "scope")]
    for param, (first, last) in (schedule.ramp or {}).items():
        if param not in params:
            yield (*loc, "ramp", param), _not_a_setting(param, what, params)
            continue
        for position, value in enumerate((first, last)):
            yield from _setting(spec, params, what, {param: value}, (*loc, "ramp", param, position))
    for index, step in enumerate(schedule.steps or []):
        step_loc: Loc = (*loc, "steps", index)
        settings = {key: value for key, value in step.items() if key != "at"}
        if "at" not in step:
            yield step_loc, "a step needs at: (its offset into the fault's window)"
        else:
            try:
                offset = parse_duration(step["at"])
            except ValueError as exc:
                yield (*step_loc, "at"), str(exc)
            else:
                if fault.duration is not None and offset >= fault.duration:
                    yield (*step_loc, "at"), "lies outside the fault's window (at must be less than for)"
        if not settings:
            yield step_loc, f"a step sets at least one of: {', '.join(params)}"
        for key, value in settings.items():
            yield from _setting(spec, params, what, {key: value}, (*step_loc, key))


def _setting(spec: BaseModel, params: list[str], what: str, update: dict[str, Any], loc: Loc) -> Iterator[Issue]:
    (param,) = update
    if param not in params:
        yield loc, _not_a_setting(param, what, params)
        return
    data = spec.model_dump(by_alias=True, exclude_none=True) | update
    try:
        type(spec).model_validate(data, context=STRICT_UNITS)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        yield loc, message


def _not_a_setting(param: str, what: str, params: list[str]) -> str:
    return f"{quote(param)} is not a setting of {what} (settings: {', '.join(params)})"


def segment_names(scenario: Scenario) -> set[str]:
    """Names ``during:`` may use: overall, baseline, recovery, a fault, or faults joined by +."""
    return {OVERALL, BASELINE, RECOVERY, *(fault.name for fault in scenario.faults)}


def _during(scenario: Scenario, value: str, loc: Loc) -> Iterator[Issue]:
    known = segment_names(scenario)
    for part in value.split(JOINED_BY):
        if part not in known:
            yield loc, f"{quote(part)} is not a fault or segment (known: {', '.join(sorted(known))})"


def _references(scenario: Scenario) -> Iterator[Issue]:
    providers = set(scenario.providers)
    for index, fault in enumerate(scenario.faults):
        target = fault.target_provider
        if target is not None and target not in providers:
            where = ("network", "provider") if fault.kind is FaultKind.NETWORK else ("provider",)
            yield ("faults", index, *where), _unknown("provider", target, providers)
    for value, provider in scenario.target.served_by.map.items():
        if provider not in providers:
            yield ("target", "served_by", "map", value), _unknown("provider", provider, providers)
    faults = {fault.name for fault in scenario.faults}
    for index, expectation in enumerate(scenario.expect):
        loc: Loc = ("expect", index)
        during = getattr(expectation, "during", None)
        if during is not None:
            yield from _during(scenario, during, (*loc, "during"))
        if isinstance(expectation, ServedByExpectation):
            if expectation.served_by not in providers | set(_SERVED_BY_EXTRA):
                yield (
                    (*loc, "served_by"),
                    _unknown("provider", expectation.served_by, providers | set(_SERVED_BY_EXTRA)),
                )
        elif isinstance(expectation, RecoversToExpectation):
            if expectation.recovers_to not in providers:
                yield (*loc, "recovers_to"), _unknown("provider", expectation.recovers_to, providers)
            if expectation.after is not None and expectation.after not in faults:
                yield (*loc, "after"), _unknown("fault", expectation.after, faults)
            if not scenario.faults:
                yield loc, "recovers_to needs a fault to recover from"
        elif isinstance(expectation, NoTrafficToExpectation):
            if expectation.no_traffic_to not in providers:
                yield (*loc, "no_traffic_to"), _unknown("provider", expectation.no_traffic_to, providers)
        elif isinstance(expectation, DetectExpectation):
            if expectation.slo not in scenario.slos:
                yield (*loc, "slo"), _unknown("SLO", expectation.slo, set(scenario.slos))
            elif isinstance(scenario.slos[expectation.slo], CostSlo):
                yield (*loc, "slo"), "a cost SLO has no burn rate; detect watches a ratio SLO"
    for index, rule in enumerate(scenario.abort):
        if isinstance(rule, SloBelowRule):
            if rule.slo not in scenario.slos:
                yield ("abort", index, "slo"), _unknown("SLO", rule.slo, set(scenario.slos))
            elif isinstance(scenario.slos[rule.slo], CostSlo):
                yield ("abort", index, "slo"), "cost is guarded by max_cost_usd, not by slo/below"
    for index, alert in enumerate(scenario.alerts):
        for position, name in enumerate(alert.slos or []):
            if name not in scenario.slos:
                yield ("alerts", index, "slos", position), _unknown("SLO", name, set(scenario.slos))
            elif isinstance(scenario.slos[name], CostSlo):
                yield ("alerts", index, "slos", position), "a cost SLO has no burn rate"


def _objectives(scenario: Scenario) -> Iterator[Issue]:
    for name, slo in scenario.slos.items():
        for index, during in enumerate(slo.during or []):
            yield from _during(scenario, during, ("slos", name, "during", index))
        if isinstance(slo, CostSlo):
            unpriced = [p for p, provider in scenario.providers.items() if provider.price is None]
            if unpriced:
                yield ("slos", name), f"a cost SLO needs a price for every provider; none for {', '.join(unpriced)}"
        if isinstance(slo, EvalPassRateSlo):
            if scenario.load.mix.eval == 0:
                yield ("slos", name), "an eval pass rate needs eval traffic: load.mix.eval is 0%"
            elif scenario.load.eval_set is None:
                yield ("slos", name), "an eval pass rate needs load.eval_set (the eval prompts)"
    if scenario.load.mix.share(RequestKind.EVAL) > 0 and scenario.load.eval_set is None:
        yield ("load", "mix", "eval"), "eval traffic needs load.eval_set (a JSONL file of eval prompts)"


def _files(scenario: Scenario, base_dir: Path) -> Iterator[Issue]:
    paths: list[tuple[Loc, Path | None]] = [
        (("load", "locustfile"), scenario.load.locustfile),
        (("load", "eval_set"), scenario.load.eval_set),
    ]
    paths += [(("providers", name, "eval_set"), p.eval_set) for name, p in scenario.providers.items()]
    for loc, path in paths:
        if path is not None:
            resolved = path if path.is_absolute() else base_dir / path
            if not resolved.is_file():
                yield loc, f"no such file: {resolved}"


def _unknown(what: str, name: str, known: set[str]) -> str:
    listed = ", ".join(sorted(known)) or "none"
    return f"no {what} named {quote(name)} (known: {listed})"
