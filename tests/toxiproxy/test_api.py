"""Toxiproxy 2.12's HTTP API, modelled on its ``api_test.go``: routes, statuses, JSON shapes.

Raw HTTP only, so that any server (``TOXIPROXY_URL``) can be held to it.
"""

from __future__ import annotations

import httpx
import pytest

from tests.toxiproxy.proxy_helpers import EchoServer, Names, host_port

ERROR_KEYS = {"error", "status"}


def error_of(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) >= ERROR_KEYS
    assert body["status"] == response.status_code
    message: str = body["error"]
    return message


async def create(http: httpx.AsyncClient, name: str, upstream: str, **extra: object) -> httpx.Response:
    return await http.post("/proxies", json={"name": name, "upstream": upstream, "listen": "localhost:0", **extra})


# -- server ---------------------------------------------------------------------------


async def test_every_response_carries_a_request_id(http: httpx.AsyncClient) -> None:
    for response in (await http.get("/version"), await http.get("/proxies"), await http.get("/proxies/nope")):
        assert response.headers.get("X-Toxiproxy-Request-Id")


async def test_a_browser_user_agent_is_refused(http: httpx.AsyncClient) -> None:
    browser = await http.get("/proxies", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"})
    assert browser.status_code == 403
    assert browser.text.strip() == "User agent not allowed"
    assert (await http.get("/proxies", headers={"User-Agent": "curl/8.5.0"})).status_code == 200


async def test_version_is_reported(http: httpx.AsyncClient) -> None:
    response = await http.get("/version")
    assert response.status_code == 200
    assert response.json()["version"].startswith("2.")


async def test_unknown_path_is_a_plain_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/nothing-here")
    assert response.status_code == 404
    assert response.text.strip() == "404 page not found"


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/proxies"), ("PUT", "/proxies/x"), ("GET", "/reset"), ("GET", "/populate"), ("PUT", "/version")],
)
async def test_a_wrong_method_on_a_known_path_is_405(http: httpx.AsyncClient, method: str, path: str) -> None:
    response = await http.request(method, path)
    assert response.status_code == 405
    assert response.content == b""


# -- proxies --------------------------------------------------------------------------


async def test_create_returns_201_with_defaults_and_a_resolved_listen(
    http: httpx.AsyncClient, names: Names, echo: EchoServer
) -> None:
    response = await http.post("/proxies", json={"name": names(), "upstream": echo.address, "listen": "localhost:0"})
    assert response.status_code == 201
    proxy = response.json()
    assert proxy["name"] == names.issued[0]
    assert proxy["upstream"] == echo.address
    assert proxy["enabled"] is True
    assert proxy["toxics"] == []
    host, port = host_port(proxy["listen"])
    assert host == "127.0.0.1"
    assert port > 0


@pytest.mark.parametrize("missing", ["name", "upstream"])
async def test_create_requires_name_and_upstream(http: httpx.AsyncClient, names: Names, missing: str) -> None:
    body = {"name": names(), "upstream": "127.0.0.1:1", "listen": "localhost:0"}
    del body[missing]
    response = await http.post("/proxies", json=body)
    assert response.status_code == 400
    assert error_of(response) == f"missing required field: {missing}"


async def test_create_with_a_taken_name_is_409(http: httpx.AsyncClient, names: Names, echo: EchoServer) -> None:
    name = names()
    assert (await create(http, name, echo.address)).status_code == 201
    response = await create(http, name, echo.address)
    assert response.status_code == 409
    assert error_of(response) == "proxy already exists"


async def test_create_on_a_taken_address_is_500_with_the_os_message(
    http: httpx.AsyncClient, names: Names, echo: EchoServer
) -> None:
    first = (await create(http, names("a"), echo.address)).json()
    response = await http.post(
        "/proxies", json={"name": names("b"), "upstream": echo.address, "listen": first["listen"]}
    )
    assert response.status_code == 500
    assert error_of(response) == f"listen tcp {first['listen']}: bind: address already in use"
    assert (await http.delete(f"/proxies/{first['name']}")).status_code == 204
    again = await http.post("/proxies", json={"name": names("b"), "upstream": echo.address, "listen": first["listen"]})
    assert again.status_code == 201


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
async def test_a_port_out_of_range_is_refused_as_go_refuses_it_not_wrapped(
    http: httpx.AsyncClient, names: Names, echo: EchoServer, port: str
) -> None:
    name = names()
    response = await http.post("/proxies", json={"name": name, "upstream": echo.address, "listen": f"127.0.0.1:{port}"})
    assert response.status_code == 500
    assert error_of(response) == f"listen tcp: address {port}: invalid port"
    assert name not in (await http.get("/proxies")).json()
    populated = await http.post("/populate", json=[{"name": name, "upstream": echo.address, "listen": f":{port}"}])
    assert populated.status_code == 500
    assert name not in (await http.get("/proxies")).json()


