"""Every number in a scenario, a behaviour or a toxic is finite and within a stated range.

Hostile numbers (infinities, NaN, the extremes of a double and of an int64 and beyond,
spellings that overflow such as 400 nines and an ``s``) are written into every numeric
field of the scenario language, of every provider behaviour on the admin API, and of
every toxic on the Toxiproxy API. Each is refused with a located 4xx or exit 2, or taken
as a finite value that the plan, the providers and the proxies then use without an error
or a hang, and that every answer echoes as strict JSON. Bounded in time: a fixed number
of examples per field, each under a deadline.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings

from chaos.cli import main
from chaos.scenario.faults import BEHAVIOURS as SPEC
from chaos.scenario.faults import FaultKind
from chaos.scenario.loading import load_scenario, scenario_from_text
from chaos.stack.processes import terminate
from tests.cli.test_fuzz import assert_answered
from tests.providers.conftest import CONFIG, JSON, start_providers
from tests.providers.test_faults import OPENAI_HEADERS
from tests.security.fuzzing import (
    BASES,
    Field,
    hostile,
    numeric_fields,
    numeric_paths,
    raw_number,
    replace,
    strict_json,
)
from tests.security.fuzzing import Path as KeyPath

PLAN_DEADLINE_S = 20  # a 24 h load plans in about 1.5 s; an infinite one never ended


def _targets() -> list[tuple[str, KeyPath, Field]]:
    """One place per numeric field where a base scenario writes it."""
    chosen: dict[Field, tuple[str, KeyPath, Field]] = {}
    for name, base in BASES.items():
        loaded = scenario_from_text(yaml.safe_dump(base, sort_keys=False), Path(f"{name}.yaml"))
        for path, field in numeric_paths(base, loaded.scenario):
            chosen.setdefault(field, (name, path, field))
    return [chosen[field] for field in sorted(chosen)]


TARGETS = _targets()


def test_the_fuzz_reaches_every_numeric_field_of_the_scenario_language() -> None:
    """A numeric field added to the language and to no base scenario fails here."""
    assert {field for _, _, field in TARGETS} == numeric_fields()


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def chaos(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("numbers")


@pytest.mark.parametrize(
    ("base", "path", "field"), TARGETS, ids=lambda t: ".".join(map(str, t)) if isinstance(t, tuple) else t
)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=hostile)
@example(value=float("inf"))
@example(value=float("nan"))
@example(value=10**400)
@example(value="9" * 400 + "s")
def test_a_hostile_number_is_refused_where_it_is_written_or_used_as_a_finite_one(
    folder: Path, base: str, path: KeyPath, field: Field, value: Any
) -> None:
    scenario = folder / f"{base}.yaml"
    scenario.write_text(yaml.safe_dump(replace(BASES[base], path, value), sort_keys=False), encoding="utf-8")
    with deadline(PLAN_DEADLINE_S):
        code, _, err = chaos("validate", str(scenario))
        assert "Traceback" not in err
        assert code in (0, 2), err
        if code == 2:
            assert_answered(scenario, code, err)  # every problem located, one per line
            return
        strict_json(load_scenario(scenario).scenario.model_dump_json(by_alias=True))
        code, out, err = chaos("plan", str(scenario), "--json")
    assert code == 0, err
    strict_json(out)


# -- the providers' admin API ----------------------------------------------------------

BEHAVIOURS: dict[str, dict[str, Any]] = {  # a valid spec of every kind, every numeric field written
    "http_error": {"status": 503, "retry_after": "1s", "rate": "100%"},
    "rate_limit": {"rpm": 100, "tpm": 10000, "retry_after": "1s", "rate": "100%"},
    "slow_first_token": {"delay": "10ms", "jitter": "1ms", "rate": "100%"},
    "slow_tokens": {"inter_token": "1ms", "rate": "100%"},
    "slow_tokens/pace": {"tokens_per_s": 1000, "rate": "100%"},
    "stream_cut": {"after_tokens": 2, "rate": "100%"},
    "hang": {"rate": "100%"},
    "token_inflation": {"factor": 2, "rate": "100%"},
    "quality": {"pass_rate": "50%", "rate": "100%"},
    "model_swap": {"version": "2026-11", "rate": "100%"},
}
BEHAVIOUR_TARGETS = [(kind, key) for kind, spec in BEHAVIOURS.items() for key in spec] + [("hang", "ttl_s")]


def test_the_fuzz_reaches_every_numeric_field_of_every_behaviour() -> None:
    written = {(SPEC[FaultKind(kind.split("/")[0])].__name__, key) for kind, key in BEHAVIOUR_TARGETS}
    assert written >= {field for model in SPEC.values() for field in numeric_fields(model)}


@pytest.fixture(scope="module")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """A providers process of its own, whose log is read at the end: (admin, an OpenAI provider, log)."""
    folder = tmp_path_factory.mktemp("providers")
    process, ready = start_providers(folder, CONFIG, "--seed", "3")
    try:
        yield str(ready["admin"]), str(ready["providers"]["oai"]["url"]), folder / "stderr.log"
    finally:
        assert terminate(process, grace=10) == 0
    log = (folder / "stderr.log").read_text()
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize(("kind", "key"), BEHAVIOUR_TARGETS, ids=[f"{k}.{f}" for k, f in BEHAVIOUR_TARGETS])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(literal=raw_number)
@example(literal="Infinity")
@example(literal="NaN")
@example(literal="1e999")
def test_a_behaviour_number_is_refused_or_served_finite(
    providers: tuple[str, str, Path], kind: str, key: str, literal: str
) -> None:
    admin, provider, _ = providers
    name = kind.split("/", maxsplit=1)[0]
    spec = {**BEHAVIOURS[kind], key: "@"} if key != "ttl_s" else BEHAVIOURS[kind]
    served_by = "v-oai" if name == "model_swap" else "oai"  # a swap needs a provider with versions
    body = json.dumps({"provider": served_by, name: spec, "run": "fuzz", "ttl_s": 5 if key != "ttl_s" else "@"})
    with httpx.Client(timeout=5.0, headers=JSON) as http:
        answer = http.put(f"{admin}/behaviours/fuzz", content=body.replace('"@"', literal))
        assert answer.status_code in (200, 400), answer.text
        echo = strict_json(answer.text)
        if answer.status_code == 400:
            assert echo.get("problems") or echo["error"].startswith("body: "), echo
            return
        with contextlib.suppress(httpx.TransportError):  # a delay, a hang or a cut: the fault doing its work
            streamed = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4, "stream": True}
            http.post(f"{provider}/chat/completions", json=streamed, headers=OPENAI_HEADERS, timeout=0.3).read()
        strict_json(http.get(f"{admin}/behaviours").text)
        assert http.delete(f"{admin}/behaviours/fuzz").status_code in (200, 404)  # 404: a tiny TTL ran out
        assert http.get(f"{admin}/healthz", timeout=1.0).status_code == 200


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(literal=raw_number)
def test_a_lease_ttl_is_refused_or_finite(providers: tuple[str, str, Path], literal: str) -> None:
    admin, _, _ = providers
    with httpx.Client(timeout=5.0, headers=JSON) as http:
        answer = http.put(f"{admin}/lease", content=f'{{"run": "fuzz", "ttl_s": {literal}}}')
        assert answer.status_code in (200, 400), answer.text
        strict_json(answer.text)
        http.delete(f"{admin}/lease", params={"force": "true"}).raise_for_status()


# -- the Toxiproxy API -----------------------------------------------------------------

TOXICS: dict[str, list[str]] = {
    "latency": ["latency", "jitter"],
    "bandwidth": ["rate"],
    "slow_close": ["delay"],
    "timeout": ["timeout"],
    "reset_peer": ["timeout"],
    "slicer": ["average_size", "size_variation", "delay"],
    "limit_data": ["bytes"],
}
TOXIC_TARGETS = [(kind, key) for kind, keys in TOXICS.items() for key in [*keys, "toxicity"]]


def test_the_fuzz_reaches_every_attribute_of_every_toxic() -> None:
    from chaos.toxiproxy.server.toxics import KINDS

    assert {kind: list(spec.defaults) for kind, spec in KINDS.items() if spec.defaults} == TOXICS


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        with contextlib.suppress(OSError):
            while data := self.request.recv(65536):
                self.request.sendall(data)


@pytest.fixture(scope="module")
def toxiproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, tuple[str, int], Path]]:
    """``chaos proxy serve`` with a proxy to an echo server: (API, the proxy's address, log)."""
    folder = tmp_path_factory.mktemp("toxiproxy")
    echo = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    echo.daemon_threads = True
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    ready, log = folder / "ready.json", folder / "stderr.log"
    argv = [sys.executable, "-m", "chaos", "proxy", "serve", "--port", "0", "--ready-file", str(ready)]
    with log.open("wb") as err:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
    try:
        while not ready.exists():
            assert process.poll() is None, log.read_text()
            time.sleep(0.05)
        api = json.loads(ready.read_text())["api"]
        upstream = f"127.0.0.1:{echo.server_address[1]}"
        proxy = httpx.post(f"{api}/proxies", json={"name": "fuzz", "upstream": upstream, "listen": "127.0.0.1:0"})
        host, port = proxy.json()["listen"].rsplit(":", 1)
        yield api, (host, int(port)), log
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        echo.shutdown()
        echo.server_close()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@pytest.mark.parametrize(("kind", "key"), TOXIC_TARGETS, ids=[f"{k}.{f}" for k, f in TOXIC_TARGETS])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(literal=raw_number)
@example(literal="1e309")
@example(literal="1" + "0" * 400)
def test_a_toxic_number_is_refused_as_toxiproxy_refuses_it_or_kept_finite(
    toxiproxy: tuple[str, tuple[str, int], Path], kind: str, key: str, literal: str
) -> None:
    api, address, _ = toxiproxy
    body = (
        f'{{"name": "fuzz", "type": "{kind}", "toxicity": {literal}}}'
        if key == "toxicity"
        else f'{{"name": "fuzz", "type": "{kind}", "attributes": {{"{key}": {literal}}}}}'
    )
    with httpx.Client(base_url=api, timeout=5.0) as http:
        answer = http.post("/proxies/fuzz/toxics", content=body)
        assert answer.status_code in (200, 400), answer.text
        echo = strict_json(answer.text)
        if answer.status_code == 400:
            assert echo["error"].startswith("bad request body: "), echo
            return
        with contextlib.suppress(OSError), socket.create_connection(address, timeout=0.3) as link:
            link.sendall(b"ping")
            link.recv(16)
        strict_json(http.get("/proxies").text)
        assert http.delete("/proxies/fuzz/toxics/fuzz").status_code == 204
