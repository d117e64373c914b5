"""Behaviours: provider faults switched on at run time, each with a TTL, and which apply.

A behaviour is a scenario provider fault (its kind and spec, validated by the scenario's
own spec models) plus its name, provider, run and TTL. It expires by itself ``ttl_s``
after it was last upserted, whether or not anyone restores it. One given ``times: N``
applies to the next N requests it fires on, then is gone (a test's "fail twice, then
answer"); a quota ``rate_limit`` (``rpm`` / ``tpm``) takes no count.

Which behaviours apply to a request, when several are active on its provider:

1. Only behaviours whose ``scope`` matches the request (model, endpoint, stream) count,
   and each of them applies to a ``rate`` share of its matching requests: one seeded
   draw per request, so a run with the same seed and requests is reproduced exactly.
2. Behaviours that replace the answer are tried in the order ``hang``, ``http_error``,
   ``rate_limit`` (by name within a kind); the first that fires decides the answer and
   the later ones are not tried. A ``rate_limit`` with ``rpm`` / ``tpm`` fires when the
   quota refuses the request (its rate then does not apply).
3. Behaviours that shape a served answer all apply together: ``slow_first_token``
   delays add up; the slowest ``slow_tokens`` pace, the largest ``token_inflation``
   factor, the lowest ``quality`` pass rate, the first ``model_swap`` and the first
   ``stream_cut`` (by name) win.
   ``stream_cut`` applies to streamed answers only.

A behaviour changes the requests that arrive while it is active: a request already hung
or stalled stays so until its client gives up (or the server stops), even if the
behaviour is removed meanwhile, as a real stuck request would.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from chaos.scenario.faults import (
    BEHAVIOURS,
    FaultKind,
    HttpError,
    ModelSwap,
    ProviderBehaviour,
    Quality,
    RateLimit,
    SlowFirstToken,
    SlowTokens,
    StreamCut,
    TokenInflation,
)
from chaos.scenario.units import STRICT_UNITS

MAX_TTL_S = 24 * 3600.0
DEFAULT_TTL_S = 60.0
MAX_TIMES = 1_000_000

_BLOCKING = (FaultKind.HANG, FaultKind.HTTP_ERROR, FaultKind.RATE_LIMIT)
_ORDER = (
    *_BLOCKING,
    FaultKind.SLOW_FIRST_TOKEN,
    FaultKind.SLOW_TOKENS,
    FaultKind.TOKEN_INFLATION,
    FaultKind.QUALITY,
    FaultKind.MODEL_SWAP,
    FaultKind.STREAM_CUT,
)
_KIND_ORDER = {kind: index for index, kind in enumerate(_ORDER)}


class BehaviourError(Exception):
    """A behaviour body that cannot be applied; ``problems`` are ``path: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Behaviour:
    name: str
    provider: str
    kind: FaultKind
    spec: ProviderBehaviour
    run: str | None
    ttl_s: float
    expires_at: float
    updated_at: float
    rng: random.Random = field(repr=False)
    times_left: int | None = None  # None: until restored or expired

    def matches(self, model: str, endpoint: str, stream: bool) -> bool:
        scope = self.spec.scope
        if scope is None:
            return True
        return (
            (scope.model is None or scope.model == model)
            and (scope.endpoint is None or scope.endpoint == endpoint)
            and (scope.stream is None or scope.stream == stream)
        )

    def fires(self) -> bool:
        rate = self.spec.rate
        return rate >= 1.0 or self.rng.random() < rate


@dataclass(slots=True)
class Decision:
    """What the active behaviours do to one request."""

    applied: list[str] = field(default_factory=list)
    hang: bool = False
    http_error: HttpError | None = None
    rate_limit: RateLimit | None = None
    extra_ttft_s: float = 0.0
    inter_token_s: float | None = None
    inflation: float = 1.0
    quality: Quality | None = None
    version: str | None = None  # a model_swap's version, served to requests that pin none
    swapped_by: str | None = None  # that model_swap's name
    cut: StreamCut | None = None
    quota: RateLimit | None = None  # a rate_limit with quotas, to ask the provider's window
    quota_name: str | None = None

    def unswapped(self) -> None:
        """The request pins its version: a model swap does not apply to it."""
        if self.version is not None:
            self.applied = [name for name in self.applied if name != self.swapped_by]
            self.version = None

    @property
    def fault(self) -> str | None:
        return "+".join(self.applied) if self.applied else None


