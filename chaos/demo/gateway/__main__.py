"""``python -m chaos.demo.gateway [--break KIND] [--first-token-timeout 2s] ...``

Configured from the environment contract (see ``config.py``); every knob is also a flag
and a ``CHAOS_GATEWAY_<KNOB>`` variable.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from chaos.demo.gateway.config import Break, GatewayConfig, Tuning, providers_from_env
from chaos.errors import ChaosError
from chaos.scenario.units import parse_duration

if TYPE_CHECKING:
    from aiohttp import web

_SECONDS = {name for name, value in vars(Tuning()).items() if isinstance(value, float) and "timeout" in name}
_SECONDS |= {"backoff_base", "backoff_max", "max_retry_wait", "breaker_window", "breaker_cooldown", "canary_interval"}


class _Seconds(click.ParamType[float]):
    """``2s``, ``250ms`` or a bare number of seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            return parse_duration(float(value) if _is_number(value) else value, strict=False)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _tuning_options(command: Any) -> Any:
    for field in reversed(dataclasses.fields(Tuning)):
        default = field.default
        kind: Any = _Seconds() if field.name in _SECONDS else type(default)
        command = click.option(
            f"--{field.name.replace('_', '-')}",
            field.name,
            type=kind,
            default=default,
            show_default=True,
            envvar=f"CHAOS_GATEWAY_{field.name.upper()}",
        )(command)
    return command


@click.command(context_settings={"show_default": True})
@click.option("--host", default="127.0.0.1", help="Address to listen on.")
@click.option("--port", type=int, envvar="CHAOS_TARGET_PORT", required=True, help="Port (CHAOS_TARGET_PORT).")
@click.option(
    "--break",
    "broken",
    type=click.Choice([b.value for b in Break]),
    default=None,
    help="Switch exactly one resilience off.",
)
@click.option(
    "--eval-set",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    envvar="CHAOS_EVAL_SET",
    default=None,
    help="Eval prompts for the quality guard's canaries (CHAOS_EVAL_SET); none: no quality guard.",
)
@_tuning_options
def main(host: str, port: int, broken: str | None, eval_set: Path | None, **tuning: Any) -> None:
    """An OpenAI-compatible AI gateway with a fallback chain, for chaos scenarios to test."""

    from chaos import logs
    from chaos.demo.gateway.app import build_app

    logs.configure(json_lines=True, stream=sys.stdout)
    try:
        config = GatewayConfig(
            providers=providers_from_env(os.environ),
            port=port,
            host=host,
            run_id=os.environ.get("CHAOS_RUN_ID"),
            eval_set=eval_set,
            tuning=Tuning(**tuning),
            broken=Break(broken) if broken else None,
        )
    except ChaosError as exc:
        raise click.UsageError(exc.message) from None
    asyncio.run(_serve(build_app(config), host, port))


async def _serve(app: web.Application, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT (as ``web.run_app`` would), every connection held to
    the head timeout every server of the project keeps (``chaos.httpserver``)."""
    from aiohttp import web

    from chaos.httpserver import GuardedSite

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await GuardedSite(runner, host, port, backlog=1024).start()
        await stop.wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    main()