async def test_a_disabled_proxy_keeps_its_listen_as_given_until_enabled(
    http: httpx.AsyncClient, names: Names, echo: EchoServer
) -> None:
    name = names()
    created = (await create(http, name, echo.address, enabled=False)).json()
    assert created["enabled"] is False
    assert created["listen"] == "localhost:0"
    enabled = (await http.patch(f"/proxies/{name}", json={"enabled": True})).json()
    assert enabled["enabled"] is True
    assert host_port(enabled["listen"])[1] > 0


async def test_proxies_are_listed_by_name(http: httpx.AsyncClient, names: Names, echo: EchoServer) -> None:
    name = names()
    await create(http, name, echo.address)
    await http.post(f"/proxies/{name}/toxics", json={"type": "latency", "attributes": {"latency": 10}})
    listed = (await http.get("/proxies")).json()
    assert listed[name]["upstream"] == echo.address
    assert [toxic["name"] for toxic in listed[name]["toxics"]] == ["latency_downstream"]
    shown = await http.get(f"/proxies/{name}")
    assert shown.status_code == 200
    assert shown.json() == listed[name]


async def test_unknown_proxy_is_404_on_every_route(http: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/proxies/nope"),
        ("PATCH", "/proxies/nope"),
        ("DELETE", "/proxies/nope"),
        ("GET", "/proxies/nope/toxics"),
        ("POST", "/proxies/nope/toxics"),
        ("GET", "/proxies/nope/toxics/t"),
        ("DELETE", "/proxies/nope/toxics/t"),
    ]:
        response = await http.request(method, path, json={"type": "noop"} if method != "GET" else None)
        assert response.status_code == 404, (method, path)
        assert error_of(response) == "proxy not found"


