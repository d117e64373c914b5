"""The game-day plan language: pydantic models, validated as a scenario is.

A plan is a header (title, objectives, roles, severity levels, webhooks) and steps that
people follow in order; each step is a mapping with exactly one key that says its kind:

    brief       text shown to everyone
    run         a library scenario with overrides, waited for or in the background
    checkpoint  a human action expected within a deadline after an anchor (a fault's
                injection or restore, the first page, another checkpoint, the step itself)
    comms       a pre-authored template rendered with the run's live figures
    wait        for a duration, or until a background run has ended
    debrief     questions for the end

Times a plan writes are durations (``3m``); ``--scale`` shortens waits (a timeline) and
keeps checkpoint deadlines (how fast people react is what they measure).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag, model_validator

from chaos.scenario.base import Name, Strict
from chaos.scenario.units import Duration


class Role(Strict):
    title: str = Field(description="What the role is called, e.g. Incident commander.")
    who: list[str] = Field(
        default_factory=lambda: ["(to be named)"], description="People in the role, or placeholders."
    )
    duties: str = ""


class WebhookFormat(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    JSON = "json"


class NotifyEvent(StrEnum):
    """What a webhook can be told about."""

    GAMEDAY_STARTED = "gameday_started"
    GAMEDAY_ENDED = "gameday_ended"
    FAULT_INJECTED = "fault_injected"
    FAULT_RESTORED = "fault_restored"
    ALERT_FIRED = "alert_fired"
    ALERT_CLEARED = "alert_cleared"
    CHECKPOINT_OVERDUE = "checkpoint_overdue"
    VERDICT = "verdict"


class Webhook(Strict):
    name: Name
    url: str = Field(description="A URL, usually a ${ENV} reference: resolved only when sending, never recorded.")
    format: WebhookFormat = WebhookFormat.JSON
    events: list[NotifyEvent] = Field(default_factory=lambda: list(NotifyEvent), description="Default: every event.")
    timeout: Duration = Field(5.0, gt=0, le=60, description="Per attempt.")
    retries: int = Field(2, ge=0, le=5, description="Attempts after the first, on a timeout, an error or a 5xx.")


class AnchorEvent(StrEnum):
    INJECTED = "injected"
    RESTORED = "restored"


class After(Strict):
    """What a checkpoint's deadline counts from: exactly one of ``fault``, ``alert``, ``checkpoint``."""

    fault: Name | None = Field(None, description="A fault of one of the plan's scenarios.")
    event: AnchorEvent = Field(AnchorEvent.INJECTED, description="With fault: its injection or its restore.")
    alert: Annotated[str, Field(pattern="^(page|ticket)$")] | None = Field(
        None, description="The first alert of this severity in the game day's runs."
    )
    checkpoint: Name | None = Field(None, description="An earlier checkpoint, once acknowledged.")

    @model_validator(mode="after")
    def _one_anchor(self) -> After:
        given = [key for key in ("fault", "alert", "checkpoint") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError("after: takes exactly one of fault, alert, checkpoint")
        return self


class Record(StrEnum):
    SEVERITY = "severity"
    NOTES = "notes"


class Checkpoint(Strict):
    id: Name
    role: Name = Field(description="Who is expected to act: a key of roles.")
    do: str = Field(description="The action, as people read it.")
    within: Duration = Field(gt=0, description="The deadline, from the anchor.")
    after: After | None = Field(None, description="Default: from when the step is reached.")
    records: list[Record] = Field(default_factory=list, description="What the acknowledgement asks for.")
    mark: str | None = Field(
        None,
        pattern="^(detected|mitigated|resolved|severity|note)$",
        description="A `chaos gameday mark` of this kind, from any terminal, acknowledges the checkpoint too.",
    )


class CheckpointStep(Strict):
    checkpoint: Checkpoint


class BriefStep(Strict):
    brief: str


class RunSpec(Strict):
    name: Name
    scenario: Path = Field(description="A scenario file, relative to the plan.")
    set: list[str] = Field(default_factory=list, description="Overrides, as chaos run --set takes them.")
    background: bool = Field(False, description="Go on with the next steps while it runs.")


class RunStep(Strict):
    run: RunSpec


class Channel(StrEnum):
    STATUS_PAGE = "status-page"
    CUSTOMER = "customer"
    INTERNAL = "internal"


class Comms(Strict):
    id: Name
    channel: Channel
    template: Path = Field(description="A Jinja2 template, relative to the plan.")
    role: Name | None = Field(None, description="Who posts it: a key of roles.")


class CommsStep(Strict):
    comms: Comms


class Wait(Strict):
    """Exactly one of ``for`` (a duration, scaled) and ``until`` (a background run's name)."""

    for_: Duration | None = Field(None, alias="for", ge=0)
    until: Name | None = None

    @model_validator(mode="after")
    def _one(self) -> Wait:
        if (self.for_ is None) == (self.until is None):
            raise ValueError("wait: takes exactly one of for (a duration) and until (a run's name)")
        return self


class WaitStep(Strict):
    wait: Wait


class DebriefStep(Strict):
    debrief: list[str] = Field(min_length=1)


STEP_KEYS = {key: key for key in ("brief", "run", "checkpoint", "comms", "wait", "debrief")}


def _step_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        found = [key for key in value if key in STEP_KEYS]
        return found[0] if len(found) == 1 else None
    return next((key for key in STEP_KEYS if getattr(value, key, None) is not None), None)


Step = Annotated[
    Annotated[BriefStep, Tag("brief")]
    | Annotated[RunStep, Tag("run")]
    | Annotated[CheckpointStep, Tag("checkpoint")]
    | Annotated[CommsStep, Tag("comms")]
    | Annotated[WaitStep, Tag("wait")]
    | Annotated[DebriefStep, Tag("debrief")],
    Discriminator(
        _step_tag,
        custom_error_type="unknown_step",
        custom_error_message="a step takes exactly one of: " + ", ".join(STEP_KEYS),
    ),
]


class Plan(Strict):
    version: int = Field(ge=1, le=1)
    name: Name
    title: str
    objectives: list[str] = Field(min_length=1)
    roles: dict[Name, Role] = Field(min_length=1)
    severities: dict[Annotated[str, Field(pattern=r"^SEV-\d$")], str] = Field(
        default_factory=dict, description="Each level and its criteria, e.g. SEV-1: customers cannot use the product."
    )
    notify: list[Webhook] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)

    @property
    def runs(self) -> list[RunSpec]:
        return [step.run for step in self.steps if isinstance(step, RunStep)]

    @property
    def checkpoints(self) -> list[Checkpoint]:
        return [step.checkpoint for step in self.steps if isinstance(step, CheckpointStep)]
