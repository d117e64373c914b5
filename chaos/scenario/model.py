"""The scenario: one YAML file that says what breaks, under what load, judged by what.

The root model and the parts that describe the world a run acts on (target, providers,
load, stack, safety). Faults live in ``faults.py``; SLOs, alerts, expectations and abort
rules in ``objectives.py``; checks that span several parts in ``checks.py``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from chaos.envrefs import check_references
from chaos.errors import quote
from chaos.scenario.base import (
    MAX_SPAWN_RATE,
    MAX_TOKENS,
    MAX_TOKENS_PER_S,
    MAX_USERS,
    MIN_SPAWN_RATE,
    MIN_TOKENS_PER_S,
    Api,
    DegradedPolicy,
    Environment,
    Name,
    Strict,
)
from chaos.scenario.budget import BudgetRule
from chaos.scenario.capacity import CapacityProbe
from chaos.scenario.change import Change
from chaos.scenario.faults import MAX_QUOTA, Fault
from chaos.scenario.objectives import DEFAULT_ALERTS, AbortRule, AlertRule, Expectation, Slo, infer_slis
from chaos.scenario.observe import Observe
from chaos.scenario.traffic import CHAT_AND_EVAL_MIX, CHAT_MIX, Mix, Shape, Wait
from chaos.scenario.units import Duration, Money, Percent

DEFAULT_SPAWN_RATE = 10.0

EnvString = Annotated[str, AfterValidator(check_references)]


class ServedBy(Strict):
    """How the target says who served a request (the ledger is always kept as well)."""

    header: str | None = Field(None, description="A response header, e.g. x-served-by.")
    json_field: str | None = Field(None, alias="json", description="A top-level field of a JSON answer, e.g. model.")
    ledger: bool = Field(False, description="The target does not say: use the providers' ledger only.")
    map: dict[str, Name] = Field(
        default_factory=dict, description="Values the target reports -> provider names (default: names and models)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> ServedBy:
        sources = [self.header is not None, self.json_field is not None, self.ledger]
        if sum(sources) != 1:
            raise ValueError("give exactly one of header, json or ledger: true")
        return self


class TargetVersion(Strict):
    """Where the version of the system under test is read, once it is ready (recorded in
    the journal's versions as ``target``)."""

    command: list[str] | None = Field(
        None, min_length=1, description="A command; its output's first line (`python` means chaos's interpreter)."
    )
    url: str | None = Field(None, description="A path on the target (e.g. /version) or a URL; its body's first line.")
    json_field: str | None = Field(None, alias="json", description="With url: a top-level field of a JSON answer.")
    header: str | None = Field(None, description="A response header of the target's health check.")

    @model_validator(mode="after")
    def _one_source(self) -> TargetVersion:
        if sum(source is not None for source in (self.command, self.url, self.header)) != 1:
            raise ValueError("give exactly one of command, url or header")
        if self.json_field is not None and self.url is None:
            raise ValueError("json reads a field of the answer of url: give url")
        return self


class Target(Strict):
    """The system under test: started by the run (local) or reached at a URL (staging)."""

    start: list[str] | None = Field(
        None, min_length=1, description="Command to start it; `python` means the interpreter running chaos."
    )
    url: str | None = Field(None, description="Where it listens (staging), e.g. https://gateway.staging:8443.")
    health: str = Field("/healthz", description="A path answering 2xx when the target is ready (default /healthz).")
    ready_timeout: Duration = Field(
        30.0, gt=0, description="How long a started target may take to become healthy (default 30s)."
    )
    api: Api = Field(
        Api.OPENAI,
        description="The wire format the load speaks to the target (default openai, what most gateways take).",
    )
    provider_api: Api | None = Field(
        None,
        description="The one wire format the target speaks to its providers: every provider is served in it "
        "(default: each provider's own api).",
    )
    model: str = Field(
        "gateway", description="The model name the load asks the target for (default gateway: the target routes it)."
    )
    headers: dict[str, EnvString] = Field(
        default_factory=dict, description="Sent with every request; ${ENV} references allowed."
    )
    env: dict[str, EnvString] = Field(default_factory=dict, description="Extra environment for a started target.")
    served_by: ServedBy = Field(
        default_factory=lambda: ServedBy(ledger=True),
        description="How the target names the provider that answered (default: it does not; the ledger tells).",
    )
    degraded_header: str = Field(
        "x-degraded", description="Header by which the target marks cached/canned answers (default x-degraded)."
    )
    version: TargetVersion | None = Field(
        None, description="How to read the system under test's version (default: not read)."
    )

    @field_validator("health")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"a health check is a path starting with /, got {quote(value)}")
        return value


