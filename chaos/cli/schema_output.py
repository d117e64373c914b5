"""The ``schema`` commands' output: a JSON Schema on stdout, or in the file ``-o`` names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from chaos.errors import ExitCode

OUTPUT_OPTION = click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to a file instead."
)


def emit_schema(schema: dict[str, Any], output: Path | None) -> int:
    text = json.dumps(schema, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    return int(ExitCode.PASS)
