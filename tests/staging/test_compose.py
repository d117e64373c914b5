"""The compose stack as written: compose's own parser takes it, and the staging profile,
the gateway, Toxiproxy's proxies, the providers and the janitor name the same ports, so
that `chaos run --target compose/staging.yaml` reaches what `docker compose up` started."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from chaos.providers.config import from_scenario, load_config
from chaos.scenario.loading import load_scenario
from chaos.scenario.overlay import TargetOverlay
from tests.run.harness import ROOT
from tests.staging.conftest import python_prefix

COMPOSE = ROOT / "compose"
LIBRARY = sorted((ROOT / "scenarios").glob("*.yaml"))


def read(name: str) -> Any:
    text = (COMPOSE / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def port(url: str) -> int:
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1", url
    assert parts.port is not None, url
    return parts.port


def flag(argv: list[str], name: str) -> str:
    """The value of ``--name=VALUE``, ``--name VALUE`` or ``-name=VALUE`` in ``argv``."""
    for index, arg in enumerate(argv):
        if arg in (f"--{name}", f"-{name}"):
            return argv[index + 1]
        match = re.fullmatch(rf"--?{name}=(.*)", arg)
        if match:
            return match.group(1)
    raise AssertionError(f"no {name} in {argv}")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose: dict[str, Any] = read("docker-compose.yml")
    return compose["services"]


def test_compose_own_parser_takes_the_file() -> None:
    compose = shutil.which("docker-compose")
    assert compose is not None, "Debian's docker-compose is in .ci/apt-packages"
    argv = [compose, "-f", str(COMPOSE / "docker-compose.yml"), "config", "-q"]
    checked = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_compose_own_parser_takes_the_local_engine_override(tmp_path: Path) -> None:
    compose = shutil.which("docker-compose")
    assert compose is not None, "Debian's docker-compose is in .ci/apt-packages"
    files = ["-f", str(COMPOSE / "docker-compose.yml"), "-f", str(COMPOSE / "local-engine.yml")]
    env = {
        "PATH": os.environ["PATH"],
        "CHAOS_CHECKOUT": str(ROOT),
        "PYTHON_PREFIX": python_prefix(),
        "DOCKER_SOCKET": str(tmp_path / "docker.sock"),
        "RUNS_DIR": str(tmp_path / "runs"),
    }
    checked = subprocess.run([compose, *files, "config"], env=env, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    merged = yaml.safe_load(checked.stdout)["services"]
    assert {service["image"] for service in merged.values()} == {"local/base"}
    assert merged["toxiproxy"]["entrypoint"] == ["chaos", "proxy", "serve"]
    # Without the variables it names what is missing, rather than mounting nothing.
    bare = subprocess.run(
        [compose, *files, "config", "-q"], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True, check=False
    )
    assert bare.returncode != 0
    assert "this checkout" in bare.stderr or "the Python the checkout" in bare.stderr, bare.stderr


def test_the_real_toxiproxy_is_pinned_to_2_12(services: dict[str, Any]) -> None:
    assert re.fullmatch(r"ghcr\.io/shopify/toxiproxy:2\.12\.\d+", services["toxiproxy"]["image"])


def test_every_service_stays_on_loopback(services: dict[str, Any]) -> None:
    assert {name: service.get("network_mode") for name, service in services.items()} == dict.fromkeys(services, "host")
    assert all("ports" not in service for service in services.values())
    assert flag(services["toxiproxy"]["command"], "host") == "127.0.0.1"
    assert flag(services["providers"]["command"], "host") == "127.0.0.1"
    assert flag(services["gateway"]["command"], "host") == "127.0.0.1"


def test_the_staging_profile_names_the_compose_services_ports(services: dict[str, Any]) -> None:
    profile = read("staging.yaml")
    assert profile["environment"] == "staging"
    gateway = services["gateway"]["environment"]
    assert port(profile["target"]["url"]) == int(gateway["CHAOS_TARGET_PORT"])
    assert port(profile["stack"]["toxiproxy"]) == int(flag(services["toxiproxy"]["command"], "port"))
    assert port(profile["stack"]["providers_admin"]) == int(flag(services["providers"]["command"], "admin-port"))
    janitor = services["janitor"]["command"]
    assert flag(janitor, "providers-admin") == profile["stack"]["providers_admin"]
    assert flag(janitor, "toxiproxy") == profile["stack"]["toxiproxy"]


def test_the_gateway_reaches_each_provider_through_its_proxy(services: dict[str, Any]) -> None:
    gateway = services["gateway"]["environment"]
    providers = read("providers.yaml")["providers"]
    proxies = {proxy["name"]: proxy for proxy in read("toxiproxy.json")}
    assert gateway["CHAOS_PROVIDERS"].split(",") == list(providers) == list(proxies)
    for name, provider in providers.items():
        prefix = f"CHAOS_PROVIDER_{name.upper()}_"
        assert (gateway[prefix + "API"], gateway[prefix + "MODEL"]) == (provider["api"], provider["model"])
        url = gateway[prefix + "URL"]
        assert url.endswith("/v1") == (provider["api"] == "openai"), url
        assert f"127.0.0.1:{port(url)}" == proxies[name]["listen"]
        assert proxies[name]["upstream"] == f"127.0.0.1:{provider['port']}"


@pytest.mark.parametrize("scenario", LIBRARY, ids=lambda path: path.name)
def test_every_library_scenario_runs_in_staging_with_the_profile(scenario: Path) -> None:
    loaded = load_scenario(scenario, TargetOverlay(file=COMPOSE / "staging.yaml").overrides())
    assert loaded.scenario.environment.value == "staging"
    assert loaded.scenario.target.start is None
    # Faults and who served go by provider name: each name must have its proxy and its mock.
    served = read("providers.yaml")["providers"]
    assert set(loaded.scenario.providers) <= set(served), scenario.name
    # Eval questions are answered right only by a provider that serves their eval set.
    answered = {spec.name: spec.eval_set for spec in load_config(COMPOSE / "providers.yaml").providers}
    for spec in from_scenario(scenario).providers:
        if spec.eval_set is not None:
            served_set = answered[spec.name]
            assert served_set is not None, f"{scenario.name}: {spec.name} has no eval set in compose/providers.yaml"
            assert {case.prompt for case in spec.eval_set.cases} <= {case.prompt for case in served_set.cases}


def test_the_workers_join_the_runners_locust_master_on_loopback(services: dict[str, Any]) -> None:
    runner, worker = services["runner"]["entrypoint"], services["worker"]["command"]
    assert worker[0] == "worker"
    assert flag(worker, "master") == flag(runner, "master-bind") == "127.0.0.1:5557"
    assert flag(runner, "workers") == "${LOAD_WORKERS:-2}"
    assert services["worker"]["restart"] == "unless-stopped", "a worker exits with each run's load: it comes back"


def test_the_runner_plays_scenarios_with_the_staging_profile(services: dict[str, Any]) -> None:
    runner = services["runner"]["entrypoint"]
    assert runner[:2] == ["chaos", "run"]
    assert (COMPOSE.parent / flag(runner, "profile")).resolve() == (COMPOSE / "staging.yaml").resolve()


def test_profile_is_the_target_options_other_spelling() -> None:
    from chaos.cli.run import run

    for spelling in ("--profile", "--target"):
        context = run.make_context("run", [spelling, "compose/staging.yaml", "scenarios/provider-outage.yaml"])
        assert context.params["target_file"] == Path("compose/staging.yaml")
