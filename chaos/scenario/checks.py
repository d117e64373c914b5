"""Checks that span several parts of a scenario, run on every part that is valid.

They cover what pydantic cannot see from one model: names that must resolve (providers,
faults, segments, SLOs), fault windows inside the load, what staging and local require,
schedules whose parameters belong to their fault, and files that must exist. Each reads
the scenario through ``Parts`` and skips what needs a part that is not valid, so that
these problems are reported together with the structural ones.

Each check yields an ``Issue``: the path it lies at, what is wrong, and the other values
it comes from (``because``), so that a problem an override caused elsewhere names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from chaos.errors import quote
from chaos.kinds import RequestKind
from chaos.scenario import contract
from chaos.scenario.base import Environment
from chaos.scenario.budget import BudgetRule
from chaos.scenario.change import SHARE_PLACEHOLDER, Hook
from chaos.scenario.faults import Container, Down, Fault, FaultKind, Schedule
from chaos.scenario.model import Stack, Target
from chaos.scenario.objectives import (
    CostSlo,
    DetectExpectation,
    EvalPassRateSlo,
    Expectation,
    NoTrafficToExpectation,
    RecoversToExpectation,
    ServedByExpectation,
    SloBelowRule,
)
from chaos.scenario.parts import Parts
from chaos.scenario.units import STRICT_UNITS, format_duration, parse_duration
from chaos.scenario.yamlsource import Loc
from chaos.segments import BASELINE, JOINED_BY, OVERALL, RECOVERY, RESERVED_NAMES


class Issue(NamedTuple):
    loc: Loc
    message: str
    because: tuple[Loc, ...] = ()  # other values the problem comes from


_SERVED_BY_EXTRA = ("degraded",)
MAX_SCHEDULE_CHANGES = 10_000
# What the end of the warm-up (``Load.judged_from``) is computed from.
_WARMUP_INPUTS: tuple[Loc, ...] = tuple(("load", key) for key in ("users", "spawn_rate", "warmup", "shape"))


def check_scenario(parts: Parts, base_dir: Path) -> list[Issue]:
    checks = (
        _environment,
        _placeholders,
        _hosts,
        _faults,
        _windows,
        _references,
        _objectives,
        _change,
        _observed_faults,
        lambda p: _files(p, base_dir),
    )
    return [issue for check in checks for issue in check(parts)]


def _environment(parts: Parts) -> Iterator[Issue]:
    target, stack = parts.target, parts.stack
    if parts.environment is None or target is None or stack is None:
        return
    chosen: tuple[Loc, ...] = (("environment",),)
    if parts.environment is Environment.STAGING:
        if target.start is not None:
            yield Issue(("target", "start"), "staging starts nothing: remove start and give the target's url", chosen)
        if target.url is None:
            yield Issue(("target",), "staging needs target.url (where the system under test listens)", chosen)
        if stack.toxiproxy is None:
            yield Issue(("stack",), "staging needs stack.toxiproxy (the Toxiproxy API URL)", chosen)
        if stack.providers_admin is None:
            yield Issue(("stack",), "staging needs stack.providers_admin (the mock providers' admin API URL)", chosen)
    else:
        if target.start is None and target.url is None:
            yield Issue(
                ("target",), "give target.start (a command the run starts) or target.url (an app already running)"
            )
        if target.start is not None and target.url is not None:
            yield Issue(("target", "url"), "give start or url, not both: a started target listens on CHAOS_TARGET_PORT")


def _hosts(parts: Parts) -> Iterator[Issue]:
    if parts.target is None or parts.stack is None or parts.safety is None:
        return
    allowed = parts.safety.allowed_hosts
    for loc, url in _urls(parts.target, parts.stack):
        if url.startswith("${"):
            continue  # a whole URL from the environment: checked once resolved, before the run connects
        host = _host(url)
        if host is None:
            yield Issue(loc, f"{quote(url)} is not an http(s) URL")
        elif "${" not in host and host not in allowed:
            message = f"host {quote(host)} is not in safety.allowed_hosts ({', '.join(allowed)})"
            yield Issue(loc, message, (("safety", "allowed_hosts"),))


def _placeholders(parts: Parts) -> Iterator[Issue]:
    """``{port}``, ``{provider.NAME.url}``, ... in the start command and the target's env."""
    target, load = parts.target, parts.load
    if target is None or load is None or parts.provider_names is None:
        return
    # A provider that is invalid itself is still a name: it hides no field here.
    priced = {
        name: name not in parts.providers or parts.providers[name].price is not None for name in parts.provider_names
    }
    names = contract.available(priced, eval_set=load.eval_set is not None)
    because: tuple[Loc, ...] = (("providers",),)
    for index, arg in enumerate(target.start or []):
        for message in contract.check_placeholders(arg, names):
            yield Issue(("target", "start", index), message, because)
    for key, value in target.env.items():
        for message in contract.check_placeholders(value, names):
            yield Issue(("target", "env", key), message, because)


