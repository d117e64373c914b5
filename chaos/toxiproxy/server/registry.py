"""Every proxy of the embedded server, and the API's operations on them, with Toxiproxy's
rules (``api.go``, ``proxy_collection.go``, ``toxic_collection.go``): which field is
required, which error comes first, what populate keeps and what it replaces.
"""

from __future__ import annotations

import asyncio
from typing import Any

from chaos.toxiproxy.models import Stream
from chaos.toxiproxy.server.decode import (
    PROXY_FIELDS,
    TOXIC_FIELDS,
    TOXIC_UPDATE_FIELDS,
    list_of_objects,
    struct_fields,
)
from chaos.toxiproxy.server.errors import (
    ApiError,
    invalid_stream,
    invalid_toxic_type,
    missing_field,
    proxy_exists,
    proxy_not_found,
    toxic_exists,
    toxic_not_found,
)
from chaos.toxiproxy.server.metrics import ConnectionCounts
from chaos.toxiproxy.server.proxy import Proxy, ProxyToxic
from chaos.toxiproxy.server.toxics import KINDS, ToxicKind

PROXY_STRUCT = "toxiproxy.Proxy"
TOXIC_STRUCT = "toxics.ToxicWrapper"


class Registry:
    """The proxies by name. Changes that wait (binding a listener) hold one lock, so that two
    requests never interleave halfway through each other.
    """

    def __init__(self) -> None:
        self.proxies: dict[str, Proxy] = {}
        self.counts: dict[str, ConnectionCounts] = {}
        self._lock = asyncio.Lock()

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise proxy_not_found()
        return proxy

    # -- proxies ----------------------------------------------------------------------

    async def create(self, body: Any) -> Proxy:
        fields = struct_fields(body, PROXY_STRUCT, PROXY_FIELDS)
        for required in ("name", "upstream"):
            if not fields.get(required):
                raise missing_field(required)
        async with self._lock:
            if fields["name"] in self.proxies:
                raise proxy_exists()
            proxy = self._new_proxy(fields)
            if fields.get("enabled", True):
                await proxy.start()
            self.proxies[proxy.name] = proxy
        return proxy

    async def populate(self, body: Any) -> list[Proxy]:
        """Check every entry first, then add or replace each in turn (not atomic: on an error,
        ``PopulateError`` carries the proxies done so far).
        """
        entries = [struct_fields(entry, PROXY_STRUCT, PROXY_FIELDS) for entry in list_of_objects(body, PROXY_STRUCT)]
        for number, fields in enumerate(entries, start=1):
            for required in ("name", "upstream"):
                if not fields.get(required):
                    raise missing_field(f"{required} at proxy {number}")
        done: list[Proxy] = []
        async with self._lock:
            for fields in entries:
                try:
                    done.append(await self._add_or_replace(fields))
                except ApiError as exc:
                    raise PopulateError(exc, done) from exc
        return done

    async def update(self, name: str, body: Any) -> Proxy:
        async with self._lock:
            proxy = self.get(name)
            fields = struct_fields(body, PROXY_STRUCT, PROXY_FIELDS)
            listen = fields.get("listen", proxy.listen)
            upstream = fields.get("upstream", proxy.upstream)
            enabled = fields.get("enabled", proxy.enabled)
            if await proxy.differs(listen, upstream):
                await proxy.stop()
                proxy.listen, proxy.upstream = listen, upstream
            if enabled and not proxy.enabled:
                await proxy.start()
            elif not enabled:
                await proxy.stop()
        return proxy

    async def delete(self, name: str) -> None:
        async with self._lock:
            proxy = self.get(name)
            await proxy.stop()
            del self.proxies[name]

    async def reset(self) -> None:
        """Every proxy enabled, every toxic removed."""
        async with self._lock:
            for proxy in list(self.proxies.values()):
                await proxy.start()
                proxy.remove_all_toxics()

    async def close(self) -> None:
        async with self._lock:
            for proxy in self.proxies.values():
                await proxy.stop()

    async def _add_or_replace(self, fields: dict[str, Any]) -> Proxy:
        existing = self.proxies.get(fields["name"])
        if existing is not None:
            if not await existing.differs(fields.get("listen", ""), fields["upstream"]):
                return existing
            await existing.stop()
        proxy = self._new_proxy(fields)
        if fields.get("enabled", True):
            await proxy.start()
        self.proxies[proxy.name] = proxy
        return proxy

    def _new_proxy(self, fields: dict[str, Any]) -> Proxy:
        name = fields["name"]
        counts = self.counts.setdefault(name, ConnectionCounts())
        return Proxy(name=name, listen=fields.get("listen", ""), upstream=fields["upstream"], counts=counts)

    # -- toxics -----------------------------------------------------------------------

    def add_toxic(self, proxy_name: str, body: Any) -> ProxyToxic:
        proxy = self.get(proxy_name)
        fields = struct_fields(body, TOXIC_STRUCT, TOXIC_FIELDS)
        stream = _stream(fields.get("stream", "downstream"))
        kind = KINDS.get(fields.get("type", ""))
        name = fields.get("name") or f"{fields.get('type', '')}_{stream}"
        if kind is None:
            raise invalid_toxic_type()
        if proxy.find_toxic(name) is not None:
            raise toxic_exists()
        attributes = _attributes(kind, fields.get("attributes"), dict(kind.defaults))
        toxic = ProxyToxic(name, kind, stream, fields.get("toxicity", 1.0), attributes)
        proxy.add_toxic(toxic)
        return toxic

    def get_toxic(self, proxy_name: str, name: str) -> ProxyToxic:
        toxic = self.get(proxy_name).find_toxic(name)
        if toxic is None:
            raise toxic_not_found()
        return toxic

    def update_toxic(self, proxy_name: str, name: str, body: Any) -> ProxyToxic:
        """Attributes are merged into the toxic's; toxicity is kept unless given."""
        proxy = self.get(proxy_name)
        toxic = self.get_toxic(proxy_name, name)
        fields = struct_fields(body, TOXIC_STRUCT, TOXIC_UPDATE_FIELDS)
        attributes = _attributes(toxic.kind, fields.get("attributes"), dict(toxic.attributes))
        proxy.update_toxic(toxic, fields.get("toxicity", toxic.toxicity), attributes)
        return toxic

    def delete_toxic(self, proxy_name: str, name: str) -> None:
        proxy = self.get(proxy_name)
        proxy.remove_toxic(self.get_toxic(proxy_name, name))


class PopulateError(ApiError):
    """Populate stopped at an error; ``done`` are the proxies it had added or kept."""

    def __init__(self, error: ApiError, done: list[Proxy]) -> None:
        super().__init__(error.message, error.status)
        self.done = done


def _stream(text: str) -> Stream:
    try:
        return Stream(text.lower())
    except ValueError:
        raise invalid_stream() from None


def _attributes(kind: ToxicKind, given: dict[str, Any] | None, base: dict[str, int]) -> dict[str, int]:
    struct = f"toxics.{kind.name.title().replace('_', '')}Toxic.attributes"
    base.update(struct_fields(given, struct, dict.fromkeys(kind.defaults, int)))
    return base
