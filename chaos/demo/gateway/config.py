"""The gateway's configuration: its providers from the environment contract, its knobs
from flags (or ``CHAOS_GATEWAY_*`` variables), and the one resilience a ``--break``
switches off.

The environment contract (DESIGN.md, "The target's environment"): ``CHAOS_PROVIDERS``
names the providers in fallback order; for each ``NAME``, ``CHAOS_PROVIDER_<NAME>_URL``,
``_API``, ``_MODEL``, ``_API_KEY``, and optionally ``_PRICE_INPUT`` / ``_PRICE_OUTPUT``
(USD per 1M tokens, for the cost ceiling); ``CHAOS_TARGET_PORT``; ``CHAOS_RUN_ID``;
optionally ``CHAOS_EVAL_SET`` (the eval prompts the quality guard's canaries send) and
``OTEL_EXPORTER_OTLP_ENDPOINT`` (where its OpenTelemetry spans go, see ``telemetry.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from chaos.errors import EnvironmentProblem
from chaos.scenario.contract import env_name


class Break(StrEnum):
    """One resilience switched off, to prove a scenario catches its absence."""

    FALLBACK = "fallback"  # only the primary; no other provider
    TIMEOUTS = "timeouts"  # no connect, first-token or total timeout
    RETRY_AFTER = "retry-after"  # retry-after ignored; retries after the usual backoff
    RETRY_STORM = "retry-storm"  # many retries, no backoff
    BREAKER = "breaker"  # no circuit breaker
    CACHE = "cache"  # no cached or canned answer when every provider failed
    COST_GUARD = "cost-guard"  # no cap on tokens, no cost ceiling
    QUALITY_GUARD = "quality-guard"  # no canary evals, no demotion
    RECOVERY = "recovery"  # once failed over, never back to the primary
    CANARY_ROUTING = "canary-routing"  # a canary share is acknowledged, never applied
    CANARY_ROLLBACK = "canary-rollback"  # a lower canary share is acknowledged, the old one kept
    TRACING = "tracing"  # a retry's call gets no span (its traceparent names the request's span)
    LOGGING = "logging"  # request log lines without the model version


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    api: str
    url: str
    model: str
    api_key: str
    price_input: float = 0.0  # USD per 1M tokens
    price_output: float = 0.0

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.price_input + output_tokens * self.price_output) / 1e6


@dataclass(frozen=True)
class Tuning:
    """The knobs of each resilience; defaults suit the mock providers' realistic latency."""

    connect_timeout: float = 1.0
    first_token_timeout: float = 2.0
    # The longest silence between two tokens of a stream. Longer than a first-token wait:
    # a stream that has sent tokens cannot fail over, so a late token beats a cut stream.
    stall_timeout: float = 5.0
    total_timeout: float = 20.0
    retries: int = 1
    backoff_base: float = 0.25
    backoff_max: float = 1.0
    max_retry_wait: float = 2.0  # a longer retry-after moves on to the next provider
    storm_retries: int = 8
    breaker_failures: int = 5
    breaker_ratio: float = 0.5
    breaker_window: float = 10.0
    breaker_min_calls: int = 10
    breaker_cooldown: float = 5.0
    cache_size: int = 1000
    max_tokens_cap: int = 512
    max_cost_usd: float = 0.05
    canary_interval: float = 2.0
    canary_window: int = 6
    canary_min_samples: int = 3
    canary_threshold: float = 0.7
    canary_restore: int = 12  # canaries in a row that must pass to undo a demotion
    # Pass each request's x-request-id on to its providers. LiteLLM's proxy does not: with
    # false the gateway behaves like it, and the ledger attributes its calls by time.
    forward_request_id: bool = True
    # The version of the prompt the gateway sends (it forwards the user's messages as they
    # are), logged with each request beside the model and its version.
    prompt_version: str = "passthrough-1"


@dataclass(frozen=True)
class GatewayConfig:
    providers: tuple[ProviderConfig, ...]
    port: int
    host: str = "127.0.0.1"
    run_id: str | None = None
    eval_set: Path | None = None
    tuning: Tuning = field(default_factory=Tuning)
    broken: Break | None = None

    def works(self, resilience: Break) -> bool:
        """False when ``resilience`` is the one switched off."""
        return self.broken is not resilience


def providers_from_env(environ: Mapping[str, str]) -> tuple[ProviderConfig, ...]:
    names = [name.strip() for name in environ.get("CHAOS_PROVIDERS", "").split(",") if name.strip()]
    if not names:
        raise EnvironmentProblem(
            "CHAOS_PROVIDERS is not set: the gateway needs its providers in fallback order",
            hint="chaos run sets it; by hand: CHAOS_PROVIDERS=primary,secondary CHAOS_PROVIDER_PRIMARY_URL=...",
        )
    providers = []
    for name in names:
        prefix = f"CHAOS_PROVIDER_{env_name(name)}_"
        missing = [key for key in ("URL", "API", "MODEL") if not environ.get(prefix + key)]
        if missing:
            raise EnvironmentProblem(f"provider {name}: {', '.join(prefix + key for key in missing)} not set")
        api = environ[prefix + "API"]
        if api not in ("openai", "anthropic"):
            raise EnvironmentProblem(f"{prefix}API is {api!r}; expected openai or anthropic")
        providers.append(
            ProviderConfig(
                name=name,
                api=api,
                url=environ[prefix + "URL"],
                model=environ[prefix + "MODEL"],
                api_key=environ.get(prefix + "API_KEY", "dummy"),
                price_input=_price(environ, prefix + "PRICE_INPUT"),
                price_output=_price(environ, prefix + "PRICE_OUTPUT"),
            )
        )
    return tuple(providers)


def _price(environ: Mapping[str, str], key: str) -> float:
    raw = environ.get(key)
    if raw is None:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise EnvironmentProblem(f"{key} is {raw!r}; expected USD per 1M tokens, e.g. 15") from None
    if value < 0:
        raise EnvironmentProblem(f"{key} must not be negative")
    return value
