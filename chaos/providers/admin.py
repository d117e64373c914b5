"""The admin API of one providers process (JSON, on its own port).

    GET    /healthz                  {"ok": true}
    GET    /providers                [{name, api, model, url}] in fallback order
    GET    /behaviours               {"behaviours": [...]}
    PUT    /behaviours/{name}        upsert {provider, <kind>: {...}, run, ttl_s (default 60), times};
                                     answers the stored behaviour with expires_at; refreshes the TTL;
                                     with times: N it applies to the next N requests, then is gone
    GET    /behaviours/{name}        one behaviour (404 if unknown or expired)
    DELETE /behaviours/{name}        404 if unknown
    DELETE /behaviours?run=ID        every behaviour of a run
    POST   /reset                    clears every behaviour and the rate-limit windows;
                                     ?ledger=true clears the ledger (and attempt counts) too
    GET    /ledger?after=&since=&until=&run=&id=&canary=   {"rows": [...], "last_seq": N}
    GET    /findings?run=ID          {"findings": [...]} client findings from the ledger (rows are
                                     stamped with a run only while it holds the lease)
    GET    /lease                    the run lease (404 if none is held)
    PUT    /lease                    take {run, ttl_s, proxies}: answers the lease with its token;
                                     renew: the same with the token in X-Chaos-Lease-Token
                                     (409 while another holds it; 410 if it lapsed or was broken)
    DELETE /lease                    release, with the token in X-Chaos-Lease-Token;
                                     ?force=true breaks the lease whoever holds it
    GET    /metrics                  Prometheus text

Errors are ``{"error": message}`` (with ``problems`` for an invalid body, ``holder`` when
the lease is another's) and a 4xx.

What a browser page could do to the environment is refused before any route: a request
that changes state (PUT, POST, DELETE) must carry ``Content-Type: application/json`` (a
page can send only text/plain, a form or multipart without asking first, and this API
never says yes) and no ``Origin`` (browsers add it to every such request, cross-origin
or rebound by DNS). With ``CHAOS_ADMIN_TOKEN`` set in the server's environment, every
request but ``/healthz`` and ``/metrics`` must also carry ``Authorization: Bearer TOKEN``.
"""

from __future__ import annotations

import hmac
import json
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError

from chaos.providers.admin_models import (
    LEASE_TOKEN_HEADER,
    BehaviourList,
    Deleted,
    ErrorBody,
    Findings,
    Health,
    LeaseRequest,
    ProviderInfo,
    Released,
    ResetDone,
    StoredBehaviour,
)
from chaos.providers.behaviours import BehaviourError
from chaos.providers.findings import client_findings
from chaos.providers.lease import LeaseConflict, LeaseGone
from chaos.providers.ledger import LedgerQuery
from chaos.providers.metrics import CONTENT_TYPE_LATEST
from chaos.providers.provider import MockProvider, Shared

MAX_ADMIN_BODY = 256 * 1024
_BEHAVIOUR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_PROVIDER_LIST = TypeAdapter(list[ProviderInfo])
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPEN_PATHS = frozenset({"/healthz", "/metrics"})  # health checks and scrapers carry no token


class AdminError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(error=message, **extra)


