"""A typed async client for the mock providers' admin API (``chaos.providers.admin``).

    async with AdminClient("http://127.0.0.1:9000", token=admin_token(os.environ)) as admin:
        lease = await admin.take_lease("r1", ttl_s=30, proxies=[])
        await admin.put_behaviour(
            "chaos-r1-outage", provider="primary", kind=FaultKind.HTTP_ERROR, spec=HttpError(status=503),
            run="r1", ttl_s=60,
        )
        page = await admin.ledger(after=0, run="r1")
        lease = await admin.take_lease("r1", ttl_s=30, proxies=["primary"], token=lease.token)  # a heartbeat
        await admin.release_lease(lease.token)

The orchestrator switches provider behaviours, holds the environment's lease and pulls
the billing ledger through it, locally and in staging alike. Every answer is read into
the models the server writes (``chaos.providers.admin_models``); every failure is an
``EnvironmentProblem`` that names the call.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from chaos.errors import EnvironmentProblem
from chaos.providers.admin_models import (
    LEASE_TOKEN_HEADER,
    BehaviourList,
    Deleted,
    ErrorBody,
    Findings,
    Health,
    LeaseGrant,
    LeaseRequest,
    LeaseView,
    LedgerPage,
    ProviderInfo,
    Released,
    ResetDone,
    StoredBehaviour,
)
from chaos.records import Finding
from chaos.scenario.faults import FaultKind, ProviderBehaviour

_PROVIDER_LIST = TypeAdapter(list[ProviderInfo])
_T = TypeVar("_T")


class AdminRefused(EnvironmentProblem):
    """The admin API answered with an error status; ``body`` is its error answer."""

    def __init__(self, message: str, *, status: int, body: ErrorBody | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.body = body


class LeaseHeld(AdminRefused):
    """Another run holds the environment."""

    def __init__(self, holder: str, url: str, *, status: int, body: ErrorBody | None) -> None:
        super().__init__(
            f"the environment at {url} is leased by run {holder}",
            status=status,
            body=body,
            hint=f"wait for it to end, or clear what it left with `chaos reset --run {holder}`",
        )
        self.holder = holder


class LeaseGone(AdminRefused):
    """A renewal found no lease held: it lapsed, or was broken."""


class AdminClient:
    """One providers process's admin API at ``base_url``; every request times out after
    ``timeout`` s and carries ``token``, the admin API's own (``CHAOS_ADMIN_TOKEN``), if given."""

    def __init__(self, base_url: str, *, timeout: float = 5.0, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        # Every request says JSON: the server refuses a change that does not (a browser's form).
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, headers=headers)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the process ------------------------------------------------------------------

    async def health(self) -> Health:
        return _read(Health, await self._call("GET", "/healthz"))

    async def providers(self) -> list[ProviderInfo]:
        return _read_adapter(_PROVIDER_LIST, await self._call("GET", "/providers"))

    async def reset(self, *, ledger: bool = False) -> ResetDone:
        """Every behaviour (of every run) cleared, and the ledger too if asked."""
        params = {"ledger": "true"} if ledger else {}
        return _read(ResetDone, await self._call("POST", "/reset", params=params))

    # -- behaviours -------------------------------------------------------------------

    async def behaviours(self) -> list[StoredBehaviour]:
        return _read(BehaviourList, await self._call("GET", "/behaviours")).behaviours

    async def put_behaviour(
        self,
        name: str,
        *,
        provider: str,
        kind: FaultKind,
        spec: ProviderBehaviour,
        run: str,
        ttl_s: float,
        times: int | None = None,
    ) -> StoredBehaviour:
        """Create or update ``name`` (a scenario provider fault's settings); refreshes its TTL.
        With ``times`` it applies to that many requests, then is gone."""
        body: dict[str, Any] = {
            "provider": provider,
            kind.value: spec.model_dump(mode="json", by_alias=True, exclude_none=True),
            "run": run,
            "ttl_s": ttl_s,
        }
        if times is not None:
            body["times"] = times
        return _read(StoredBehaviour, await self._call("PUT", f"/behaviours/{name}", json=body))

    async def delete_behaviour(self, name: str) -> bool:
        """True if it existed; deleting an absent behaviour is not an error (restore is idempotent)."""
        response = await self._call("DELETE", f"/behaviours/{name}", absent_ok=True)
        return response.status_code != 404

    async def delete_run_behaviours(self, run: str) -> list[str]:
        """Every behaviour of ``run``; returns their names."""
        return _read(Deleted, await self._call("DELETE", "/behaviours", params={"run": run})).deleted

    # -- the lease --------------------------------------------------------------------

    async def lease(self) -> LeaseView | None:
        response = await self._call("GET", "/lease", absent_ok=True)
        return None if response.status_code == 404 else _read(LeaseView, response)

    async def take_lease(self, run: str, *, ttl_s: float, proxies: list[str], token: str | None = None) -> LeaseGrant:
        """Take the lease, or renew it with the ``token`` it was granted with; raises
        ``LeaseHeld`` naming the holder when another run has it, ``LeaseGone`` when a
        renewal finds it lapsed or broken."""
        body = LeaseRequest(run=run, ttl_s=ttl_s, proxies=proxies).model_dump(mode="json")
        headers = {LEASE_TOKEN_HEADER: token} if token is not None else {}
        return _read(LeaseGrant, await self._call("PUT", "/lease", json=body, headers=headers))

    async def release_lease(self, token: str) -> bool:
        """Release the lease ``token`` was granted with; False if none was held. Raises
        ``AdminRefused`` (403) when another run holds it."""
        response = await self._call("DELETE", "/lease", headers={LEASE_TOKEN_HEADER: token})
        return _read(Released, response).released

    async def break_lease(self) -> str | None:
        """End the lease whoever holds it (``chaos reset --force``): the run it was, or None."""
        return _read(Released, await self._call("DELETE", "/lease", params={"force": "true"})).run

    # -- what the providers saw -------------------------------------------------------

    async def ledger(self, *, after: int = 0, run: str | None = None) -> LedgerPage:
        params: dict[str, str | int] = {"after": after}
        if run is not None:
            params["run"] = run
        return _read(LedgerPage, await self._call("GET", "/ledger", params=params))

    async def findings(self, run: str | None = None) -> list[Finding]:
        params = {"run": run} if run is not None else {}
        return _read(Findings, await self._call("GET", "/findings", params=params)).findings

    # -- plumbing ---------------------------------------------------------------------

    async def _call(self, method: str, path: str, *, absent_ok: bool = False, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise EnvironmentProblem(
                f"the providers' admin API at {self.base_url} did not answer {method} {path}: {type(exc).__name__}"
            ) from exc
        if response.is_success or (absent_ok and response.status_code == 404):
            return response
        raise self._refused(response)

    def _refused(self, response: httpx.Response) -> AdminRefused:
        try:
            body: ErrorBody | None = ErrorBody.model_validate_json(response.content)
        except ValidationError:
            body = None
        status = response.status_code
        if status == 409 and body is not None and body.holder is not None:
            return LeaseHeld(body.holder, self.base_url, status=status, body=body)
        if status == 410:
            return LeaseGone(
                f"the lease at {self.base_url} is gone: {body.error if body else ''}", status=status, body=body
            )
        said = body.error if body is not None else response.text[:300]
        problems = "; ".join(body.problems or []) if body is not None else ""
        request = response.request
        return AdminRefused(
            f"{request.method} {request.url.path} on the providers' admin API at {self.base_url} answered "
            f"{status}: {said}" + (f" ({problems})" if problems else ""),
            status=status,
            body=body,
        )


_Model = TypeVar("_Model", bound=BaseModel)


def _read(model: type[_Model], response: httpx.Response) -> _Model:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise _unexpected(response, exc) from exc


def _read_adapter(adapter: TypeAdapter[_T], response: httpx.Response) -> _T:
    try:
        return adapter.validate_json(response.content)
    except ValidationError as exc:
        raise _unexpected(response, exc) from exc


def _unexpected(response: httpx.Response, exc: ValidationError) -> EnvironmentProblem:
    request = response.request
    return EnvironmentProblem(
        f"{request.method} {request.url.path} on the providers' admin API: an answer this client cannot read "
        f"({exc.error_count()} problems, the first: {exc.errors()[0]['msg']})",
        hint="is it a chaos providers process of the same version?",
    )
