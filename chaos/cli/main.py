"""``chaos``: the root command, and the one place where errors become exit codes.

Each command group lives in its own module beside this one and imports what it needs
(servers, Locust, rich tables) inside its functions, so that ``import chaos.cli`` stays
cheap and never loads Locust, gevent or a server.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import click

from chaos import __version__
from chaos.errors import ChaosError, ExitCode

EXIT_CODES_HELP = (
    "Exit codes: 0 pass, 1 an SLO or expectation failed, 2 invalid input or environment, 3 aborted, 4 inconclusive."
)


@dataclass
class Options:
    """Options of the root command, available to every subcommand."""

    log_json: bool | None
    log_level: str

    def configure_logging(self) -> None:
        from chaos import logs

        logs.configure(json_lines=self.log_json, level=self.log_level)


@click.group(help=f"Chaos engineering and game days for AI workloads.\n\n{EXIT_CODES_HELP}")
@click.version_option(__version__, "--version", prog_name="chaos")
@click.option(
    "--log-json/--log-console", default=None, help="Log JSON lines (default: JSON unless stderr is a terminal)."
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="Least severe log level shown.",
)
@click.pass_context
def cli(ctx: click.Context, log_json: bool | None, log_level: str) -> None:
    ctx.obj = Options(log_json=log_json, log_level=log_level)


def _register() -> None:
    from chaos.cli import capacity, drill, gameday, init, janitor, load, observe, providers, proxy, run, scenario

    for command in (
        *init.COMMANDS,
        *scenario.COMMANDS,
        *run.COMMANDS,
        *providers.COMMANDS,
        *proxy.COMMANDS,
        *load.COMMANDS,
        *gameday.COMMANDS,
        *drill.COMMANDS,
        *janitor.COMMANDS,
        *capacity.COMMANDS,
        *observe.COMMANDS,
    ):
        cli.add_command(command)


_register()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``chaos`` with ``argv`` (default: the process's) and return its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="chaos", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.INVALID) if exc.exit_code in (1, 2) else int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return int(ExitCode.ABORTED)
    except ChaosError as exc:
        click.echo(f"error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return int(ExitCode.ABORTED)
    return int(result) if isinstance(result, int) else 0


def console_script() -> None:
    sys.exit(main())
