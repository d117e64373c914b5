"""Toxiproxy 2.12's HTTP API on aiohttp: the same routes, status codes, bodies and headers.

aiohttp rather than a hand-written HTTP layer: request parsing, keep-alive, body limits
and method routing (405 for a known path) are its job, and the API is far from the data
path, so its cost does not matter. What Toxiproxy does differently from aiohttp's defaults
is redone in one middleware: errors as ``{"error", "status"}`` in text/plain (Go's
``http.Error``), a bare ``404 page not found``, an empty 405, the ``Mozilla/`` guard, and
``X-Toxiproxy-Request-Id`` on every response.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web

from chaos.toxiproxy.server.decode import parse_body
from chaos.toxiproxy.server.errors import ApiError, bad_body
from chaos.toxiproxy.server.metrics import PROMETHEUS_CONTENT_TYPE, render_metrics
from chaos.toxiproxy.server.proxy import Proxy
from chaos.toxiproxy.server.registry import PopulateError, Registry

VERSION = "2.12.0"
MAX_BODY = 4 * 1024 * 1024
REQUEST_ID_HEADER = "X-Toxiproxy-Request-Id"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(registry: Registry) -> web.Application:
    api = ToxiproxyApi(registry)
    app = web.Application(middlewares=[toxiproxy_conventions], client_max_size=MAX_BODY)
    add = app.router.add_route
    add("POST", "/reset", api.reset)
    add("GET", "/proxies", api.proxy_index)
    add("POST", "/proxies", api.proxy_create)
    add("POST", "/populate", api.populate)
    add("GET", "/proxies/{proxy}", api.proxy_show)
    add("POST", "/proxies/{proxy}", api.proxy_update)
    add("PATCH", "/proxies/{proxy}", api.proxy_update)
    add("DELETE", "/proxies/{proxy}", api.proxy_delete)
    add("GET", "/proxies/{proxy}/toxics", api.toxic_index)
    add("POST", "/proxies/{proxy}/toxics", api.toxic_create)
    add("GET", "/proxies/{proxy}/toxics/{toxic}", api.toxic_show)
    add("POST", "/proxies/{proxy}/toxics/{toxic}", api.toxic_update)
    add("PATCH", "/proxies/{proxy}/toxics/{toxic}", api.toxic_update)
    add("DELETE", "/proxies/{proxy}/toxics/{toxic}", api.toxic_delete)
    add("GET", "/version", api.version)
    add("GET", "/metrics", api.metrics)
    return app


@web.middleware
async def toxiproxy_conventions(request: web.Request, handler: Handler) -> web.StreamResponse:
    response: web.StreamResponse
    if request.headers.get("User-Agent", "").startswith("Mozilla/"):
        response = web.Response(status=403, text="User agent not allowed\n")
    else:
        try:
            response = await handler(request)
        except ApiError as exc:
            response = error_response(exc)
        except web.HTTPMethodNotAllowed:
            response = web.Response(status=405)
        except web.HTTPNotFound:
            response = web.Response(status=404, text="404 page not found\n")
        except web.HTTPException:
            raise
        except Exception as exc:
            structlog.get_logger().exception("toxiproxy api: unexpected error", path=request.path)
            response = error_response(ApiError(str(exc), 500))
    response.headers[REQUEST_ID_HEADER] = secrets.token_hex(10)
    return response


def error_response(exc: ApiError) -> web.Response:
    """As Go's ``http.Error``: the JSON error as text/plain, with a newline."""
    return web.Response(status=exc.status, text=json.dumps(exc.as_json()) + "\n")


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")


async def read_json(request: web.Request) -> Any:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise bad_body("http: request body too large") from None
    return parse_body(raw)


class ToxiproxyApi:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def version(self, request: web.Request) -> web.Response:
        body = json.dumps({"version": VERSION}) + "\n"
        return web.Response(body=body.encode(), headers={"Content-Type": "application/json;charset=utf-8"})

    async def metrics(self, request: web.Request) -> web.Response:
        text = render_metrics(self.registry.counts)
        return web.Response(body=text.encode(), headers={"Content-Type": PROMETHEUS_CONTENT_TYPE})

    async def reset(self, request: web.Request) -> web.Response:
        await self.registry.reset()
        return web.Response(status=204)

    async def proxy_index(self, request: web.Request) -> web.Response:
        return json_response({name: proxy.as_json() for name, proxy in self.registry.proxies.items()})

    async def proxy_create(self, request: web.Request) -> web.Response:
        proxy = await self.registry.create(await read_json(request))
        return json_response(proxy.as_json(), status=201)

    async def populate(self, request: web.Request) -> web.Response:
        """201 ``{"proxies": [...]}``; on an error, its status with the proxies done so far."""
        try:
            done = await self.registry.populate(await read_json(request))
        except PopulateError as exc:
            return json_response({**exc.as_json(), "proxies": _proxies_or_null(exc.done)}, status=exc.status)
        except ApiError as exc:
            return json_response({**exc.as_json(), "proxies": None}, status=exc.status)
        return json_response({"proxies": _proxies_or_null(done)}, status=201)

    async def proxy_show(self, request: web.Request) -> web.Response:
        return json_response(self.registry.get(request.match_info["proxy"]).as_json())

    async def proxy_update(self, request: web.Request) -> web.Response:
        name = request.match_info["proxy"]
        self.registry.get(name)  # 404 before the body is read, as Toxiproxy orders it
        proxy = await self.registry.update(name, await read_json(request))
        return json_response(proxy.as_json())

    async def proxy_delete(self, request: web.Request) -> web.Response:
        await self.registry.delete(request.match_info["proxy"])
        return web.Response(status=204)

    async def toxic_index(self, request: web.Request) -> web.Response:
        return json_response(self.registry.get(request.match_info["proxy"]).toxics_json())

    async def toxic_create(self, request: web.Request) -> web.Response:
        name = request.match_info["proxy"]
        self.registry.get(name)
        toxic = self.registry.add_toxic(name, await read_json(request))
        return json_response(toxic.as_json())  # 200, not 201: Toxiproxy's choice

    async def toxic_show(self, request: web.Request) -> web.Response:
        toxic = self.registry.get_toxic(request.match_info["proxy"], request.match_info["toxic"])
        return json_response(toxic.as_json())

    async def toxic_update(self, request: web.Request) -> web.Response:
        proxy, name = request.match_info["proxy"], request.match_info["toxic"]
        self.registry.get_toxic(proxy, name)
        toxic = self.registry.update_toxic(proxy, name, await read_json(request))
        return json_response(toxic.as_json())

    async def toxic_delete(self, request: web.Request) -> web.Response:
        self.registry.delete_toxic(request.match_info["proxy"], request.match_info["toxic"])
        return web.Response(status=204)


def _proxies_or_null(proxies: list[Proxy]) -> list[dict[str, Any]] | None:
    # Go marshals an empty slice built by append as null.
    return [proxy.as_json() for proxy in proxies] or None
