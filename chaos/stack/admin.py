"""A typed async client for the mock providers' admin API (DESIGN.md, "Contracts").

The orchestrator switches provider behaviours, holds the environment's lease and pulls
the billing ledger through it, locally and in staging alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from chaos.errors import EnvironmentProblem
from chaos.records import Finding, LedgerRow


class LeaseHeld(EnvironmentProblem):
    """Another run holds the environment."""

    def __init__(self, holder: str, url: str) -> None:
        super().__init__(
            f"the environment at {url} is leased by run {holder}",
            hint=f"wait for it to end, or clear what it left with `chaos reset --run {holder}`",
        )
        self.holder = holder


@dataclass(frozen=True)
class LedgerPage:
    rows: list[LedgerRow]
    last_seq: int


class ProvidersAdmin:
    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def __aenter__(self) -> ProvidersAdmin:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise EnvironmentProblem(
                f"the providers' admin API at {self.base_url} did not answer {method} {path}: {type(exc).__name__}"
            ) from exc

    def _check(self, response: httpx.Response, *ok: int) -> Any:
        if response.status_code not in ok:
            raise EnvironmentProblem(
                f"{response.request.method} {response.request.url.path} on the providers' admin API "
                f"answered {response.status_code}: {response.text[:300]}"
            )
        return response.json() if response.content else None

    async def health(self) -> None:
        self._check(await self._request("GET", "/healthz"), 200)

    async def providers(self) -> list[dict[str, Any]]:
        data = self._check(await self._request("GET", "/providers"), 200)
        return list(data["providers"] if isinstance(data, dict) else data)

    async def put_behaviour(
        self, name: str, *, provider: str, kind: str, spec: dict[str, Any], run: str, ttl_s: float
    ) -> dict[str, Any]:
        body = {"provider": provider, kind: spec, "run": run, "ttl_s": ttl_s}
        stored: dict[str, Any] = self._check(await self._request("PUT", f"/behaviours/{name}", json=body), 200, 201)
        return stored

    async def delete_behaviour(self, name: str) -> bool:
        """True if it existed; deleting an absent behaviour is not an error (restore is idempotent)."""
        response = await self._request("DELETE", f"/behaviours/{name}")
        self._check(response, 200, 204, 404)
        return response.status_code != 404

    async def behaviours(self) -> list[dict[str, Any]]:
        data = self._check(await self._request("GET", "/behaviours"), 200)
        return list(data["behaviours"] if isinstance(data, dict) else data)

    async def clear_run(self, run: str) -> None:
        self._check(await self._request("DELETE", "/behaviours", params={"run": run}), 200, 204)

    async def reset(self) -> None:
        self._check(await self._request("POST", "/reset"), 200, 204)

    async def acquire_lease(self, run: str, *, ttl_s: float, proxies: list[str]) -> dict[str, Any]:
        """Take or refresh the lease; raises ``LeaseHeld`` with the holder's id."""
        response = await self._request("PUT", "/lease", json={"run": run, "ttl_s": ttl_s, "proxies": proxies})
        if response.status_code == 409:
            raise LeaseHeld(str(response.json().get("holder", "?")), self.base_url)
        lease: dict[str, Any] = self._check(response, 200, 201)
        return lease

    async def lease(self) -> dict[str, Any] | None:
        response = await self._request("GET", "/lease")
        if response.status_code == 404:
            return None
        lease: dict[str, Any] = self._check(response, 200)
        return lease

    async def release_lease(self, run: str) -> None:
        response = await self._request("DELETE", "/lease", params={"run": run})
        if response.status_code == 409:
            raise LeaseHeld(str(response.json().get("holder", "?")), self.base_url)
        self._check(response, 200, 204, 404)

    async def ledger(self, *, after: int = 0, run: str | None = None) -> LedgerPage:
        params: dict[str, str | int] = {"after": after}
        if run is not None:
            params["run"] = run
        data = self._check(await self._request("GET", "/ledger", params=params), 200)
        rows = [LedgerRow.model_validate(row) for row in data["rows"]]
        return LedgerPage(rows, int(data.get("last_seq", after)))

    async def findings(self, run: str | None = None) -> list[Finding]:
        params = {"run": run} if run is not None else {}
        data = self._check(await self._request("GET", "/findings", params=params), 200)
        items = data["findings"] if isinstance(data, dict) else data
        return [Finding.model_validate(item) for item in items]