async def test_delete_is_204_with_no_body(http: httpx.AsyncClient, names: Names, echo: EchoServer) -> None:
    name = names()
    await create(http, name, echo.address)
    response = await http.delete(f"/proxies/{name}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await http.get(f"/proxies/{name}")).status_code == 404


@pytest.mark.parametrize("method", ["PATCH", "POST"])
async def test_update_moves_the_upstream_and_listen(
    http: httpx.AsyncClient, names: Names, echo: EchoServer, method: str
) -> None:
    name = names()
    before = (await create(http, name, echo.address)).json()
    response = await http.request(method, f"/proxies/{name}", json={"upstream": "127.0.0.1:9", "listen": "127.0.0.1:0"})
    assert response.status_code == 200
    after = response.json()
    assert after["upstream"] == "127.0.0.1:9"
    assert after["enabled"] is True
    assert after["listen"] != before["listen"]


# -- populate ---------------------------------------------------------------------------


async def test_populate_creates_enabled_by_default_and_returns_201(
    http: httpx.AsyncClient, names: Names, echo: EchoServer
) -> None:
    body = [
        {"name": names("a"), "upstream": echo.address, "listen": "localhost:0"},
        {"name": names("b"), "upstream": echo.address, "listen": "localhost:0", "enabled": False},
    ]
    response = await http.post("/populate", json=body)
    assert response.status_code == 201
    proxies = response.json()["proxies"]
    assert [p["name"] for p in proxies] == [names.issued[0], names.issued[1]]
    assert [p["enabled"] for p in proxies] == [True, False]


async def test_populate_keeps_an_unchanged_proxy_with_its_toxics(
    http: httpx.AsyncClient, names: Names, echo: EchoServer
) -> None:
    name = names()
    created = (await create(http, name, echo.address)).json()
    await http.post(f"/proxies/{name}/toxics", json={"type": "latency", "attributes": {"latency": 10}})
    same = [{"name": name, "upstream": echo.address, "listen": created["listen"]}]
    kept = (await http.post("/populate", json=same)).json()["proxies"][0]
    assert kept["listen"] == created["listen"]
    assert len(kept["toxics"]) == 1
    moved = [{"name": name, "upstream": "127.0.0.1:9", "listen": created["listen"]}]
    replaced = (await http.post("/populate", json=moved)).json()["proxies"][0]
    assert replaced["upstream"] == "127.0.0.1:9"
    assert replaced["toxics"] == []


async def test_populate_checks_every_entry_before_creating_any(http: httpx.AsyncClient, names: Names) -> None:
    body = [{"name": names("a"), "upstream": "127.0.0.1:9", "listen": "localhost:0"}, {"name": names("b")}]
    response = await http.post("/populate", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": "missing required field: upstream at proxy 2", "status": 400, "proxies": None}
    assert (await http.get(f"/proxies/{names.issued[0]}")).status_code == 404


async def test_populate_is_not_atomic(http: httpx.AsyncClient, names: Names, echo: EchoServer) -> None:
    body = [
        {"name": names("one"), "upstream": echo.address, "listen": "localhost:0"},
        {"name": names("two"), "upstream": echo.address, "listen": "local373"},
        {"name": names("three"), "upstream": echo.address, "listen": "localhost:0"},
    ]
    response = await http.post("/populate", json=body)
    assert response.status_code == 500
    assert error_of(response)
    assert (await http.get(f"/proxies/{names.issued[0]}")).status_code == 200
    for later in names.issued[1:]:
        assert (await http.get(f"/proxies/{later}")).status_code == 404


# -- toxics ---------------------------------------------------------------------------

DEFAULT_ATTRIBUTES = {
    "latency": {"latency": 0, "jitter": 0},
    "bandwidth": {"rate": 0},
    "slow_close": {"delay": 0},
    "timeout": {"timeout": 0},
    "reset_peer": {"timeout": 0},
    "slicer": {"average_size": 0, "size_variation": 0, "delay": 0},
    "limit_data": {"bytes": 0},
    "noop": {},
}


@pytest.fixture
async def proxy_name(http: httpx.AsyncClient, names: Names, echo: EchoServer) -> str:
    name = names()
    assert (await create(http, name, echo.address)).status_code == 201
    return name


@pytest.mark.parametrize("kind", sorted(DEFAULT_ATTRIBUTES))
async def test_a_new_toxic_is_200_with_every_default_filled_in(
    http: httpx.AsyncClient, proxy_name: str, kind: str
) -> None:
    response = await http.post(f"/proxies/{proxy_name}/toxics", json={"type": kind})
    assert response.status_code == 200
    assert response.json() == {
        "attributes": DEFAULT_ATTRIBUTES[kind],
        "name": f"{kind}_downstream",
        "type": kind,
        "stream": "downstream",
        "toxicity": 1.0,
    }


async def test_toxics_list_upstream_first_then_in_order_added(http: httpx.AsyncClient, proxy_name: str) -> None:
    for name, stream in [("d1", "downstream"), ("u1", "upstream"), ("d2", "downstream"), ("u2", "upstream")]:
        await http.post(f"/proxies/{proxy_name}/toxics", json={"name": name, "type": "noop", "stream": stream})
    listed = (await http.get(f"/proxies/{proxy_name}/toxics")).json()
    assert [toxic["name"] for toxic in listed] == ["u1", "u2", "d1", "d2"]


async def test_toxic_names_are_unique_across_streams(http: httpx.AsyncClient, proxy_name: str) -> None:
    path = f"/proxies/{proxy_name}/toxics"
    assert (await http.post(path, json={"name": "t", "type": "latency", "stream": "upstream"})).status_code == 200
    response = await http.post(path, json={"name": "t", "type": "latency", "stream": "downstream"})
    assert response.status_code == 409
    assert error_of(response) == "toxic already exists"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "walrus"}, "invalid toxic type"),
        ({"type": "latency", "stream": "walrustream"}, "stream was invalid, can be either upstream or downstream"),
        ({"type": "latency", "stream": ""}, "stream was invalid, can be either upstream or downstream"),
    ],
)
async def test_an_invalid_toxic_is_400(http: httpx.AsyncClient, proxy_name: str, body: dict, message: str) -> None:
    response = await http.post(f"/proxies/{proxy_name}/toxics", json=body)
    assert response.status_code == 400
    assert error_of(response) == message


async def test_a_mistyped_attribute_is_400(http: httpx.AsyncClient, proxy_name: str) -> None:
    body = {"type": "latency", "attributes": {"latency": "100"}}
    response = await http.post(f"/proxies/{proxy_name}/toxics", json=body)
    assert response.status_code == 400
    assert error_of(response).startswith("bad request body")
    assert (await http.get(f"/proxies/{proxy_name}/toxics")).json() == []


@pytest.mark.parametrize(
    ("body", "unmarshal"),
    [
        ('{"type": "latency", "toxicity": 1e309}', "number 1e309 into Go struct field toxics.ToxicWrapper.toxicity"),
        ('{"type": "latency", "toxicity": 1e39}', "number 1e39 into Go struct field toxics.ToxicWrapper.toxicity"),
        (
            '{"type": "latency", "attributes": {"latency": 1e400}}',
            "number 1e400 into Go struct field toxics.LatencyToxic.attributes.latency",
        ),
        (
            '{"type": "latency", "attributes": {"jitter": 9223372036854775808}}',
            "number 9223372036854775808 into Go struct field toxics.LatencyToxic.attributes.jitter",
        ),
    ],
)
async def test_a_number_too_large_for_its_go_type_is_400_as_toxiproxy_says_it(
    http: httpx.AsyncClient, proxy_name: str, body: str, unmarshal: str
) -> None:
    """Toxiproxy's toxicity is a float32 and its attributes int64s: what does not fit is
    never stored (nor echoed as Infinity, which is not JSON)."""
    response = await http.post(f"/proxies/{proxy_name}/toxics", content=body)
    assert response.status_code == 400
    go_type = "float32" if "toxicity" in unmarshal else "int64"
    assert error_of(response) == f"bad request body: json: cannot unmarshal {unmarshal} of type {go_type}"
    assert (await http.get(f"/proxies/{proxy_name}/toxics")).json() == []