class Price(Strict):
    input: Money = Field(description="USD per 1M input tokens.")
    output: Money = Field(description="USD per 1M output tokens.")

    def cost(self, input_tokens: float, output_tokens: float) -> float:
        """USD billed for these tokens: what the journal's bills and the verdict's cost read."""
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


class LatencyProfile(Strict):
    """How fast a healthy provider answers; realistic by default."""

    ttft: Duration = Field(0.5, description="Mean time to first token.")
    jitter: Duration = Field(0.1, description="Uniform +- around ttft.")
    tokens_per_s: float = Field(
        50.0, ge=0, le=MAX_TOKENS_PER_S, description="Streaming pace; 0 sends every token at once, else at least 0.001."
    )

    @model_validator(mode="after")
    def _jitter_below_ttft(self) -> LatencyProfile:
        if 0 < self.tokens_per_s < MIN_TOKENS_PER_S:
            raise ValueError("tokens_per_s is 0 (every token at once) or at least 0.001")
        if self.jitter > self.ttft:
            raise ValueError("jitter must not exceed ttft (a first token cannot come before the request)")
        return self


# A version as the provider reports it after its model: ``claude-sonnet@2026-11``.
VersionName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
VERSION_SEPARATOR = "@"


class ModelVersion(Strict):
    """One version of a provider's model; what it leaves out is the provider's own."""

    latency: LatencyProfile | None = Field(None, description="How fast this version answers (default: the provider's).")
    eval_accuracy: Percent = Field(1.0, description="Share of eval prompts it answers right (default 100%).")
    token_use: float = Field(
        1.0, gt=0, le=10, description="Output tokens relative to the provider's usual answer (default 1: the same)."
    )


class Quota(Strict):
    """A provider's standing rate limit, as the mock provider enforces it (a ``rate_limit``
    fault with ``rpm``/``tpm`` replaces it while active). Real providers have their own."""

    rpm: int | None = Field(None, ge=1, le=MAX_QUOTA, description="Requests per minute it admits.")
    tpm: int | None = Field(
        None, ge=1, le=MAX_QUOTA, description="Tokens per minute it admits (input plus max_tokens, at admission)."
    )
    window: Duration = Field(
        60.0,
        ge=1,
        le=60,
        description="The span it is counted over, in whole seconds (default 60s, as providers count a minute); "
        "a shorter span admits its share of rpm and tpm in any such span, so the limit binds within seconds "
        "(a probe's short steps). Quota faults count over the same span.",
    )

    @model_validator(mode="after")
    def _some_limit(self) -> Quota:
        if self.rpm is None and self.tpm is None:
            raise ValueError("give rpm, tpm or both")
        if self.window != round(self.window):
            raise ValueError("window is a whole number of seconds")
        return self


class Provider(Strict):
    api: Api
    model: str = Field(min_length=1)
    versions: dict[VersionName, ModelVersion] = Field(
        default_factory=dict,
        description="Versions of the model it serves, answering as model@version (default: none, the model as asked).",
    )
    version: VersionName | None = Field(
        None, description="The version served to requests that do not pin one (default: the first of versions)."
    )
    price: Price | None = Field(
        None, description="Without a price, cost is not measured (a cost SLO needs every price)."
    )
    latency: LatencyProfile = Field(
        default_factory=LatencyProfile,
        description="How fast it answers when healthy (default: 500ms to the first token, +-100ms, 50 tokens/s).",
    )
    eval_set: Path | None = Field(None, description="Eval prompts this provider answers (default: load.eval_set).")
    proxy: Name | None = Field(None, description="Its Toxiproxy proxy's name (default: the provider's name).")
    quota: Quota | None = Field(
        None,
        description="The mock provider's standing quota: requests over it get 429 with the real wait as "
        "retry-after (default: none; chaos capacity probe finds the load it holds).",
    )

    @model_validator(mode="after")
    def _served_version_is_one(self) -> Provider:
        if self.version is not None and self.version not in self.versions:
            known = ", ".join(self.versions) or "none: give versions"
            raise ValueError(f"version {quote(self.version)} is not one of its versions ({known})")
        return self

    @property
    def zero_latency(self) -> bool:
        return self.latency.ttft == 0 and self.latency.tokens_per_s == 0

    @property
    def default_version(self) -> str | None:
        """The version served to a request that pins none (None: the provider has no versions)."""
        return self.version if self.version is not None else next(iter(self.versions), None)

    def versioned_model(self, version: str) -> str:
        """The model string a version answers as, and a request pins it by."""
        return f"{self.model}{VERSION_SEPARATOR}{version}"

    def latency_of(self, version: str | None) -> LatencyProfile:
        own = self.versions[version].latency if version in self.versions else None
        return own if own is not None else self.latency