class AdminApi:
    def __init__(
        self, shared: Shared, providers: list[MockProvider], urls: dict[str, str], *, token: str | None = None
    ) -> None:
        self.shared = shared
        self.providers = providers
        self.urls = urls
        self.token = token

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_ADMIN_BODY, middlewares=[_json_errors, self._guard])
        routes = app.router
        routes.add_get("/healthz", self.health)
        routes.add_get("/providers", self.list_providers)
        routes.add_get("/behaviours", self.list_behaviours)
        routes.add_delete("/behaviours", self.delete_run_behaviours)
        routes.add_put("/behaviours/{name}", self.put_behaviour)
        routes.add_get("/behaviours/{name}", self.get_behaviour)
        routes.add_delete("/behaviours/{name}", self.delete_behaviour)
        routes.add_post("/reset", self.reset)
        routes.add_get("/ledger", self.ledger)
        routes.add_get("/findings", self.findings)
        routes.add_get("/lease", self.get_lease)
        routes.add_put("/lease", self.put_lease)
        routes.add_delete("/lease", self.delete_lease)
        routes.add_get("/metrics", self.metrics)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        """The checks of this module's docstring, in the order a caller can fix them (a
        path or method the API does not have is said first)."""
        if request.match_info.http_exception is not None:
            return await handler(request)
        if request.method not in _READS:
            if "Origin" in request.headers:
                raise AdminError(403, "a request with an Origin (a browser page) may not change the environment")
            if request.content_type != "application/json":
                raise AdminError(415, "a request that changes the environment must say Content-Type: application/json")
        if self.token is not None and request.path not in _OPEN_PATHS:
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                raise AdminError(401, "this admin API needs its token: Authorization: Bearer $CHAOS_ADMIN_TOKEN")
        return await handler(request)

    async def health(self, request: web.Request) -> web.Response:
        return _answer(Health(ok=True, providers=len(self.providers)))

    async def list_providers(self, request: web.Request) -> web.Response:
        listed = [
            ProviderInfo(name=p.name, api=p.api, model=p.spec.provider.model, url=self.urls[p.name])
            for p in self.providers
        ]
        return web.Response(body=_PROVIDER_LIST.dump_json(listed), content_type="application/json")

    async def list_behaviours(self, request: web.Request) -> web.Response:
        return _answer(BehaviourList(behaviours=[StoredBehaviour.of(b) for b in self.shared.behaviours.active()]))

    async def put_behaviour(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if not _BEHAVIOUR_NAME.match(name):
            raise AdminError(400, f"invalid behaviour name {name[:80]!r}: letters, digits, _ . : - (at most 200)")
        body = await _read_json(request)
        try:
            behaviour = self.shared.behaviours.upsert(name, body)
        except BehaviourError as exc:
            raise AdminError(400, "invalid behaviour", problems=exc.problems) from None
        return _answer(StoredBehaviour.of(behaviour))

    async def get_behaviour(self, request: web.Request) -> web.Response:
        behaviour = self.shared.behaviours.get(request.match_info["name"])
        if behaviour is None:
            raise AdminError(404, "no such behaviour")
        return _answer(StoredBehaviour.of(behaviour))

    async def delete_behaviour(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if self.shared.behaviours.get(name) is None or not self.shared.behaviours.delete(name):
            raise AdminError(404, f"no such behaviour: {name[:200]}")
        return _answer(Deleted(deleted=[name]))

    async def delete_run_behaviours(self, request: web.Request) -> web.Response:
        run = request.query.get("run")
        if not run:
            raise AdminError(400, "give ?run=ID (or DELETE /behaviours/{name}, or POST /reset)")
        return _answer(Deleted(deleted=self.shared.behaviours.delete_run(run)))

    async def reset(self, request: web.Request) -> web.Response:
        clear_ledger = _flag(request.query.get("ledger"), "ledger") or False
        cleared = self.shared.behaviours.clear()
        for provider in self.providers:
            provider.window.clear()
        if clear_ledger:
            self.shared.ledger.clear()
        return _answer(ResetDone(behaviours_cleared=cleared, ledger_cleared=clear_ledger))

    async def ledger(self, request: web.Request) -> web.Response:
        query = _ledger_query(request)
        rows = self.shared.ledger.query(query)
        text = (
            '{"rows":['
            + ",".join(row.model_dump_json() for row in rows)
            + f'],"last_seq":{self.shared.ledger.last_seq}}}'
        )
        return web.Response(text=text, content_type="application/json")

    async def findings(self, request: web.Request) -> web.Response:
        rows = self.shared.ledger.query(LedgerQuery(run=request.query.get("run") or None))
        return _answer(Findings(findings=client_findings(rows)))

    async def get_lease(self, request: web.Request) -> web.Response:
        held = self.shared.lease.current()
        if held is None:
            raise AdminError(404, "no lease is held")
        return _answer(held)

    async def put_lease(self, request: web.Request) -> web.Response:
        wanted = _parse(LeaseRequest, await _read_json(request), "invalid lease")
        token = request.headers.get(LEASE_TOKEN_HEADER)
        try:
            granted = self.shared.lease.take(wanted.run, wanted.ttl_s, wanted.proxies, token)
        except LeaseConflict as exc:
            raise AdminError(409, str(exc), holder=exc.held.run, lease=exc.held) from None
        except LeaseGone as exc:
            raise AdminError(410, str(exc)) from None
        return _answer(granted)

    async def delete_lease(self, request: web.Request) -> web.Response:
        token = request.headers.get(LEASE_TOKEN_HEADER)
        if _flag(request.query.get("force"), "force"):
            ended = self.shared.lease.breaks()
        elif token is None:
            raise AdminError(
                400, f"give the holder's token in {LEASE_TOKEN_HEADER}, or ?force=true to break a dead run's lease"
            )
        else:
            try:
                ended = self.shared.lease.release(token)
            except LeaseConflict as exc:
                raise AdminError(403, f"{exc}: only its token releases it", holder=exc.held.run) from None
        return _answer(Released(released=ended is not None, run=ended.run if ended is not None else None))

    async def metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.shared.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def _json_errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except AdminError as exc:
        return _answer(exc.body, status=exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _answer(ErrorBody(error=exc.reason), status=exc.status)
    except Exception:
        structlog.get_logger().exception("admin request failed", path=request.path)
        return _answer(ErrorBody(error="the admin API failed on this request (logged)"), status=500)


_Body = TypeVar("_Body", bound=BaseModel)


def _parse(model: type[_Body], body: Any, what: str) -> _Body:
    """``body`` as ``model``, or a 400 with one ``path: message`` problem per error."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(step) for step in error['loc']) or 'body'}: {error['msg']}" for error in exc.errors()
        ]
        raise AdminError(400, what, problems=problems) from None


def _ledger_query(request: web.Request) -> LedgerQuery:
    query = request.query
    after = query.get("after", "0")
    if not after.isdigit() or len(after) > 18:
        raise AdminError(400, "after: a sequence number (0 or more)")
    return LedgerQuery(
        after=int(after),
        since=_time(query.get("since"), "since"),
        until=_time(query.get("until"), "until"),
        run=query.get("run") or None,
        request_id=query.get("id") or None,
        canary=_flag(query.get("canary"), "canary"),
    )


def _time(value: str | None, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise AdminError(400, f"{name}: epoch seconds, e.g. 1764230400.5") from None
    if not math.isfinite(number):
        raise AdminError(400, f"{name}: epoch seconds, e.g. 1764230400.5")
    return number


def _flag(value: str | None, name: str) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no"):
        return False
    raise AdminError(400, f"{name}: true or false")


async def _read_json(request: web.Request) -> Any:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise AdminError(413, f"body larger than {MAX_ADMIN_BODY // 1024} KiB") from None
    try:
        return json.loads(raw, parse_constant=_not_a_number, parse_float=_finite)
    except _NotFinite as exc:
        raise AdminError(400, f"body: {exc}") from None
    except (ValueError, RecursionError):
        raise AdminError(400, "body: not valid JSON") from None


class _NotFinite(Exception):
    """A number JSON does not have (NaN, Infinity), or one too large for a float."""


def _not_a_number(literal: str) -> float:
    raise _NotFinite(f"{literal} is not a JSON number")


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise _NotFinite(f"the number {literal[:40]} is too large")
    return number


def _answer(body: BaseModel, status: int = 200) -> web.Response:
    # An error says only what explains it; an answer keeps every field, null or not.
    text = body.model_dump_json(exclude_none=isinstance(body, ErrorBody))
    return web.Response(text=text, status=status, content_type="application/json")
