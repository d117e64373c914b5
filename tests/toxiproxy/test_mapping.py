"""Scenario network faults as toxics, and which server a run uses."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter

from chaos.scenario.faults import Network
from chaos.scenario.model import Stack
from chaos.toxiproxy.launch import ServerKind, choose_server, read_ready_file
from chaos.toxiproxy.mapping import ToxicSettings, toxic_for
from chaos.toxiproxy.models import Stream

NETWORK = TypeAdapter(Network)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (
            {"toxic": "latency", "provider": "p", "latency": "400ms", "jitter": "100ms"},
            ("latency", Stream.DOWNSTREAM, 1.0, {"latency": 400, "jitter": 100}),
        ),
        (
            {"toxic": "bandwidth", "provider": "p", "rate": 10, "stream": "upstream", "toxicity": "50%"},
            ("bandwidth", Stream.UPSTREAM, 0.5, {"rate": 10}),
        ),
        (
            {"toxic": "slow_close", "provider": "p", "delay": "1s"},
            ("slow_close", Stream.DOWNSTREAM, 1.0, {"delay": 1000}),
        ),
        ({"toxic": "timeout", "provider": "p"}, ("timeout", Stream.DOWNSTREAM, 1.0, {"timeout": 0})),
        (
            {"toxic": "reset_peer", "provider": "p", "timeout": "2.5s"},
            ("reset_peer", Stream.DOWNSTREAM, 1.0, {"timeout": 2500}),
        ),
        (
            {"toxic": "slicer", "provider": "p", "average_size": 64, "size_variation": 8, "delay": "2ms"},
            ("slicer", Stream.DOWNSTREAM, 1.0, {"average_size": 64, "size_variation": 8, "delay": 2000}),
        ),
        ({"toxic": "limit_data", "provider": "p", "bytes": 3}, ("limit_data", Stream.DOWNSTREAM, 1.0, {"bytes": 3})),
    ],
)
def test_each_network_fault_maps_to_its_toxic(fault: dict[str, object], expected: tuple[object, ...]) -> None:
    settings = toxic_for(NETWORK.validate_python(fault, context={"strict_units": True}))
    assert isinstance(settings, ToxicSettings)
    assert tuple(settings) == expected


def never(_: str) -> None:
    return None


def test_a_named_url_is_used_as_it_is(tmp_path: Path) -> None:
    choice = choose_server(
        Stack(toxiproxy="http://toxiproxy.staging:8474/"), ready_file=tmp_path / "r", binary_port=1, which=never
    )
    assert (choice.kind, choice.url, choice.argv) == (ServerKind.URL, "http://toxiproxy.staging:8474", ())


def test_the_binary_is_started_when_asked_for_and_on_path(tmp_path: Path) -> None:
    config = tmp_path / "proxies.json"
    choice = choose_server(
        Stack(toxiproxy_server="binary"),
        ready_file=tmp_path / "r",
        binary_port=18474,
        config=config,
        which=lambda name: f"/usr/local/bin/{name}",
    )
    assert choice.kind is ServerKind.BINARY
    assert choice.url == "http://127.0.0.1:18474"
    assert choice.argv == (
        "/usr/local/bin/toxiproxy-server", "-host", "127.0.0.1", "-port", "18474", "-config", str(config)
    )  # fmt: skip


@pytest.mark.parametrize("server", ["embedded", "binary"])
def test_otherwise_the_embedded_server_is_started(tmp_path: Path, server: str) -> None:
    ready = tmp_path / "ready.json"
    choice = choose_server(
        Stack(toxiproxy_server=server),
        ready_file=ready,
        binary_port=1,
        python="/py",
        which=never,  # type: ignore[arg-type]
    )
    assert choice.kind is ServerKind.EMBEDDED
    assert choice.argv == ("/py", "-m", "chaos", "proxy", "serve", "--port", "0", "--ready-file", str(ready))
    assert choice.ready_file == ready
    assert ("not on PATH" in choice.reason) == (server == "binary")


def test_a_ready_file_is_read_only_when_whole(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    assert read_ready_file(ready) is None
    ready.write_text('{"api": "http://127.0.0.1:')
    assert read_ready_file(ready) is None
    ready.write_text('{"api": "http://127.0.0.1:8474"}')
    assert read_ready_file(ready) == "http://127.0.0.1:8474"