class Load(Strict):
    """The users the run simulates; every default is meant to work for a first scenario."""

    locustfile: Path | None = Field(None, description="Default: the built-in chat mix (chaos.load).")
    users: int = Field(
        ge=1, le=MAX_USERS, description="Concurrent users, each sending a request, waiting for it and thinking."
    )
    spawn_rate: float = Field(
        DEFAULT_SPAWN_RATE,
        ge=MIN_SPAWN_RATE,
        le=MAX_SPAWN_RATE,
        description=(
            "Users started per second. Default 10: gentle on a laptop and on the target's connection pool; "
            "the ramp-up is part of the warm-up, so it is never judged."
        ),
    )
    duration: Duration = Field(gt=0, description="How long the load runs; every fault's window lies inside it.")
    warmup: Duration = Field(
        10.0, description="Not judged after the ramp-up (default 10s: connection pools and caches fill)."
    )
    client_timeout: Duration = Field(
        60.0, gt=0, description="A request taking longer fails as a timeout (default 60s, as the SDKs' own)."
    )
    stop_grace: Duration | None = Field(
        None, description="Wait for in-flight requests at the end (default: expected p99)."
    )
    processes: int = Field(1, ge=1, le=64, description="Locust worker processes (default 1: a single local process).")
    wait: Wait = Field(
        default_factory=Wait,
        description="Think time between a user's requests (default 0.5s to 1.5s, a person's pace between messages).",
    )
    max_tokens: int = Field(
        64,
        ge=1,
        le=MAX_TOKENS,
        description="max_tokens of each chat request (default 64: short answers, many requests, small bills).",
    )
    eval_set: Path | None = Field(None, description="JSONL of eval prompts (id, prompt, expected, match).")
    mix: Mix = Field(
        CHAT_MIX,
        description=(
            "Shares of chat_stream, chat and eval requests; the kinds written are the mix (a kind not written "
            "gets none) and add up to 100%. Default: 70% chat_stream and 30% chat; with load.eval_set, "
            "60% chat_stream, 30% chat and 10% eval."
        ),
    )
    shape: Shape | None = Field(None, description="Stages or bursts (default: users constant after the ramp-up).")

    @model_validator(mode="before")
    @classmethod
    def _evals_by_default(cls, data: Any) -> Any:
        # Eval traffic by default only where there are evals to send.
        if isinstance(data, dict) and "mix" not in data and data.get("eval_set") is not None:
            return {**data, "mix": CHAT_AND_EVAL_MIX}
        return data

    @property
    def ramp_up(self) -> float:
        """Seconds until the first target user count is reached."""
        if self.shape is not None and self.shape.stages is not None:
            first = self.shape.stages[0]
            return min(first.until, first.users / first.spawn_rate)
        return self.users / self.spawn_rate

    @property
    def judged_from(self) -> float:
        """The end of warm-up: ramp-up plus ``warmup``."""
        return self.ramp_up + self.warmup


class Stack(Strict):
    """Where the run's components are, when it does not start them itself."""

    toxiproxy: str | None = Field(None, description="URL of a running Toxiproxy (required in staging).")
    toxiproxy_server: Literal["embedded", "binary"] = Field(
        "embedded", description="Locally, without a URL: the embedded server or toxiproxy-server from PATH."
    )
    providers_admin: str | None = Field(None, description="URL of the mock providers' admin API (required in staging).")
    docker: str | None = Field(None, description="Docker API URL for container faults (default: DOCKER_HOST).")
    lease_ttl: Duration = Field(
        30.0,
        ge=5,
        le=3600,
        description="How long the environment stays leased after the run's last heartbeat (every 2s): a dead run's "
        "faults are reverted by the janitor this long after it died (default 30s).",
    )