class Behaviours:
    """Every active behaviour of one providers process, by name."""

    def __init__(
        self,
        providers: set[str],
        seed: int,
        clock: Callable[[], float] = time.time,
        versions: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        self._providers = providers
        self._versions = versions or {}  # provider -> the versions it serves, for model_swap
        self._seed = seed
        self._clock = clock
        self._by_name: dict[str, Behaviour] = {}
        self._by_provider: dict[str, list[Behaviour]] = {name: [] for name in providers}

    def upsert(self, name: str, body: Any) -> Behaviour:
        """Create or update ``name`` from an admin API body; raises ``BehaviourError``."""
        provider, kind, spec, run, ttl_s, times = self._parse(body)
        now = self._clock()
        existing = self._by_name.get(name)
        if existing is not None and existing.provider == provider and existing.kind is kind:
            existing.spec, existing.run, existing.ttl_s, existing.times_left = spec, run, ttl_s, times
            existing.expires_at, existing.updated_at = now + ttl_s, now
            return existing
        self.delete(name)
        behaviour = Behaviour(
            name=name,
            provider=provider,
            kind=kind,
            spec=spec,
            run=run,
            ttl_s=ttl_s,
            expires_at=now + ttl_s,
            updated_at=now,
            rng=random.Random(f"{self._seed}:{name}"),
            times_left=times,
        )
        self._by_name[name] = behaviour
        listed = self._by_provider[provider]
        listed.append(behaviour)
        listed.sort(key=lambda b: (_KIND_ORDER[b.kind], b.name))
        return behaviour

    def delete(self, name: str) -> bool:
        behaviour = self._by_name.pop(name, None)
        if behaviour is None:
            return False
        self._by_provider[behaviour.provider].remove(behaviour)
        return True

    def delete_run(self, run: str) -> list[str]:
        names = [b.name for b in self._by_name.values() if b.run == run]
        for name in names:
            self.delete(name)
        return names

    def clear(self) -> int:
        count = len(self._by_name)
        for name in list(self._by_name):
            self.delete(name)
        return count

    def active(self) -> list[Behaviour]:
        self._expire(self._clock())
        return sorted(self._by_name.values(), key=lambda b: b.name)

    def counts(self) -> dict[str, int]:
        """Active behaviours per provider (every provider listed)."""
        self._expire(self._clock())
        return {provider: len(listed) for provider, listed in self._by_provider.items()}

    def get(self, name: str) -> Behaviour | None:
        self._expire(self._clock())
        return self._by_name.get(name)

    def decide(self, provider: str, model: str, endpoint: str, stream: bool) -> Decision:
        """The behaviours that apply to this request (the rules in this module's docstring)."""
        decision = Decision()
        listed = self._by_provider[provider]
        if not listed:
            return decision
        self._expire(self._clock())
        quota_seen = False
        for behaviour in list(listed):  # a counted behaviour may be spent on the way
            kind, spec = behaviour.kind, behaviour.spec
            if not behaviour.matches(model, endpoint, stream):
                continue
            if kind in _BLOCKING:
                if quota_seen:
                    continue
                if isinstance(spec, RateLimit) and (spec.rpm is not None or spec.tpm is not None):
                    decision.quota, decision.quota_name, quota_seen = spec, behaviour.name, True
                elif behaviour.fires():
                    self._spend(behaviour)
                    return _blocking(behaviour)
                continue
            if (kind is FaultKind.STREAM_CUT and not stream) or not behaviour.fires():
                continue
            if kind is FaultKind.MODEL_SWAP and decision.version is not None:
                continue  # the first swap wins; a later one changes nothing
            self._spend(behaviour)
            decision.applied.append(behaviour.name)
            if kind is FaultKind.MODEL_SWAP:
                decision.swapped_by = behaviour.name
            _shape(decision, spec, behaviour.rng)
        return decision

    def _spend(self, behaviour: Behaviour) -> None:
        if behaviour.times_left is None:
            return
        behaviour.times_left -= 1
        if behaviour.times_left <= 0:
            self.delete(behaviour.name)

    def _expire(self, now: float) -> None:
        for name in [b.name for b in self._by_name.values() if b.expires_at <= now]:
            self.delete(name)

    def _parse(self, body: Any) -> tuple[str, FaultKind, ProviderBehaviour, str | None, float, int | None]:
        if not isinstance(body, dict):
            raise BehaviourError(["body: a JSON object like {provider, <kind>: {...}, run, ttl_s, times}"])
        kinds = ", ".join(kind.value for kind in BEHAVIOURS)
        allowed = {"provider", "run", "ttl_s", "times", *BEHAVIOURS}
        problems = [
            f"{key}: unknown key (one of provider, run, ttl_s, times, {kinds})" for key in body if key not in allowed
        ]
        provider = body.get("provider")
        if not isinstance(provider, str) or provider not in self._providers:
            problems.append(f"provider: {provider!r} is not a provider here ({', '.join(sorted(self._providers))})")
        run = body.get("run")
        if run is not None and not isinstance(run, str):
            problems.append("run: a string, the run id")
        ttl_s = body.get("ttl_s", DEFAULT_TTL_S)
        if isinstance(ttl_s, bool) or not isinstance(ttl_s, int | float) or not 0 < ttl_s <= MAX_TTL_S:
            problems.append(f"ttl_s: seconds, more than 0 and at most {MAX_TTL_S:g}")
        times = body.get("times")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= MAX_TIMES):
            problems.append(f"times: a whole number of requests, 1 to {MAX_TIMES}")
        given = [kind for kind in BEHAVIOURS if kind.value in body]
        if len(given) != 1:
            problems.append(f"a behaviour takes exactly one kind key ({kinds}); found {len(given)}")
        spec: ProviderBehaviour | None = None
        if len(given) == 1:
            raw = body[given[0].value]
            try:
                spec = BEHAVIOURS[given[0]].model_validate({} if raw is None else raw, context=STRICT_UNITS)
            except ValidationError as exc:
                problems.extend(_located(given[0].value, exc))
        if isinstance(spec, ModelSwap) and spec.version not in self._versions.get(str(provider), ()):
            served = ", ".join(self._versions.get(str(provider), ())) or "none"
            problems.append(f"model_swap.version: {spec.version!r} is not one of {provider}'s versions ({served})")
        if times is not None and isinstance(spec, RateLimit) and (spec.rpm is not None or spec.tpm is not None):
            problems.append("times: a quota (rpm, tpm) refuses by its window, not by a count; drop one of them")
        if problems or spec is None:
            raise BehaviourError(problems)
        return str(provider), given[0], spec, run, float(ttl_s), times