def _urls(target: Target, stack: Stack) -> Iterator[tuple[Loc, str]]:
    if target.url is not None:
        yield ("target", "url"), target.url
    version = target.version
    if version is not None and version.url is not None and not version.url.startswith("/"):
        yield ("target", "version", "url"), version.url
    for key in ("toxiproxy", "providers_admin"):
        url = getattr(stack, key)
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


def _faults(parts: Parts) -> Iterator[Issue]:
    seen: dict[str, int] = {}
    for index, fault in parts.faults.items():
        loc: Loc = ("faults", index)
        if fault.name in seen:
            message = f'"{fault.name}" is already the name of faults[{seen[fault.name]}]; names must be unique'
            yield Issue((*loc, "name"), message)
        seen.setdefault(fault.name, index)
        if fault.name in RESERVED_NAMES:
            yield Issue((*loc, "name"), f'"{fault.name}" names a segment; choose another fault name')
        if fault.schedule is not None:
            yield from _schedule(fault, fault.schedule, loc)
        yield from _swapped_version(parts, fault, loc)


def _swapped_version(parts: Parts, fault: Fault, loc: Loc) -> Iterator[Issue]:
    """A ``model_swap`` serves one of its provider's versions."""
    swap, provider = fault.model_swap, parts.providers.get(fault.provider or "")
    if swap is None or provider is None or swap.version in provider.versions:
        return
    known = ", ".join(provider.versions) or "none"
    message = f"{quote(swap.version)} is not one of provider {fault.provider}'s versions ({known})"
    yield Issue((*loc, "model_swap", "version"), message, (("providers", fault.provider or "", "versions"),))


def _change(parts: Parts) -> Iterator[Issue]:
    """The plan's versions are served by its providers, its steps lie inside the load,
    and its share hook has somewhere to put the share."""
    change = parts.change
    if change is None:
        return
    for role in ("baseline", "candidate"):
        ref = getattr(change, role)
        provider = parts.providers.get(ref.provider)
        if parts.provider_names is not None and ref.provider not in parts.provider_names:
            message = f"{quote(ref.provider)} is not a provider ({', '.join(sorted(parts.provider_names))})"
            yield Issue(("change", role, "provider"), message)
        elif provider is not None and ref.version not in provider.versions:
            known = ", ".join(provider.versions) or "none: give the provider versions"
            message = f"{quote(ref.version)} is not one of provider {ref.provider}'s versions ({known})"
            yield Issue(("change", role, "version"), message, (("providers", ref.provider, "versions"),))
    if parts.load is not None and change.planned_end() > parts.load.duration:
        message = (
            f"the steps end at {format_duration(change.planned_end())} at the earliest, after the load ends "
            f"({format_duration(parts.load.duration)})"
        )
        yield Issue(("change", "steps"), message, (("change", "at"), ("load", "duration")))
    if not _fills_share(change.set_share):
        yield Issue(("change", "set_share"), f"the hook never says the share: put {SHARE_PLACEHOLDER} in it")
    allowed = parts.safety.allowed_hosts if parts.safety is not None else []
    for key, hook in (("set_share", change.set_share), ("rollback", change.rollback)):
        url = hook.http.url if hook is not None and hook.http is not None else "/"
        if not url.startswith("/") and _host(url) not in allowed:
            message = f"{quote(url)} is not a path on the target nor a URL of a host in safety.allowed_hosts"
            yield Issue(("change", key, "http", "url"), message, (("safety", "allowed_hosts"),))


