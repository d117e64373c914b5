"""structlog, configured once per process: readable lines on a TTY, JSON lines otherwise.

Library code logs with ``structlog.get_logger()`` and never prints; the CLI calls
``configure`` before a command that logs. Importing structlog costs a quarter of a
second (it imports rich), so commands that do not log (validate, plan, schema) skip it.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

LEVELS = ("debug", "info", "warning", "error")


def configure(*, json_lines: bool | None = None, level: str = "info", stream: TextIO | None = None) -> None:
    """``json_lines=None`` means: JSON unless the stream is a terminal."""
    import structlog

    out = stream or sys.stderr
    if json_lines is None:
        json_lines = not out.isatty()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info if json_lines else structlog.processors.StackInfoRenderer(),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