class Leftovers(StrEnum):
    """What a staging run does when the environment holds faults it did not make."""

    REFUSE = "refuse"  # exit 2, listing them and the chaos reset that clears them
    ALLOW = "allow"  # run on top of them; the journal lists them


class Safety(Strict):
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "::1"],
        description="Hosts a run may reach; anything else is refused before it starts (default: this machine only).",
    )
    leftovers: Leftovers = Field(
        Leftovers.REFUSE,
        description="Staging: toxics, disabled proxies or provider behaviours this run did not make are refused "
        "(listed, with the chaos reset that clears them), or allowed (listed in the journal).",
    )


class Scenario(Strict):
    version: Literal[1] = Field(description="Version of the scenario language.")
    name: Name
    description: str = Field("", description="What the scenario proves, for the people who read its reports.")
    environment: Environment = Field(
        Environment.LOCAL,
        description="local: the run starts the mocks, Toxiproxy and the target (default); staging: reached by URL.",
    )
    degraded: DegradedPolicy = Field(
        DegradedPolicy.BAD,
        description="Do cached/canned answers count as available? (default bad: not the answer the user asked for)",
    )
    target: Target
    providers: dict[Name, Provider] = Field(min_length=1, description="In fallback order.")
    load: Load
    faults: list[Fault] = Field(default_factory=list)
    settle: Duration = Field(
        10.0,
        description=(
            "Not judged after a restore when no other fault is active (default 10s: retries and breakers calm down; "
            "recovery is timed in it)."
        ),
    )
    min_segment: Duration = Field(
        1.0,
        gt=0,
        description="A segment shorter than this is not judged; faults meant to start (or stop) together whose "
        "actual times differ by less are cut together (default 1s).",
    )
    slos: dict[str, Slo] = Field(min_length=1)
    alerts: list[AlertRule] = Field(
        default_factory=lambda: list(DEFAULT_ALERTS),
        description="Burn-rate alert rules (default: the SRE workbook's tiers, windows scaled to runs of minutes).",
    )
    expect: list[Expectation] = Field(default_factory=list)
    abort: list[AbortRule] = Field(default_factory=list)
    budget: list[BudgetRule] = Field(
        default_factory=list,
        description="The error-budget policy: when an SLO burns its budget over a window past a threshold, "
        "rollback, freeze or page (the verdict says when each would have fired; a freeze refuses the next run).",
    )
    safety: Safety = Field(default_factory=Safety)
    stack: Stack = Field(default_factory=Stack)
    change: Change | None = Field(
        None, description="A canary plan for a new model version: steps of traffic share, gates, rollback."
    )
    observe: Observe = Field(
        default_factory=Observe,
        description="Checks on the target's own traces, logs, metrics and alerts against what the run did "
        "(default: none).",
    )
    capacity: CapacityProbe | None = Field(
        None, description="The steps chaos capacity probe climbs to find the knee (chaos run ignores it)."
    )

    @model_validator(mode="before")
    @classmethod
    def _infer_slis(cls, data: Any) -> Any:
        if isinstance(data, dict) and "slos" in data:
            return {**data, "slos": infer_slis(data["slos"])}
        return data

    @model_validator(mode="before")
    @classmethod
    def _serve_providers_in_the_target_api(cls, data: Any) -> Any:
        """``target.provider_api`` is every provider's api: the one place that applies it."""
        target = data.get("target") if isinstance(data, dict) else None
        api = target.get("provider_api") if isinstance(target, dict) else None
        providers = data.get("providers")
        if api not in {member.value for member in Api} or not isinstance(providers, dict):
            return data  # an api that is not one is refused at target.provider_api
        served = {
            name: {**entry, "api": api} if isinstance(entry, dict) else entry for name, entry in providers.items()
        }
        return {**data, "providers": served}

    def fault(self, name: str) -> Fault:
        return next(fault for fault in self.faults if fault.name == name)

    def served_by_values(self) -> dict[str, str]:
        """What the target may report as having served a request -> the provider it names:
        ``target.served_by.map`` first, then each provider's name, then its model and each
        model@version it answers as (a model two providers share names the first in
        fallback order). The load records by it
        and the verdict counts by it."""
        values: dict[str, str] = {}
        for name, provider in self.providers.items():
            values.setdefault(provider.model, name)
            for version in provider.versions:
                values.setdefault(provider.versioned_model(version), name)
        values.update({name: name for name in self.providers})
        values.update(self.target.served_by.map)
        return values
