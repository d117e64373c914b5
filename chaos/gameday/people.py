"""How a checkpoint is acknowledged: by the people at the console, or by ``--auto``.

The console asks in a thread of its own, so that the game day (the run, its webhooks,
other checkpoints' deadlines) goes on while people think; a ``chaos gameday mark`` from
another terminal can acknowledge the same checkpoint first, and then the console's
question is left unanswered.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Protocol

from rich.console import Console
from rich.prompt import Prompt

from chaos.gameday.plan import Checkpoint, Plan, Record


@dataclass(frozen=True)
class Answer:
    by: str
    how: str  # console | auto | mark
    severity: str | None = None
    notes: str = ""


class Responder(Protocol):
    def ask(self, checkpoint: Checkpoint, plan: Plan) -> asyncio.Future[Answer]: ...


def holder(plan: Plan, role: str) -> str:
    """The first person named in ``role``, or the role's title."""
    people = plan.roles[role].who if role in plan.roles else []
    return people[0] if people else role


class Auto:
    """``--auto``: every checkpoint is acknowledged as soon as it is asked, by its role's
    first holder; a severity is the least severe the plan defines (rehearsals and CI)."""

    def ask(self, checkpoint: Checkpoint, plan: Plan) -> asyncio.Future[Answer]:
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        severity = sorted(plan.severities)[-1] if Record.SEVERITY in checkpoint.records and plan.severities else None
        future.set_result(Answer(by=holder(plan, checkpoint.role), how="auto", severity=severity))
        return future


class AtConsole:
    """Asks at the terminal; the answer arrives through the event loop."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def ask(self, checkpoint: Checkpoint, plan: Plan) -> asyncio.Future[Answer]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()

        def settle(answer: Answer) -> None:
            if not future.done():
                future.set_result(answer)

        def questions() -> None:
            try:
                by = Prompt.ask(f"  who did it ({checkpoint.role})", default=holder(plan, checkpoint.role))
                severity = None
                if Record.SEVERITY in checkpoint.records:
                    severity = Prompt.ask("  severity", choices=sorted(plan.severities))
                notes = Prompt.ask("  notes", default="") if Record.NOTES in checkpoint.records else ""
            except (EOFError, KeyboardInterrupt):
                return  # no terminal to answer from: a mark still can
            loop.call_soon_threadsafe(settle, Answer(by=by, how="console", severity=severity, notes=notes))

        threading.Thread(target=questions, name=f"checkpoint-{checkpoint.id}", daemon=True).start()
        return future