async def test_update_merges_attributes_and_keeps_toxicity(http: httpx.AsyncClient, proxy_name: str) -> None:
    path = f"/proxies/{proxy_name}/toxics"
    await http.post(path, json={"type": "latency", "attributes": {"latency": 100, "jitter": 10}})
    first = await http.patch(f"{path}/latency_downstream", json={"toxicity": 0.5, "attributes": {"latency": 1000}})
    assert first.status_code == 200
    assert first.json()["toxicity"] == 0.5
    assert first.json()["attributes"] == {"latency": 1000, "jitter": 10}
    second = await http.post(f"{path}/latency_downstream", json={"attributes": {"latency": 500}})
    assert second.json()["toxicity"] == 0.5
    assert second.json()["attributes"] == {"latency": 500, "jitter": 10}
    assert (await http.get(f"{path}/latency_downstream")).json() == second.json()


async def test_a_removed_toxic_is_gone(http: httpx.AsyncClient, proxy_name: str) -> None:
    path = f"/proxies/{proxy_name}/toxics"
    await http.post(path, json={"type": "latency"})
    response = await http.delete(f"{path}/latency_downstream")
    assert response.status_code == 204
    assert response.content == b""
    for method in ("GET", "PATCH", "DELETE"):
        missing = await http.request(method, f"{path}/latency_downstream", json={} if method == "PATCH" else None)
        assert missing.status_code == 404
        assert error_of(missing) == "toxic not found"


async def test_reset_enables_every_proxy_and_removes_every_toxic(
    http: httpx.AsyncClient, names: Names, echo: EchoServer
) -> None:
    a, b = names("a"), names("b")
    await create(http, a, echo.address)
    await create(http, b, echo.address, enabled=False)
    await http.post(f"/proxies/{a}/toxics", json={"type": "latency", "attributes": {"latency": 10}})
    response = await http.post("/reset")
    assert response.status_code == 204
    for name in (a, b):
        proxy = (await http.get(f"/proxies/{name}")).json()
        assert proxy["enabled"] is True
        assert proxy["toxics"] == []


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b'{"name": 5, "upstream": "127.0.0.1:1"}',
        b'{"name": "x", "upstream": "127.0.0.1:1", "enabled": "yes"}',
        b'["a list"]',
        b"[" * 100_000,
        b'{"name": "' + b"x" * (5 * 1024 * 1024) + b'"}',
    ],
    ids=["not-json", "empty", "name-number", "enabled-string", "list", "deep", "huge"],
)
async def test_bad_bodies_are_400_and_harmless(http: httpx.AsyncClient, content: bytes) -> None:
    response = await http.post("/proxies", content=content)
    assert response.status_code == 400
    assert error_of(response).startswith("bad request body")
    assert (await http.get("/version")).status_code == 200


async def test_bad_toxic_bodies_are_400(http: httpx.AsyncClient, proxy_name: str) -> None:
    path = f"/proxies/{proxy_name}/toxics"
    for content in (b"nope", b'{"type": "latency", "toxicity": "high"}', b'{"type": "latency", "attributes": 7}'):
        response = await http.post(path, content=content)
        assert response.status_code == 400, content
        assert error_of(response).startswith("bad request body")
    await http.post(path, json={"type": "latency"})
    response = await http.patch(f"{path}/latency_downstream", content=b'{"attributes": {"jitter": 1.5}}')
    assert response.status_code == 400
    assert (await http.get(f"{path}/latency_downstream")).json()["attributes"]["jitter"] == 0


async def test_bodies_are_read_as_gos_json_decoder_reads_them(
    http: httpx.AsyncClient, names: Names, echo: EchoServer
) -> None:
    """Keys match case-insensitively, unknown keys and null are ignored, and only the first
    JSON value counts.
    """
    name = names()
    content = f'{{"Name": "{name}", "UPSTREAM": "{echo.address}", "listen": "localhost:0", "enabled": null, "x": 1}}'
    response = await http.post("/proxies", content=(content + " trailing").encode())
    assert response.status_code == 201
    assert response.json()["name"] == name
    assert response.json()["enabled"] is True


async def test_populate_takes_a_list_only(http: httpx.AsyncClient) -> None:
    response = await http.post("/populate", json={"name": "x", "upstream": "127.0.0.1:9"})
    assert response.status_code == 400
    assert error_of(response).startswith("bad request body")
    assert response.json()["proxies"] is None
