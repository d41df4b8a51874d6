"""What the local engine keeps about each workflow run and each activity attempt.

``closed`` marks a record whose outcome is recorded, so that timers and messages that still
refer to it do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowwire.history import Event
from flowwire.replay import Execution
from flowwire.task import Activity, Workflow, WorkflowMeta
from flowwire.transport import Transport

__all__ = ["Attempt", "Run"]


@dataclass(eq=False)
class Run:
    run_id: str
    cls: type[Workflow]
    meta: WorkflowMeta
    transport: Transport
    history: list[Event]
    execution: Execution | None
    parent: tuple[Run, str] | None
    workflow_duration: int
    closed: bool = False


@dataclass(eq=False)
class Attempt:
    token: str
    run: Run
    key: str
    cls: type[Activity]
    transport: Transport
    heartbeat: int | None
    start_to_close: int
    started_at: float | None = None
    last_beat: float = 0.0
    closed: bool = False