def _fills_share(hook: Hook) -> bool:
    if hook.http is not None:
        return SHARE_PLACEHOLDER in hook.http.url + (hook.http.body or "")
    return any(SHARE_PLACEHOLDER in arg for arg in hook.command or [])


def _windows(parts: Parts) -> Iterator[Issue]:
    load = parts.load
    if load is None:
        return
    duration, judged_from = format_duration(load.duration), format_duration(load.judged_from)
    for index, fault in parts.faults.items():
        loc: Loc = ("faults", index)
        if fault.at >= load.duration:
            message = f"starts at {format_duration(fault.at)}, after the load ends ({duration})"
            yield Issue((*loc, "at"), message, (("load", "duration"),))
        elif fault.duration is not None and fault.at + fault.duration > load.duration:
            end = format_duration(fault.at + fault.duration)
            yield Issue((*loc, "for"), f"ends at {end}, after the load ends ({duration})", (("load", "duration"),))
        if fault.at < load.judged_from:
            message = (
                f"starts at {format_duration(fault.at)}, inside the warm-up (until {judged_from}: "
                "ramp-up plus load.warmup); faults start after a baseline is measured"
            )
            yield Issue((*loc, "at"), message, _WARMUP_INPUTS)
        if fault.schedule is not None:
            yield from _schedule_size(fault.schedule, fault.end(load.duration) - fault.at, (*loc, "schedule"))


def _schedule(fault: Fault, schedule: Schedule, fault_loc: Loc) -> Iterator[Issue]:
    loc: Loc = (*fault_loc, "schedule")
    spec = fault.spec
    what = f"the {fault.network.toxic} toxic" if fault.network is not None else fault.kind.value
    if isinstance(spec, Down | Container):
        yield Issue(loc, f"{what} has no setting to change over time; use separate faults")
        return
    if schedule.flap is not None:
        return
    params = [name for name in type(spec).model_fields if name not in ("toxic", "provider", "scope")]
    for param, (first, last) in (schedule.ramp or {}).items():
        if param not in params:
            yield Issue((*loc, "ramp", param), _not_a_setting(param, what, params))
            continue
        for position, value in enumerate((first, last)):
            yield from _setting(spec, params, what, {param: value}, (*loc, "ramp", param, position))
    for index, step in enumerate(schedule.steps or []):
        step_loc: Loc = (*loc, "steps", index)
        settings = {key: value for key, value in step.items() if key != "at"}
        if "at" not in step:
            yield Issue(step_loc, "a step needs at: (its offset into the fault's window)")
        else:
            try:
                offset = parse_duration(step["at"])
            except ValueError as exc:
                yield Issue((*step_loc, "at"), str(exc))
            else:
                if fault.duration is not None and offset >= fault.duration:
                    message = "lies outside the fault's window (at must be less than for)"
                    yield Issue((*step_loc, "at"), message, ((*fault_loc, "for"),))
        if not settings:
            yield Issue(step_loc, f"a step sets at least one of: {', '.join(params)}")
        for key, value in settings.items():
            yield from _setting(spec, params, what, {key: value}, (*step_loc, key))


def _schedule_size(schedule: Schedule, window: float, loc: Loc) -> Iterator[Issue]:
    """A schedule changes its fault at most ``MAX_SCHEDULE_CHANGES`` times: each change is
    a request to the environment, and the plan lists every one."""
    if schedule.ramp is not None:
        changes, knob = window / schedule.every, "every"
    elif schedule.flap is not None:
        changes, knob = 2 * window / (schedule.flap.on + schedule.flap.off), "flap.on and flap.off"
    else:
        return
    if changes > MAX_SCHEDULE_CHANGES:
        message = (
            f"changes the fault about {changes:.3g} times in its {format_duration(window)} window; "
            f"at most {MAX_SCHEDULE_CHANGES:,} (lengthen {knob})"
        )
        yield Issue(loc, message)


