"""A third-party client, toxiproxy-python 0.1.1 (sync, requests), against the server under test."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer

from tests.toxiproxy.proxy_helpers import Names, host_port


@pytest.fixture
def server(toxiproxy_url: str) -> Iterator[Toxiproxy]:
    # toxiproxy-python keeps the server's address on a class: one server per process.
    saved = APIConsumer.host, APIConsumer.port
    url = urlsplit(toxiproxy_url)
    toxiproxy = Toxiproxy()
    toxiproxy.update_api_consumer(url.hostname, url.port)
    yield toxiproxy
    APIConsumer.host, APIConsumer.port = saved


def refuses(listen: str) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(host_port(listen)) != 0


def test_toxiproxy_python_drives_the_server(server: Toxiproxy, names: Names, toxiproxy_url: str) -> None:
    assert server.running()
    assert server.version()
    name = names("py")
    proxy = server.create(upstream="127.0.0.1:9", name=name)
    assert proxy.enabled
    assert name in server.proxies()

    proxy.add_toxic(type="latency", attributes={"latency": 100})
    toxic = server.get_proxy(name).get_toxic("latency_downstream")
    assert toxic is not None
    assert toxic.attributes == {"latency": 100, "jitter": 0}

    with proxy.down():
        assert refuses(proxy.listen)
        assert httpx.get(f"{toxiproxy_url}/proxies/{name}").json()["enabled"] is False
    assert not refuses(proxy.listen)

    proxy.disable()
    assert server.reset()
    after = httpx.get(f"{toxiproxy_url}/proxies/{name}").json()
    assert after["enabled"] is True
    assert after["toxics"] == []

    server.destroy(proxy)
    assert name not in server.proxies()
