"""The backend-neutral execution history that replay reads.

Engines translate their native history (the local engine's in-memory log, SWF's
``PollForDecisionTask`` events) into a list of these events, in order. The core never sees a
backend's event shapes, and an engine never interprets payloads: ``input``, ``result`` and
``details`` are payload strings produced by a transport.

Every task (activity or child workflow) and timer is identified by its *call key*, a
deterministic string derived from the proxy name, the call number and the retry number, that
the decider chose when it scheduled it. A retry's delay timer is ``<call key>.delay``; the
``N``-th timer of ``sleep``/``timer`` is ``timer.N`` (:func:`flowwire.waits.is_user_timer`).
A signal has no key: the ``N``-th ``wait_signal(name)`` of a run gets the ``N``-th
:class:`SignalReceived` of that name. A signal the run sends to another execution is keyed
``signal.N`` (its ``N``-th send).

Events are values: one event object is shared by a run's history, its store and the decider,
so nothing may change it once made. They compare and hash by their fields; they are not
``frozen`` dataclasses because a frozen one costs several times as much to build, and engines
build a few per task (``docs/local-engine.md``).

Cancellation: :class:`WorkflowCancelRequested` is a request to cancel this execution (replay
reads the first one; the workflow is told at its first wait that the history before the
request cannot satisfy, see :mod:`flowwire.replay`). :class:`TaskCancelRequested` records that
the run asked for its task under ``key`` (an activity, or a child workflow) to be cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Event",
    "SignalDelivered",
    "SignalReceived",
    "SignalSendFailed",
    "SignalSent",
    "TaskCancelRequested",
    "TaskCompleted",
    "TaskFailed",
    "TaskScheduleFailed",
    "TaskScheduled",
    "TaskStarted",
    "TaskTimedOut",
    "TimerFired",
    "TimerStarted",
    "WorkflowCancelRequested",
    "WorkflowStarted",
]


@dataclass(slots=True, unsafe_hash=True)
class WorkflowStarted:
    """The execution started with this input payload."""

    input: str


@dataclass(slots=True, unsafe_hash=True)
class TaskScheduled:
    """A task was scheduled (activity) or initiated (child workflow).

    ``name``/``version`` are the task type's and ``kind`` is ``"activity"`` or
    ``"workflow"``, when the backend reports them; replay checks all three against the code (a
    mismatch is a ``flowwire.NondeterminismError``). ``options`` are the options the task was
    scheduled with, as the backend recorded them (the registered defaults filled in):
    ``task_list`` and the timeouts in whole seconds (``None``: no limit), for an activity
    ``heartbeat``, ``schedule_to_close``, ``schedule_to_start``, ``start_to_close``, for a
    child workflow ``workflow_duration``, ``decision_duration``. ``input`` is the task's input
    payload when the backend records it (both engines do); replay never reads it.
    """

    key: str
    name: str | None = None
    version: str | None = None
    kind: str | None = None
    options: dict[str, Any] = field(default_factory=dict, hash=False)
    input: str | None = None


@dataclass(slots=True, unsafe_hash=True)
class TaskStarted:
    """A worker picked the task up (informational; replay does not need it)."""

    key: str


@dataclass(slots=True, unsafe_hash=True)
class TaskCompleted:
    """The task finished with this result payload."""

    key: str
    result: str


@dataclass(slots=True, unsafe_hash=True)
class TaskFailed:
    """The task failed; ``reason``/``details`` are what the transport's serialize_error made."""

    key: str
    reason: str
    details: str


@dataclass(slots=True, unsafe_hash=True)
class TaskTimedOut:
    """The task timed out; ``timeout_type`` is e.g. ``START_TO_CLOSE`` or ``HEARTBEAT``."""

    key: str
    timeout_type: str


@dataclass(slots=True, unsafe_hash=True)
class TaskScheduleFailed:
    """The backend refused to schedule the task (unknown type, bad parameters, ...).

    ``name``, ``version`` and ``kind`` are as for :class:`TaskScheduled`, for a backend (SWF)
    that records a refusal without a scheduling event.
    """

    key: str
    cause: str
    name: str | None = None
    version: str | None = None
    kind: str | None = None


@dataclass(slots=True, unsafe_hash=True)
class TimerStarted:
    """A timer was started (a retry's delay, or a ``sleep``/``timer`` of ``run``);
    ``seconds`` is its duration as the backend recorded it (``None`` when it did not). Events
    compare by key only: the duration is a record, not an identity."""

    key: str
    seconds: int | None = field(default=None, compare=False)


@dataclass(slots=True, unsafe_hash=True)
class TimerFired:
    key: str


@dataclass(slots=True, unsafe_hash=True)
class SignalReceived:
    """The signal ``name`` reached the execution; ``input`` is its value's payload, made by
    the workflow type's transport (``serialize_result``)."""

    name: str
    input: str


@dataclass(slots=True, unsafe_hash=True)
class SignalSent:
    """The run asked for the signal ``name`` (payload ``input``) to be sent to the execution
    ``workflow_id``; ``key`` is the send's (``signal.N``)."""

    key: str
    workflow_id: str
    name: str
    input: str


@dataclass(slots=True, unsafe_hash=True)
class SignalDelivered:
    """The signal sent under ``key`` reached its execution."""

    key: str


@dataclass(slots=True, unsafe_hash=True)
class SignalSendFailed:
    """The signal sent under ``key`` did not reach an execution (``cause``: for example
    ``UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION``)."""

    key: str
    cause: str


@dataclass(slots=True, unsafe_hash=True)
class WorkflowCancelRequested:
    """Someone asked for this execution to be cancelled; ``cause`` says who when the backend
    records it (``"PARENT"``: its parent workflow was cancelled; SWF's ``CHILD_POLICY_APPLIED``),
    else ``""``."""

    cause: str = ""


@dataclass(slots=True, unsafe_hash=True)
class TaskCancelRequested:
    """The run asked for its task under ``key`` (an activity, or a child workflow started
    under that call key) to be cancelled. The task still closes with its own event: a
    cancelled activity or child is a :class:`TaskFailed` whose ``reason`` is
    ``ActivityTaskCanceled`` or ``ChildWorkflowExecutionCanceled``."""

    key: str


Event = (
    WorkflowStarted
    | TaskScheduled
    | TaskStarted
    | TaskCompleted
    | TaskFailed
    | TaskTimedOut
    | TaskScheduleFailed
    | TimerStarted
    | TimerFired
    | SignalReceived
    | SignalSent
    | SignalDelivered
    | SignalSendFailed
    | WorkflowCancelRequested
    | TaskCancelRequested
)