def _setting(spec: BaseModel, params: list[str], what: str, update: dict[str, Any], loc: Loc) -> Iterator[Issue]:
    (param,) = update
    if param not in params:
        yield Issue(loc, _not_a_setting(param, what, params))
        return
    data = spec.model_dump(by_alias=True, exclude_none=True) | update
    try:
        type(spec).model_validate(data, context=STRICT_UNITS)
    except ValidationError as exc:
        yield Issue(loc, exc.errors()[0]["msg"].removeprefix("Value error, "))


def _not_a_setting(param: str, what: str, params: list[str]) -> str:
    return f"{quote(param)} is not a setting of {what} (settings: {', '.join(params)})"


def segment_names(fault_names: Iterable[str]) -> set[str]:
    """Names ``during:`` may use: overall, baseline, recovery, a fault, or faults joined by +."""
    return {OVERALL, BASELINE, RECOVERY, *fault_names}


def _during(parts: Parts, value: str, loc: Loc) -> Iterator[Issue]:
    if parts.fault_names is None:
        return
    known = segment_names(parts.fault_names)
    for part in value.split(JOINED_BY):
        if part not in known:
            yield Issue(loc, f"{quote(part)} is not a fault or segment (known: {', '.join(sorted(known))})")


def _references(parts: Parts) -> Iterator[Issue]:
    providers = parts.provider_names
    if providers is not None:
        for index, fault in parts.faults.items():
            target = fault.target_provider
            if target is not None and target not in providers:
                where = ("network", "provider") if fault.kind is FaultKind.NETWORK else ("provider",)
                yield Issue(("faults", index, *where), _unknown("provider", target, providers))
        if parts.target is not None:
            for value, provider in parts.target.served_by.map.items():
                if provider not in providers:
                    yield Issue(("target", "served_by", "map", value), _unknown("provider", provider, providers))
    for index, expectation in parts.expect.items():
        yield from _expectation(parts, expectation, ("expect", index))
    for index, rule in parts.abort.items():
        if isinstance(rule, SloBelowRule):
            yield from _slo_reference(
                parts, rule.slo, ("abort", index, "slo"), "cost is guarded by max_cost_usd, not by slo/below"
            )
    for index, alert in parts.alerts.items():
        for position, name in enumerate(alert.slos or []):
            yield from _slo_reference(parts, name, ("alerts", index, "slos", position), "a cost SLO has no burn rate")
    for index, budget_rule in parts.budget.items():
        yield from _budget_rule(parts, budget_rule, ("budget", index))


def _budget_rule(parts: Parts, rule: BudgetRule, loc: Loc) -> Iterator[Issue]:
    cost = "a cost SLO has no error budget: a budget rule names a ratio SLO"
    yield from _slo_reference(parts, rule.slo, (*loc, "slo"), cost)
    slo = parts.slos.get(rule.slo)
    if slo is not None and not isinstance(slo, CostSlo) and slo.objective >= 1:
        yield Issue(
            (*loc, "slo"),
            f"{quote(rule.slo)} has an objective of 100%: it has no error budget to burn",
            (("slos", rule.slo),),
        )


def _expectation(parts: Parts, expectation: Expectation, loc: Loc) -> Iterator[Issue]:
    during = getattr(expectation, "during", None)
    if during is not None:
        yield from _during(parts, during, (*loc, "during"))
    providers, faults = parts.provider_names, parts.fault_names
    if isinstance(expectation, ServedByExpectation):
        if providers is not None and expectation.served_by not in providers | set(_SERVED_BY_EXTRA):
            message = _unknown("provider", expectation.served_by, providers | set(_SERVED_BY_EXTRA))
            yield Issue((*loc, "served_by"), message)
    elif isinstance(expectation, RecoversToExpectation):
        if providers is not None and expectation.recovers_to not in providers:
            yield Issue((*loc, "recovers_to"), _unknown("provider", expectation.recovers_to, providers))
        if faults is not None and expectation.after is not None and expectation.after not in faults:
            yield Issue((*loc, "after"), _unknown("fault", expectation.after, faults))
        if faults is not None and not faults:
            yield Issue(loc, "recovers_to needs a fault to recover from", (("faults",),))
    elif isinstance(expectation, NoTrafficToExpectation):
        if providers is not None and expectation.no_traffic_to not in providers:
            yield Issue((*loc, "no_traffic_to"), _unknown("provider", expectation.no_traffic_to, providers))
    elif isinstance(expectation, DetectExpectation):
        cost = "a cost SLO has no burn rate; detect watches a ratio SLO"
        yield from _slo_reference(parts, expectation.slo, (*loc, "slo"), cost)


