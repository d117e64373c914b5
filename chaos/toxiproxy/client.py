"""A small typed client for Toxiproxy's HTTP API (a real 2.12 server or the embedded one).

    async with ToxiproxyClient("http://127.0.0.1:8474") as toxiproxy:
        proxy = await toxiproxy.create_proxy("primary", "127.0.0.1:9001")
        await toxiproxy.add_toxic("primary", "latency", name="chaos-r1-slow", attributes={"latency": 400})
        await toxiproxy.reset_run("r1")

Every call has a timeout; every error status becomes a typed error carrying Toxiproxy's
message (``chaos.toxiproxy.errors``). Nothing is kept at module level, so one process can
drive many servers.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from chaos.ownership import owned_by
from chaos.records import ProxyCounters
from chaos.toxiproxy.errors import ERRORS_BY_STATUS, ToxiproxyError, ToxiproxyUnreachable
from chaos.toxiproxy.models import Proxy, ProxySpec, Stream, Toxic

# The embedded server's own counters (``/metrics``); a real Toxiproxy has none of them.
COUNTER_METRICS = {
    "chaos_proxy_connections_accepted_total": "accepted",
    "chaos_proxy_connections_cut_total": "cut",
    "chaos_proxy_connections_reset_total": "reset",
}
_SAMPLE = re.compile(r'^(?P<metric>[a-z_]+)\{proxy="(?P<proxy>(?:[^"\\]|\\.)*)"\} (?P<value>\S+)$')
_PROXIES = TypeAdapter(dict[str, Proxy])
_PROXY_LIST = TypeAdapter(list[Proxy] | None)
_TOXICS = TypeAdapter(list[Toxic])
_PROXY = TypeAdapter(Proxy)
_TOXIC = TypeAdapter(Toxic)
T = TypeVar("T")


@dataclass(frozen=True)
class ScopedReset:
    """What ``reset_run`` undid: toxics removed as ``(proxy, toxic)``, and proxies re-enabled."""

    removed: list[tuple[str, str]] = field(default_factory=list)
    enabled: list[str] = field(default_factory=list)


class ToxiproxyClient:
    """One Toxiproxy server, reached at ``base_url``; every request times out after ``timeout`` s."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=httpx.Timeout(timeout))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- server -----------------------------------------------------------------------

    async def version(self) -> str:
        body = await self._json("GET", "/version")
        return str(body["version"])

    async def reset(self) -> None:
        """Server-wide: every proxy enabled, every toxic removed (also other runs' toxics)."""
        await self._request("POST", "/reset")

    async def reset_run(self, run_id: str, *, enable: Iterable[str] = ()) -> ScopedReset:
        """Remove only the toxics ``run_id`` owns (named ``chaos-<run>-...``, see
        ``chaos.ownership``), and re-enable the proxies in ``enable`` (those the run
        disabled). Idempotent: what is already gone is skipped.
        """
        removed: list[tuple[str, str]] = []
        for proxy in (await self.proxies()).values():
            for toxic in proxy.toxics:
                if owned_by(run_id, toxic.name) and await self._delete_if_present(_toxics_path(proxy.name, toxic.name)):
                    removed.append((proxy.name, toxic.name))
        enabled: list[str] = []
        for name in enable:
            try:
                await self.update_proxy(name, enabled=True)
            except ToxiproxyError as exc:
                if exc.status != 404:
                    raise
                continue
            enabled.append(name)
        return ScopedReset(removed=removed, enabled=enabled)

    async def counters(self) -> list[ProxyCounters]:
        """Connections each proxy accepted, cut and reset, from the embedded server's
        ``/metrics``; an empty list from a server without them (a real Toxiproxy).
        """
        response = await self._send("GET", "/metrics")
        if response.status_code != 200:
            return []
        now = time.time()
        counts: dict[str, dict[str, int]] = {}
        for line in response.text.splitlines():
            match = _SAMPLE.match(line)
            if match is None or match["metric"] not in COUNTER_METRICS:
                continue
            proxy = re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], match["proxy"])
            counts.setdefault(proxy, {})[COUNTER_METRICS[match["metric"]]] = int(float(match["value"]))
        return [
            ProxyCounters(
                t=now, proxy=name, accepted=c.get("accepted", 0), cut=c.get("cut", 0), reset=c.get("reset", 0)
            )
            for name, c in sorted(counts.items())
        ]

    # -- proxies ----------------------------------------------------------------------

    async def proxies(self) -> dict[str, Proxy]:
        return self._parse(_PROXIES, await self._json("GET", "/proxies"))

    async def create_proxy(
        self, name: str, upstream: str, *, listen: str = "127.0.0.1:0", enabled: bool = True
    ) -> Proxy:
        body = {"name": name, "upstream": upstream, "listen": listen, "enabled": enabled}
        return self._parse(_PROXY, await self._json("POST", "/proxies", body))

    async def populate(self, proxies: Sequence[ProxySpec]) -> list[Proxy]:
        """Create or replace ``proxies``. An existing proxy with the same upstream and the same
        resolved listen is kept with its toxics; one listening on port 0 always counts as moved.
        """
        body = await self._json("POST", "/populate", [spec.model_dump() for spec in proxies])
        return self._parse(_PROXY_LIST, body["proxies"]) or []

    async def proxy(self, name: str) -> Proxy:
        return self._parse(_PROXY, await self._json("GET", _proxy_path(name)))

    async def update_proxy(
        self, name: str, *, listen: str | None = None, upstream: str | None = None, enabled: bool | None = None
    ) -> Proxy:
        """Change what is given; ``enabled=False`` is Toxiproxy's ``down`` (refuse, and cut every connection)."""
        changes = {"listen": listen, "upstream": upstream, "enabled": enabled}
        body = {key: value for key, value in changes.items() if value is not None}
        return self._parse(_PROXY, await self._json("PATCH", _proxy_path(name), body))

    async def delete_proxy(self, name: str) -> None:
        await self._request("DELETE", _proxy_path(name))

    # -- toxics -----------------------------------------------------------------------

    async def toxics(self, proxy: str) -> list[Toxic]:
        return self._parse(_TOXICS, await self._json("GET", _toxics_path(proxy)))

    async def add_toxic(
        self,
        proxy: str,
        type: str,
        *,
        name: str | None = None,
        stream: Stream = Stream.DOWNSTREAM,
        toxicity: float = 1.0,
        attributes: dict[str, int] | None = None,
    ) -> Toxic:
        """Add a toxic (the server names it ``<type>_<stream>`` when ``name`` is None)."""
        body: dict[str, Any] = {"type": type, "stream": str(stream), "toxicity": toxicity}
        body["attributes"] = attributes or {}
        if name is not None:
            body["name"] = name
        return self._parse(_TOXIC, await self._json("POST", _toxics_path(proxy), body))

    async def toxic(self, proxy: str, name: str) -> Toxic:
        return self._parse(_TOXIC, await self._json("GET", _toxics_path(proxy, name)))

    async def update_toxic(
        self, proxy: str, name: str, *, attributes: dict[str, int] | None = None, toxicity: float | None = None
    ) -> Toxic:
        """Merge ``attributes`` into the toxic's; toxicity is kept unless given."""
        body: dict[str, Any] = {"attributes": attributes or {}}
        if toxicity is not None:
            body["toxicity"] = toxicity
        return self._parse(_TOXIC, await self._json("PATCH", _toxics_path(proxy, name), body))

    async def delete_toxic(self, proxy: str, name: str) -> None:
        await self._request("DELETE", _toxics_path(proxy, name))

    # -- plumbing ---------------------------------------------------------------------

    async def _delete_if_present(self, path: str) -> bool:
        try:
            await self._request("DELETE", path)
        except ToxiproxyError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    async def _json(self, method: str, path: str, body: object = None) -> Any:
        response = await self._request(method, path, body)
        try:
            return response.json()
        except ValueError as exc:
            raise ToxiproxyError(f"answer is not JSON: {response.text[:200]!r}", url=str(response.url)) from exc

    async def _request(self, method: str, path: str, body: object = None) -> httpx.Response:
        response = await self._send(method, path, body)
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    async def _send(self, method: str, path: str, body: object = None) -> httpx.Response:
        content = None if body is None else json.dumps(body).encode()
        try:
            return await self._http.request(method, path, content=content)
        except httpx.TimeoutException as exc:
            raise ToxiproxyUnreachable(f"{method} {path} timed out", url=self.base_url) from exc
        except httpx.TransportError as exc:
            raise ToxiproxyUnreachable(f"{method} {path} failed: {exc}", url=self.base_url) from exc

    def _parse(self, adapter: TypeAdapter[T], body: Any) -> T:
        try:
            return adapter.validate_python(body)
        except ValidationError as exc:
            raise ToxiproxyError(f"unexpected answer: {exc}", url=self.base_url) from exc


def _proxy_path(proxy: str) -> str:
    return f"/proxies/{quote(proxy, safe='')}"


def _toxics_path(proxy: str, toxic: str | None = None) -> str:
    path = f"{_proxy_path(proxy)}/toxics"
    return path if toxic is None else f"{path}/{quote(toxic, safe='')}"


def _error_from(response: httpx.Response) -> ToxiproxyError:
    """Toxiproxy's ``{"error": msg, "status": code}`` (served as text/plain) as a typed error."""
    message = response.text.strip() or response.reason_phrase
    try:
        body = json.loads(response.text)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        message = body["error"]
    kind = ERRORS_BY_STATUS.get(response.status_code, ToxiproxyError)
    request = response.request
    return kind(message, status=response.status_code, url=f"{request.method} {request.url}")
