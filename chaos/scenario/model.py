"""The scenario: one YAML file that says what breaks, under what load, judged by what.

The root model and the parts that describe the world a run acts on (target, providers,
load, stack, safety). Faults live in ``faults.py``; SLOs, alerts, expectations and abort
rules in ``objectives.py``; checks that span several parts in ``checks.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from chaos.envrefs import check_references
from chaos.errors import quote
from chaos.records import RequestKind
from chaos.scenario.base import Api, DegradedPolicy, Environment, Name, Strict
from chaos.scenario.faults import Fault
from chaos.scenario.objectives import DEFAULT_ALERTS, AbortRule, AlertRule, Expectation, Slo, infer_sli
from chaos.scenario.units import Duration, Money, Percent

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


class Target(Strict):
    """The system under test: started by the run (local) or reached at a URL (staging)."""

    start: list[str] | None = Field(
        None, min_length=1, description="Command to start it; `python` means the interpreter running chaos."
    )
    url: str | None = Field(None, description="Where it listens (staging), e.g. https://gateway.staging:8443.")
    health: str = Field("/healthz", description="A path answering 2xx when the target is ready.")
    ready_timeout: Duration = Field(30.0, gt=0)
    api: Api = Field(Api.OPENAI, description="The wire format the load speaks to the target.")
    provider_api: Api | None = Field(
        None,
        description="The one wire format the target speaks to its providers: every provider is served in it "
        "(default: each provider's own api).",
    )
    model: str = Field("gateway", description="The model name the load asks the target for.")
    headers: dict[str, EnvString] = Field(
        default_factory=dict, description="Sent with every request; ${ENV} references allowed."
    )
    env: dict[str, EnvString] = Field(default_factory=dict, description="Extra environment for a started target.")
    served_by: ServedBy = Field(default_factory=lambda: ServedBy(ledger=True))
    degraded_header: str = Field("x-degraded", description="Header by which the target marks cached/canned answers.")

    @field_validator("health")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"a health check is a path starting with /, got {quote(value)}")
        return value


class Price(Strict):
    input: Money = Field(description="USD per 1M input tokens.")
    output: Money = Field(description="USD per 1M output tokens.")


class LatencyProfile(Strict):
    """How fast a healthy provider answers; realistic by default."""

    ttft: Duration = Field(0.5, description="Mean time to first token.")
    jitter: Duration = Field(0.1, description="Uniform +- around ttft.")
    tokens_per_s: float = Field(50.0, ge=0, description="Streaming pace; 0 sends every token at once.")

    @model_validator(mode="after")
    def _jitter_below_ttft(self) -> LatencyProfile:
        if self.jitter > self.ttft:
            raise ValueError("jitter must not exceed ttft (a first token cannot come before the request)")
        return self


class Provider(Strict):
    api: Api
    model: str = Field(min_length=1)
    price: Price | None = None
    latency: LatencyProfile = Field(default_factory=LatencyProfile)
    eval_set: Path | None = Field(None, description="Eval prompts this provider answers (default: load.eval_set).")
    proxy: Name | None = Field(None, description="Its Toxiproxy proxy's name (default: the provider's name).")

    @property
    def zero_latency(self) -> bool:
        return self.latency.ttft == 0 and self.latency.tokens_per_s == 0


class Mix(Strict):
    """The traffic mix; shares add up to 100%."""

    chat_stream: Percent = 0.6
    chat: Percent = 0.3
    eval: Percent = 0.1

    @model_validator(mode="after")
    def _adds_up(self) -> Mix:
        total = self.chat_stream + self.chat + self.eval
        if abs(total - 1) > 1e-6:
            raise ValueError(f"the mix must add up to 100%, it adds up to {total * 100:g}%")
        return self

    def share(self, kind: RequestKind) -> float:
        share: float = getattr(self, kind.value)
        return share


class Wait(Strict):
    """Think time each user waits between requests, uniform in [min, max]."""

    min: Duration = 0.5
    max: Duration = 1.5

    @model_validator(mode="after")
    def _ordered(self) -> Wait:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Stage(Strict):
    until: Duration = Field(gt=0, description="Offset at which this stage ends.")
    users: int = Field(ge=0)
    spawn_rate: float = Field(gt=0)


class Bursts(Strict):
    every: Duration = Field(gt=0)
    length: Duration = Field(alias="for", gt=0)
    users: int = Field(ge=1, description="Users during a burst (instead of load.users).")
    spawn_rate: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _fits(self) -> Bursts:
        if self.length >= self.every:
            raise ValueError("a burst must be shorter than its period (for < every)")
        return self


class Shape(Strict):
    stages: list[Stage] | None = Field(None, min_length=1)
    bursts: Bursts | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Shape:
        if (self.stages is None) == (self.bursts is None):
            raise ValueError("give exactly one of stages or bursts")
        if self.stages is not None:
            ends = [stage.until for stage in self.stages]
            if ends != sorted(ends) or len(set(ends)) != len(ends):
                raise ValueError("stages must be in increasing order of until")
        return self


class Load(Strict):
    locustfile: Path | None = Field(None, description="Default: the built-in chat mix (chaos.load).")
    users: int = Field(ge=1)
    spawn_rate: float = Field(gt=0, description="Users started per second.")
    duration: Duration = Field(gt=0)
    warmup: Duration = Field(10.0, description="Not judged after the ramp-up.")
    client_timeout: Duration = Field(60.0, gt=0)
    stop_grace: Duration | None = Field(
        None, description="Wait for in-flight requests at the end (default: expected p99)."
    )
    processes: int = Field(1, ge=1, le=64, description="Locust worker processes (1: a single local process).")
    wait: Wait = Field(default_factory=Wait)
    mix: Mix = Field(default_factory=Mix)
    max_tokens: int = Field(64, ge=1, description="max_tokens of each chat request.")
    eval_set: Path | None = Field(None, description="JSONL of eval prompts (id, prompt, expected, match).")
    shape: Shape | None = None

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


class Safety(Strict):
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "::1"],
        description="Hosts a run may reach; anything else is refused before it starts.",
    )


class Scenario(Strict):
    version: Literal[1] = Field(description="Version of the scenario language.")
    name: Name
    description: str = ""
    environment: Environment = Environment.LOCAL
    degraded: DegradedPolicy = Field(DegradedPolicy.BAD, description="Do cached/canned answers count as available?")
    target: Target
    providers: dict[Name, Provider] = Field(min_length=1, description="In fallback order.")
    load: Load
    faults: list[Fault] = Field(default_factory=list)
    settle: Duration = Field(10.0, description="Not judged after a restore when no other fault is active.")
    slos: dict[str, Slo] = Field(min_length=1)
    alerts: list[AlertRule] = Field(default_factory=lambda: list(DEFAULT_ALERTS))
    expect: list[Expectation] = Field(default_factory=list)
    abort: list[AbortRule] = Field(default_factory=list)
    safety: Safety = Field(default_factory=Safety)
    stack: Stack = Field(default_factory=Stack)

    @model_validator(mode="before")
    @classmethod
    def _infer_slis(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("slos"), dict):
            slos = {name: infer_sli(str(name), entry) for name, entry in data["slos"].items()}
            return {**data, "slos": slos}
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