def _located(kind: str, exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        path = ".".join(str(step) for step in (kind, *error["loc"]))
        problems.append(f"{path}: {error['msg'].removeprefix('Value error, ')}")
    return problems


def _blocking(behaviour: Behaviour) -> Decision:
    spec = behaviour.spec
    decision = Decision(applied=[behaviour.name])
    if isinstance(spec, HttpError):
        decision.http_error = spec
    elif isinstance(spec, RateLimit):
        decision.rate_limit = spec
    else:
        decision.hang = True
    return decision


def _shape(decision: Decision, spec: BaseModel, rng: random.Random) -> None:
    if isinstance(spec, SlowFirstToken):
        jitter = rng.uniform(-spec.jitter, spec.jitter) if spec.jitter else 0.0
        decision.extra_ttft_s += max(0.0, spec.delay + jitter)
    elif isinstance(spec, SlowTokens):
        gap = spec.inter_token if spec.inter_token is not None else 1.0 / (spec.tokens_per_s or 1.0)
        decision.inter_token_s = max(gap, decision.inter_token_s or 0.0)
    elif isinstance(spec, TokenInflation):
        decision.inflation = max(decision.inflation, spec.factor)
    elif isinstance(spec, Quality):
        if decision.quality is None or spec.pass_rate < decision.quality.pass_rate:
            decision.quality = spec
    elif isinstance(spec, ModelSwap):
        decision.version = spec.version
    elif isinstance(spec, StreamCut):
        decision.cut = decision.cut or spec
