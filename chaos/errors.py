"""Errors a person can act on, and the exit codes they map to.

    ChaosError                 anything the CLI reports without a traceback (exit 2)
    +-- ScenarioError          a scenario file is invalid: every problem, each located
    +-- EnvironmentProblem     something the run needs is missing or unreachable

The CLI turns every ``ChaosError`` into a message, an optional hint and its exit code in
one place (``chaos.cli.main``); library code raises and never prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


def quote(text: str) -> str:
    """``text`` in double quotes, with anything unprintable escaped, for echoing input in
    messages: a key holding a line separator must not break a one-problem-per-line report."""
    body = "".join(
        ch
        if ch.isprintable() and ch not in '"\\'
        else ("\\" + ch if ch in '"\\' else ch.encode("unicode_escape").decode())
        for ch in text
    )
    return f'"{body}"'


class ExitCode(IntEnum):
    PASS = 0
    FAIL = 1
    INVALID = 2
    ABORTED = 3
    INCONCLUSIVE = 4


class ChaosError(Exception):
    """An error the user can act on: a message, an optional hint, an exit code."""

    exit_code: ExitCode = ExitCode.INVALID

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as ``file:line:column: path: message``."""

    source: str
    line: int | None
    column: int | None
    path: str
    message: str

    @property
    def where(self) -> str:
        """``file:line:column``, as much of it as is known."""
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        where = self.where
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
        }


class ScenarioError(ChaosError):
    """A scenario is invalid; carries every problem found, not just the first.

    ``source`` names the file in the summary (default: the first problem's), which
    matters when a problem lies in an override rather than in the file.
    """

    def __init__(self, problems: list[Problem], *, source: str | None = None) -> None:
        self.problems = problems
        count = len(problems)
        summary = f"{count} problem{'s' if count != 1 else ''} in {source or problems[0].source}"
        super().__init__("\n".join(str(p) for p in problems) + f"\n{summary}")


class EnvironmentProblem(ChaosError):
    """The run cannot start: a URL is unreachable, a port is taken, a tool is missing."""
