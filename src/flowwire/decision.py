"""The backend-neutral decisions replay produces.

An engine turns each decision into its own terms (the local engine runs it, the SWF engine
sends ``RespondDecisionTaskCompleted`` with the matching decision types). Payload fields are
strings made by a transport; timeouts are whole seconds, ``None`` meaning the registered
default. Decisions are values (compared and hashed by their fields) that nothing changes once
made, like the history's events (see :mod:`flowwire.history`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CancelTask",
    "CancelWorkflow",
    "CompleteWorkflow",
    "ContinueAsNew",
    "Decision",
    "FailWorkflow",
    "ScheduleActivity",
    "SignalExternal",
    "StartChildWorkflow",
    "StartTimer",
]


@dataclass(slots=True, unsafe_hash=True)
class ScheduleActivity:
    key: str
    name: str
    version: str
    input: str
    task_list: str | None = None
    heartbeat: int | None = None
    schedule_to_close: int | None = None
    schedule_to_start: int | None = None
    start_to_close: int | None = None


@dataclass(slots=True, unsafe_hash=True)
class StartChildWorkflow:
    key: str
    name: str
    version: str
    input: str
    task_list: str | None = None
    workflow_duration: int | None = None
    decision_duration: int | None = None


@dataclass(slots=True, unsafe_hash=True)
class StartTimer:
    key: str
    seconds: int


@dataclass(slots=True, unsafe_hash=True)
class SignalExternal:
    """Send the signal ``name`` with the payload ``input`` to the execution ``workflow_id``
    (its open run); ``key`` names the send in the history."""

    key: str
    workflow_id: str
    name: str
    input: str


@dataclass(slots=True, unsafe_hash=True)
class CancelTask:
    """Ask for the run's task under ``key`` to be cancelled: ``kind`` ``"activity"`` (its
    worker's ``heartbeat()`` answers ``False``; one not started yet is dropped) or
    ``"workflow"`` (the child workflow started under that key is asked to cancel)."""

    key: str
    kind: str


@dataclass(slots=True, unsafe_hash=True)
class CancelWorkflow:
    """Close the execution as cancelled (after a cancellation request); ``details`` is plain
    text for whoever waits for it."""

    details: str = ""


@dataclass(slots=True, unsafe_hash=True)
class CompleteWorkflow:
    result: str


@dataclass(slots=True, unsafe_hash=True)
class FailWorkflow:
    reason: str
    details: str


@dataclass(slots=True, unsafe_hash=True)
class ContinueAsNew:
    input: str
    task_list: str | None = None
    workflow_duration: int | None = None
    decision_duration: int | None = None


Decision = (
    ScheduleActivity
    | StartChildWorkflow
    | StartTimer
    | SignalExternal
    | CancelTask
    | CompleteWorkflow
    | CancelWorkflow
    | FailWorkflow
    | ContinueAsNew
)
