"""The admin API's JSON shapes, as the server writes them and the client reads them.

One model per body, shared by ``chaos.providers.admin`` (the server) and
``chaos.providers.admin_client`` (the client), as ``chaos.toxiproxy.models`` is for
Toxiproxy. Readers ignore fields they do not know, so an older client can talk to a newer
server; request bodies forbid them, so a typo is a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, model_serializer, model_validator

from chaos.records import Finding, LedgerRow
from chaos.scenario.base import Api
from chaos.scenario.faults import BEHAVIOURS, FaultKind, ProviderBehaviour
from chaos.scenario.units import STRICT_UNITS

if TYPE_CHECKING:
    from chaos.providers.behaviours import Behaviour

MAX_LEASE_TTL_S = 3600.0
# The holder's secret, on every renewal and release of the lease (never in a URL: URLs are logged).
LEASE_TOKEN_HEADER = "X-Chaos-Lease-Token"
# Set in a providers process's environment, every admin request but /healthz and /metrics
# must carry it as ``Authorization: Bearer TOKEN``; `chaos run` and `chaos reset` send it
# from their own environment.
ADMIN_TOKEN_ENV = "CHAOS_ADMIN_TOKEN"


def admin_token(environ: Mapping[str, str]) -> str | None:
    return environ.get(ADMIN_TOKEN_ENV) or None


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Health(_Answer):
    ok: bool
    providers: int


class ProviderInfo(_Answer):
    """One provider of the process, in fallback order; ``url`` as its official SDK takes it."""

    name: str
    api: Api
    model: str
    url: str


class StoredBehaviour(_Answer):
    """A behaviour as the server holds it. On the wire its settings sit under the kind's
    key, as in a scenario fault: ``{"name", "provider", "http_error": {...}, "kind", ...}``."""

    name: str
    provider: str
    kind: FaultKind
    spec: SerializeAsAny[ProviderBehaviour]
    run: str | None
    ttl_s: float
    expires_at: float
    updated_at: float
    times_left: int | None = None  # requests it still applies to, when given a count

    @classmethod
    def of(cls, behaviour: Behaviour) -> StoredBehaviour:
        return cls(
            name=behaviour.name,
            provider=behaviour.provider,
            kind=behaviour.kind,
            spec=behaviour.spec,
            run=behaviour.run,
            ttl_s=behaviour.ttl_s,
            expires_at=behaviour.expires_at,
            updated_at=behaviour.updated_at,
            times_left=behaviour.times_left,
        )

    @model_validator(mode="before")
    @classmethod
    def _from_wire(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "spec" in data or not isinstance(data.get("kind"), str):
            return data
        kind = FaultKind(data["kind"])
        raw = data.get(kind.value)
        spec = BEHAVIOURS[kind].model_validate({} if raw is None else raw, context=STRICT_UNITS)
        return {**data, "spec": spec}

    @model_serializer(mode="wrap")
    def _to_wire(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        data.pop("spec", None)
        return {
            "name": self.name,
            "provider": self.provider,
            self.kind.value: self.spec.model_dump(mode="json", exclude_none=True),
            **data,
        }


class BehaviourList(_Answer):
    behaviours: list[StoredBehaviour]


class Deleted(_Answer):
    deleted: list[str]


class ResetDone(_Answer):
    behaviours_cleared: int
    ledger_cleared: bool


class LedgerPage(_Answer):
    """Rows after a sequence number, and the last sequence number the server has written."""

    rows: list[LedgerRow]
    last_seq: int


class Findings(_Answer):
    findings: list[Finding]


class LeaseRequest(BaseModel):
    """``PUT /lease``: take the lease, or renew it (then with the holder's token)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run: str = Field(min_length=1, description="The run id.")
    ttl_s: float = Field(30.0, gt=0, le=MAX_LEASE_TTL_S, allow_inf_nan=False)
    proxies: list[str] = Field(default_factory=list, description="Proxies the run disabled.")


class LeaseView(_Answer):
    """The lease as anyone may see it."""

    run: str
    ttl_s: float
    proxies: list[str]
    acquired_at: float
    renewed_at: float
    expires_at: float


class LeaseGrant(LeaseView):
    """The lease as its holder is told it: with the token that renews and releases it."""

    token: str = Field(repr=False)


class Released(_Answer):
    released: bool
    run: str | None = None  # whose lease ended


class ErrorBody(_Answer):
    """Every error answer: a message, and what else explains it."""

    error: str
    problems: list[str] | None = None
    holder: str | None = None
    lease: LeaseView | None = None
