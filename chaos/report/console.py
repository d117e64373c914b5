"""The rich console every command renders to."""

from __future__ import annotations

import sys

from rich.console import Console


def console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that wraps wide tables rather than truncating them."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, soft_wrap=False, width=None if stream.isatty() else 160)
