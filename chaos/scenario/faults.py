"""Faults: what breaks, where, when, and how it changes over its window.

A fault names exactly one kind by the key it carries::

    - name: primary-503
      at: 20s
      for: 40s
      provider: primary
      http_error: {status: 503, rate: 100%}
      schedule: {ramp: {rate: [5%, 100%]}}

Provider kinds are switched on the mock providers through their admin API; ``network``
adds a Toxiproxy toxic (or disables the proxy, ``down``) between the target and a
provider; ``container`` acts on a container or compose service through Docker.

The kinds are one registry: ``FaultKind``, each kind's settings (``BEHAVIOURS`` for the
provider kinds, ``Network`` for the toxics, ``Container``) and the key a ``Fault``
carries for it. The mock providers accept exactly ``BEHAVIOURS``, and a run carries out
each kind through ``chaos.faults.registry``; tests/scenario/test_fault_kinds.py holds
every side to every kind, so that a kind one of them lacks fails there, not mid-run.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from chaos.scenario.base import MAX_TOKENS, MAX_TOKENS_PER_S, MIN_TOKENS_PER_S, Name, Strict
from chaos.scenario.units import Duration, Percent

MAX_QUOTA = 1_000_000_000  # per minute
MAX_TOXIC_SIZE = 1_000_000_000  # bytes, or KB/s


class FaultKind(StrEnum):
    HTTP_ERROR = "http_error"
    RATE_LIMIT = "rate_limit"
    SLOW_FIRST_TOKEN = "slow_first_token"
    SLOW_TOKENS = "slow_tokens"
    STREAM_CUT = "stream_cut"
    HANG = "hang"
    TOKEN_INFLATION = "token_inflation"
    QUALITY = "quality"
    MODEL_SWAP = "model_swap"
    NETWORK = "network"
    CONTAINER = "container"

    @property
    def is_provider_behaviour(self) -> bool:
        return self in BEHAVIOURS


class Scope(Strict):
    """Which requests a provider behaviour applies to; every field narrows it."""

    model: str | None = None
    endpoint: str | None = None
    stream: bool | None = None


class ProviderBehaviour(Strict):
    """Fields every provider behaviour shares."""

    rate: Percent = Field(1.0, description="Share of matching requests affected (seeded, reproducible).")
    scope: Scope | None = None


class HttpError(ProviderBehaviour):
    status: int = Field(ge=400, le=599, description="HTTP status, e.g. 500, 503, 529, 400, 413.")
    retry_after: Duration | None = Field(None, description="Sent as a retry-after header when set.")
    message: str | None = None


class RateLimit(ProviderBehaviour):
    """429s: a share of requests (``rate``), or real quotas whose retry-after is the real wait."""

    retry_after: Duration | None = None
    rpm: int | None = Field(None, ge=1, le=MAX_QUOTA, description="Requests per minute before 429s.")
    tpm: int | None = Field(None, ge=1, le=MAX_QUOTA, description="Tokens per minute before 429s.")


class SlowFirstToken(ProviderBehaviour):
    delay: Duration = Field(description="Added before the first token (and before headers of a non-stream answer).")
    jitter: Duration = 0.0


class SlowTokens(ProviderBehaviour):
    inter_token: Duration | None = Field(None, description="Gap between tokens.")
    tokens_per_s: float | None = Field(None, ge=MIN_TOKENS_PER_S, le=MAX_TOKENS_PER_S)

    @model_validator(mode="after")
    def _one_pace(self) -> SlowTokens:
        if (self.inter_token is None) == (self.tokens_per_s is None):
            raise ValueError("give exactly one of inter_token or tokens_per_s")
        return self


class CutMode(StrEnum):
    DISCONNECT = "disconnect"  # connection dropped mid-stream
    TRUNCATE = "truncate"  # stream ends cleanly but early, no terminal event
    MALFORMED = "malformed"  # a chunk that is not valid JSON
    STALL = "stall"  # the stream stops sending but stays open
    ERROR = "error"  # an error event inside the 200 stream (Anthropic's event: error)


class StreamCut(ProviderBehaviour):
    after_tokens: int = Field(10, ge=0, le=MAX_TOKENS)
    mode: CutMode = CutMode.DISCONNECT


class Hang(ProviderBehaviour):
    """The request is accepted and never answered."""


class TokenInflation(ProviderBehaviour):
    factor: float = Field(gt=1, le=100, description="Output tokens multiplied by this, ignoring max_tokens.")


class Quality(ProviderBehaviour):
    pass_rate: Percent = Field(description="Share of eval prompts answered correctly.")
    model_version: str | None = Field(None, description="The model string the provider now reports.")


class ModelSwap(ProviderBehaviour):
    """The provider silently serves another of its versions to requests that pin none."""

    version: str = Field(min_length=1, description="One of the provider's versions.")


# The provider behaviours: each kind's settings, as a scenario writes them and as the mock
# providers' admin API takes them (``PUT /behaviours/{name}``).
BEHAVIOURS: dict[FaultKind, type[ProviderBehaviour]] = {
    FaultKind.HTTP_ERROR: HttpError,
    FaultKind.RATE_LIMIT: RateLimit,
    FaultKind.SLOW_FIRST_TOKEN: SlowFirstToken,
    FaultKind.SLOW_TOKENS: SlowTokens,
    FaultKind.STREAM_CUT: StreamCut,
    FaultKind.HANG: Hang,
    FaultKind.TOKEN_INFLATION: TokenInflation,
    FaultKind.QUALITY: Quality,
    FaultKind.MODEL_SWAP: ModelSwap,
}


class Stream(StrEnum):
    UPSTREAM = "upstream"  # client -> provider
    DOWNSTREAM = "downstream"  # provider -> client


class Toxic(Strict):
    provider: Name = Field(description="The provider whose proxy gets the toxic.")
    stream: Stream = Stream.DOWNSTREAM
    toxicity: Percent = 1.0


class LatencyToxic(Toxic):
    toxic: Literal["latency"]
    latency: Duration
    jitter: Duration = 0.0


class BandwidthToxic(Toxic):
    toxic: Literal["bandwidth"]
    rate: int = Field(ge=0, le=MAX_TOXIC_SIZE, description="KB/s")


class SlowCloseToxic(Toxic):
    toxic: Literal["slow_close"]
    delay: Duration


class TimeoutToxic(Toxic):
    toxic: Literal["timeout"]
    timeout: Duration = Field(0.0, description="Close after this; 0 holds the connection until restored.")


class ResetPeerToxic(Toxic):
    toxic: Literal["reset_peer"]
    timeout: Duration = 0.0


class SlicerToxic(Toxic):
    toxic: Literal["slicer"]
    average_size: int = Field(ge=1, le=MAX_TOXIC_SIZE)
    size_variation: int = Field(0, ge=0, le=MAX_TOXIC_SIZE)
    delay: Duration = 0.0


class LimitDataToxic(Toxic):
    toxic: Literal["limit_data"]
    bytes: int = Field(ge=0, le=MAX_TOXIC_SIZE)


class Down(Strict):
    """The proxy is disabled: connections are refused by the kernel."""

    toxic: Literal["down"]
    provider: Name


# The toxics Toxiproxy adds (``chaos.toxiproxy.mapping``); ``down`` disables the proxy.
ToxicSpec = (
    LatencyToxic | BandwidthToxic | SlowCloseToxic | TimeoutToxic | ResetPeerToxic | SlicerToxic | LimitDataToxic
)
Network = Annotated[ToxicSpec | Down, Field(discriminator="toxic")]


class ContainerAction(StrEnum):
    STOP = "stop"
    PAUSE = "pause"
    KILL = "kill"
    RESTART = "restart"


class Container(Strict):
    name: str | None = Field(None, description="A container name or id.")
    service: str | None = Field(None, description="A compose service.")
    action: ContainerAction

    @model_validator(mode="after")
    def _one_target(self) -> Container:
        if (self.name is None) == (self.service is None):
            raise ValueError("give exactly one of name or service")
        return self


class Flap(Strict):
    on: Duration = Field(gt=0)
    off: Duration = Field(gt=0)


class Schedule(Strict):
    """How a fault changes inside its window; the window itself is not cut."""

    ramp: dict[str, tuple[Any, Any]] | None = Field(
        None, description="Parameters moved linearly from a first to a last value, e.g. {rate: [5%, 100%]}."
    )
    flap: Flap | None = None
    steps: list[dict[str, Any]] | None = Field(
        None,
        description="Settings applied at offsets into the window, e.g. [{at: 0s, rate: 10%}, {at: 10s, rate: 50%}].",
    )
    every: Duration = Field(1.0, gt=0, description="How often a ramp updates the fault.")

    @model_validator(mode="after")
    def _one_form(self) -> Schedule:
        given = [form for form in ("ramp", "flap", "steps") if getattr(self, form) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of ramp, flap or steps")
        return self


# The settings of any kind.
FaultSpec = ProviderBehaviour | ToxicSpec | Down | Container


class Fault(Strict):
    name: Name
    at: Duration = Field(description="Offset from the start of load.")
    duration: Duration | None = Field(None, alias="for", gt=0, description="Open-ended (until load stops) if omitted.")
    provider: Name | None = Field(None, description="The provider a behaviour fault applies to.")
    schedule: Schedule | None = None

    http_error: HttpError | None = None
    rate_limit: RateLimit | None = None
    slow_first_token: SlowFirstToken | None = None
    slow_tokens: SlowTokens | None = None
    stream_cut: StreamCut | None = None
    hang: Hang | None = None
    token_inflation: TokenInflation | None = None
    quality: Quality | None = None
    model_swap: ModelSwap | None = None
    network: Network | None = None
    container: Container | None = None

    @model_validator(mode="before")
    @classmethod
    def _empty_hang(cls, data: Any) -> Any:
        # ``hang:`` alone (YAML null) or ``hang: {}`` both mean "hang every request".
        if isinstance(data, dict) and "hang" in data and data["hang"] is None:
            return {**data, "hang": {}}
        return data

    def _keys(self) -> dict[FaultKind, FaultSpec | None]:
        """The settings under each kind's key (the key is the kind's name; every kind has one)."""
        return {
            FaultKind.HTTP_ERROR: self.http_error,
            FaultKind.RATE_LIMIT: self.rate_limit,
            FaultKind.SLOW_FIRST_TOKEN: self.slow_first_token,
            FaultKind.SLOW_TOKENS: self.slow_tokens,
            FaultKind.STREAM_CUT: self.stream_cut,
            FaultKind.HANG: self.hang,
            FaultKind.TOKEN_INFLATION: self.token_inflation,
            FaultKind.QUALITY: self.quality,
            FaultKind.MODEL_SWAP: self.model_swap,
            FaultKind.NETWORK: self.network,
            FaultKind.CONTAINER: self.container,
        }

    @model_validator(mode="after")
    def _one_kind(self) -> Fault:
        kinds = [kind for kind, spec in self._keys().items() if spec is not None]
        if len(kinds) != 1:
            names = ", ".join(kind.value for kind in FaultKind)
            found = f"found {', '.join(k.value for k in kinds)}" if kinds else "found none"
            raise ValueError(f"a fault takes exactly one kind key ({names}); {found}")
        kind = kinds[0]
        if kind.is_provider_behaviour and self.provider is None:
            raise ValueError(f"a {kind.value} fault needs provider: (the provider that misbehaves)")
        if not kind.is_provider_behaviour and self.provider is not None:
            where = "network.provider" if kind is FaultKind.NETWORK else "container.name or container.service"
            raise ValueError(f"a {kind.value} fault takes no top-level provider:; use {where}")
        return self

    @property
    def kind(self) -> FaultKind:
        return next(kind for kind, spec in self._keys().items() if spec is not None)

    @property
    def spec(self) -> FaultSpec:
        return next(spec for spec in self._keys().values() if spec is not None)

    @property
    def target_provider(self) -> str | None:
        """The provider this fault hits, for behaviour and network faults alike."""
        if self.provider is not None:
            return self.provider
        network = self.network
        return network.provider if network is not None else None

    def end(self, load_duration: float) -> float:
        return load_duration if self.duration is None else self.at + self.duration
