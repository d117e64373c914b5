"""Bringing up the embedded local stack for one run, and taking it down again.

Providers process (one port per provider plus its admin API), Toxiproxy (the embedded
server, or ``toxiproxy-server`` from PATH, or a URL the scenario gives), one proxy per
provider, then the target started with the environment contract, each provider pointed
at its proxy. Every child's output goes to the run's ``logs/``; every child dies with the
orchestrator (see ``processes.py``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sys
import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path

import structlog
import yaml

from chaos.envrefs import resolve
from chaos.errors import EnvironmentProblem
from chaos.providers.admin_models import ADMIN_TOKEN_ENV, admin_token
from chaos.rundir import RunDir
from chaos.scenario import contract
from chaos.scenario.loading import ScenarioFile
from chaos.scenario.model import Scenario
from chaos.stack.endpoints import Endpoints, ProviderRoute, base_url, target_environment
from chaos.stack.processes import Child, spawn, stop, wait_healthy, wait_ready_file
from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.launch import ServerKind, choose_server, wait_until_ready

log = structlog.get_logger()

READY_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def chaos_command(*args: str) -> list[str]:
    """The ``chaos`` command as this interpreter runs it."""
    return [sys.executable, "-m", "chaos", *args]


def start_command(argv: list[str]) -> list[str]:
    """``python`` at the head of a start command means the interpreter running chaos."""
    return [sys.executable, *argv[1:]] if argv and argv[0] in ("python", "python3") else list(argv)


class LocalStack:
    """``async with LocalStack(...) as endpoints``: everything up, then everything down."""

    def __init__(self, loaded: ScenarioFile, run_dir: RunDir, run_id: str, *, target_env: dict[str, str]) -> None:
        self.loaded = loaded
        self.run_dir = run_dir
        self.run_id = run_id
        self.target_env = target_env
        self.children: list[Child] = []
        # The providers' admin API asks for it: nothing else on the host may switch this run's faults.
        self.admin_token = admin_token(os.environ) or secrets.token_urlsafe(24)
        self._exits = AsyncExitStack()

    async def __aenter__(self) -> Endpoints:
        try:
            return await self._start()
        except BaseException:
            await self._exits.aclose()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        await self._exits.aclose()

    async def _spawn(self, name: str, argv: list[str], *, env: dict[str, str] | None = None) -> Child:
        child = await spawn(name, argv, log_path=self.run_dir.log(name), run_id=self.run_id, env=env, cwd=Path.cwd())
        self.children.append(child)
        return child

    async def _stop_children(self) -> None:
        """All at once: each gets its SIGTERM and its grace at the same time."""
        await asyncio.gather(*(stop(child) for child in self.children))

    async def _start(self) -> Endpoints:
        self._exits.push_async_callback(self._stop_children)
        scenario = self.loaded.scenario
        providers_ready = self.run_dir.providers_ready
        providers = await self._spawn(
            "providers",
            chaos_command(
                "providers", "serve", "--config", str(self._providers_config()), "--ready-file", str(providers_ready)
            ),
            env={**os.environ, ADMIN_TOKEN_ENV: self.admin_token},
        )
        began = time.monotonic()
        toxiproxy_url = await self._toxiproxy()
        toxiproxy_s = time.monotonic() - began
        ready = await wait_ready_file(providers, providers_ready, timeout=READY_TIMEOUT_S)
        providers_s = time.monotonic() - began
        client = ToxiproxyClient(toxiproxy_url)
        self._exits.push_async_callback(client.aclose)
        routes = []
        for name, provider in scenario.providers.items():
            direct = ready["providers"][name]["url"]
            proxy_name = provider.proxy or name
            upstream = direct.removeprefix("http://").split("/", 1)[0]
            proxy = await client.create_proxy(proxy_name, upstream, listen="127.0.0.1:0")
            routes.append(
                ProviderRoute(
                    name, provider.api.value, provider.model, proxy_name, base_url(provider.api.value, proxy.listen)
                )
            )
        endpoints = Endpoints(
            admin_url=str(ready["admin"]),
            toxiproxy_url=toxiproxy_url,
            target_url=scenario.target.url or "",
            routes=tuple(routes),
            toxiproxy_version=await client.version(),
            admin_token=self.admin_token,
        )
        if scenario.target.start is not None:
            endpoints = await self._start_target(endpoints)
        health = f"{endpoints.target_url}{scenario.target.health}"
        target = next((child for child in self.children if child.name == "target"), None)
        await wait_healthy(health, timeout=scenario.target.ready_timeout, child=target, setting="target.ready_timeout")
        # Where a slow start-up goes (each from the providers' spawn).
        log.info(
            "stack up",
            toxiproxy_s=round(toxiproxy_s, 2),
            providers_s=round(providers_s, 2),
            target_s=round(time.monotonic() - began, 2),
        )
        return endpoints

    def _providers_config(self) -> Path:
        scenario = self.loaded.scenario
        providers = {}
        for name, provider in scenario.providers.items():
            entry = provider.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"proxy"})
            eval_set = provider.eval_set or scenario.load.eval_set
            if eval_set is not None:
                entry["eval_set"] = str(self.loaded.resolve(eval_set).resolve())
            providers[name] = entry
        path = self.run_dir.providers_config
        path.write_text(yaml.safe_dump({"providers": providers}, sort_keys=False), encoding="utf-8")
        return path

    async def _toxiproxy(self) -> str:
        """The Toxiproxy API URL: the scenario's, or a server started for this run."""
        choice = choose_server(
            self.loaded.scenario.stack, ready_file=self.run_dir.toxiproxy_ready, binary_port=free_port()
        )
        log.info("toxiproxy", kind=choice.kind.value, reason=choice.reason)
        if choice.kind is ServerKind.URL:
            return await wait_until_ready(choice, timeout=READY_TIMEOUT_S)
        child = await self._spawn("toxiproxy", list(choice.argv))
        return await wait_until_ready(choice, exit_code=lambda: child.process.returncode, timeout=READY_TIMEOUT_S)

    async def _start_target(self, endpoints: Endpoints) -> Endpoints:
        scenario = self.loaded.scenario
        assert scenario.target.start is not None
        port = free_port()
        contract_env = target_environment(
            scenario, endpoints.routes, port=port, run_id=self.run_id, extra=self.target_env
        )
        argv, written = started_target(scenario, contract_env, os.environ)
        env = {**os.environ, **written, **contract_env}
        await self._spawn("target", start_command(argv), env=env)
        log.info("target started", command=scenario.target.start, port=port)
        return Endpoints(
            admin_url=endpoints.admin_url,
            toxiproxy_url=endpoints.toxiproxy_url,
            target_url=f"http://127.0.0.1:{port}",
            routes=endpoints.routes,
            toxiproxy_version=endpoints.toxiproxy_version,
            admin_token=endpoints.admin_token,
        )


def started_target(
    scenario: Scenario, contract_env: Mapping[str, str], environ: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The target's argv and its own ``target.env``, their ``{placeholders}`` filled from the
    contract and their ``${ENV}`` references resolved (the contract's variables included),
    here, at the last moment: the journal and the logs keep what was written."""
    assert scenario.target.start is not None
    names = contract.of_scenario(scenario)
    seen = {**environ, **contract_env}
    argv = [contract.fill(arg, names, contract_env) for arg in scenario.target.start]
    written = {
        name: resolve(contract.fill(value, names, contract_env), seen) for name, value in scenario.target.env.items()
    }
    return argv, written


def require_running(children: list[Child]) -> None:
    """Raise if a child of the stack died during the run."""
    for child in children:
        if not child.running:
            raise EnvironmentProblem(
                f"{child.name} exited with code {child.process.returncode} during the run",
                hint=f"its output ({child.log_path}):\n{child.log_tail()}",
            )