def _slo_reference(parts: Parts, name: str, loc: Loc, if_cost: str) -> Iterator[Issue]:
    """``name`` must be an SLO with a burn rate, that is, not a cost SLO."""
    if parts.slo_names is None:
        return
    if name not in parts.slo_names:
        yield Issue(loc, _unknown("SLO", name, parts.slo_names))
    elif isinstance(parts.slos.get(name), CostSlo):
        yield Issue(loc, if_cost, (("slos", name),))


def _objectives(parts: Parts) -> Iterator[Issue]:
    load = parts.load
    for name, slo in parts.slos.items():
        loc: Loc = ("slos", name)
        for index, during in enumerate(slo.during or []):
            yield from _during(parts, during, (*loc, "during", index))
        if isinstance(slo, CostSlo):
            unpriced = [p for p, provider in parts.providers.items() if provider.price is None]
            if unpriced:
                message = f"a cost SLO needs a price for every provider; none for {', '.join(unpriced)}"
                yield Issue(loc, message, tuple(("providers", p, "price") for p in unpriced))
        if isinstance(slo, EvalPassRateSlo) and load is not None:
            if load.mix.eval == 0:
                message = "an eval pass rate needs eval traffic: load.mix.eval is 0%"
                yield Issue(loc, message, (("load", "mix"),))
            elif load.eval_set is None:
                yield Issue(loc, "an eval pass rate needs load.eval_set (the eval prompts)", (("load", "eval_set"),))
    if load is not None and load.mix.share(RequestKind.EVAL) > 0 and load.eval_set is None:
        message = "eval traffic needs load.eval_set (a JSONL file of eval prompts)"
        yield Issue(("load", "mix", "eval"), message, (("load", "eval_set"),))


def _observed_faults(parts: Parts) -> Iterator[Issue]:
    """``increases_during``, ``fires_during`` and ``silent_during`` name a fault."""
    observe, faults = parts.observe, parts.fault_names
    if observe is None or faults is None:
        return
    named: list[tuple[Loc, str | None]] = []
    if observe.metrics is not None:
        for index, series in enumerate(observe.metrics.expect):
            named.append((("observe", "metrics", "expect", index, "increases_during"), series.increases_during))
    if observe.alerts is not None:
        for index, alert in enumerate(observe.alerts.expect):
            key = "fires_during" if alert.fires_during is not None else "silent_during"
            named.append((("observe", "alerts", "expect", index, key), alert.fault))
    for loc, name in named:
        if name is not None and name not in faults:
            yield Issue(loc, _unknown("fault", name, faults))


def _files(parts: Parts, base_dir: Path) -> Iterator[Issue]:
    paths: list[tuple[Loc, Path | None]] = []
    if parts.load is not None:
        paths += [(("load", "locustfile"), parts.load.locustfile), (("load", "eval_set"), parts.load.eval_set)]
    paths += [(("providers", name, "eval_set"), p.eval_set) for name, p in parts.providers.items()]
    if parts.observe is not None and parts.observe.alerts is not None:
        paths.append((("observe", "alerts", "rules"), parts.observe.alerts.rules))
    for loc, path in paths:
        if path is not None:
            resolved = path if path.is_absolute() else base_dir / path
            if not resolved.is_file():
                yield Issue(loc, f"no such file: {resolved}")


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    listed = ", ".join(sorted(known)) or "none"
    return f"no {what} named {quote(name)} (known: {listed})"
