"""SWF history events -> the backend-neutral history of :mod:`flowwire.history`.

Pure code, no I/O: it reads the event dicts of ``PollForDecisionTask`` and
``GetWorkflowExecutionHistory`` (boto3's parsed form and SWF's raw JSON are the same shape) and
never interprets payloads.

Identities: an activity's ``activityId`` and a timer's ``timerId`` *are* the call key. A child
workflow's ``workflowId`` must be unique in the whole domain, so it is the parent's workflow id,
``":"`` and the key (:func:`child_workflow_id`); :func:`key_of_child` maps it back. Events that
refer to an earlier event (``scheduledEventId``, ``initiatedEventId``) are resolved through the
keys seen so far, so a :class:`HistoryBuilder` must be fed the history in order, from event 1.

Signals: ``WorkflowExecutionSignaled`` is a :class:`~flowwire.history.SignalReceived` (no
``input``: an empty payload, which the workflow receives as ``None``). A signal the run sends
(``SignalExternalWorkflowExecution``) carries its call key in ``control``; its outcome events
refer to the initiating event.

Cancellation: ``WorkflowExecutionCancelRequested`` is a
:class:`~flowwire.history.WorkflowCancelRequested` (cause ``PARENT`` when SWF says
``CHILD_POLICY_APPLIED`` or the request came from the execution's parent). The run's own
requests to cancel a task, ``ActivityTaskCancelRequested``, ``RequestCancelActivityTaskFailed``
(the activity had closed) and ``RequestCancelExternalWorkflowExecutionInitiated`` (a child, its
call key in ``control``), are each a :class:`~flowwire.history.TaskCancelRequested`, so that
replay asks once; what became of an external request (``ExternalWorkflowExecutionCancelRequested``,
``RequestCancelExternalWorkflowExecutionFailed``) is not needed and skipped. A cancelled task
closes with ``ActivityTaskCanceled`` or ``ChildWorkflowExecutionCanceled``: a
:class:`~flowwire.history.TaskFailed` whose reason is that event type.

Shapes accepted: real SWF's (``previousStartedEventId`` 0 or absent, fields that moto leaves
out such as ``ActivityTaskFailed.details``) and moto's. Events that replay does not need
(decision tasks, markers, timer cancellations, ...) are skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from flowwire.engines.swf.limits import MAX_ID
from flowwire.errors import BackendError
from flowwire.history import (
    Event,
    SignalDelivered,
    SignalReceived,
    SignalSendFailed,
    SignalSent,
    TaskCancelRequested,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskScheduleFailed,
    TaskStarted,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
    WorkflowCancelRequested,
    WorkflowStarted,
)

__all__ = ["HistoryBuilder", "child_workflow_id", "key_of_child", "translate"]


def _short_prefix(parent_workflow_id: str) -> str:
    return "h" + hashlib.sha256(parent_workflow_id.encode()).hexdigest()[:24]


def child_workflow_id(parent_workflow_id: str, key: str) -> str:
    """The domain-unique workflow id of the child workflow started with call key ``key``.

    ``"<parent workflowId>:<key>"``, or, when that would pass SWF's 256 characters, a
    fixed-size digest of the parent id in its place. Raises :class:`BackendError` when even
    that cannot hold the key.
    """
    candidate = f"{parent_workflow_id}:{key}"
    if len(candidate) <= MAX_ID:
        return candidate
    candidate = f"{_short_prefix(parent_workflow_id)}:{key}"
    if len(candidate) > MAX_ID:
        raise BackendError(
            f"call key {key[:40]!r}... is {len(key)} characters; a child workflow id must fit "
            f"in {MAX_ID} characters"
        )
    return candidate


def key_of_child(parent_workflow_id: str, workflow_id: str) -> str:
    """The call key of a child workflow id made by :func:`child_workflow_id`; an id this
    engine did not make (another library's child) is its own key."""
    for prefix in (parent_workflow_id, _short_prefix(parent_workflow_id)):
        if workflow_id.startswith(prefix + ":"):
            return workflow_id[len(prefix) + 1 :]
    return workflow_id


def _attrs(event: Mapping[str, Any], event_type: str) -> Mapping[str, Any]:
    name = event_type[0].lower() + event_type[1:] + "EventAttributes"
    value = event.get(name)
    return value if isinstance(value, Mapping) else {}


class HistoryBuilder:
    """Accumulates one execution's SWF events into neutral events, incrementally.

    ``feed`` must get the events in ``eventId`` order; events it already has (an ``eventId``
    at or below :attr:`last_event_id`) are skipped, so overlapping pages are harmless. A gap
    (the next event is not ``last_event_id + 1``) raises :class:`BackendError`: the caller must
    then rebuild from the full history. :attr:`events` is the neutral history so far.
    """

    __slots__ = ("_by_event_id", "_parent", "events", "last_event_id", "workflow_id")

    def __init__(self, workflow_id: str) -> None:
        self.workflow_id = workflow_id
        self.events: list[Event] = []
        self.last_event_id = 0
        self._by_event_id: dict[int, str] = {}
        self._parent: str | None = None  # the parent's workflow id, for a child

    def feed(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Translate and append ``events`` (SWF event dicts) after the ones already fed."""
        for event in events:
            event_id = int(event["eventId"])
            if event_id <= self.last_event_id:
                continue
            if event_id != self.last_event_id + 1:
                raise BackendError(
                    f"history of workflow {self.workflow_id!r} jumps from event "
                    f"{self.last_event_id} to {event_id}; the full history is needed"
                )
            self.last_event_id = event_id
            translated = self._translate(event_id, str(event["eventType"]), event)
            if translated is not None:
                self.events.append(translated)

    def _cancel_cause(self, attrs: Mapping[str, Any]) -> str:
        cause = str(attrs.get("cause") or "")
        external = attrs.get("externalWorkflowExecution")
        by = external.get("workflowId") if isinstance(external, Mapping) else None
        if cause == "CHILD_POLICY_APPLIED" or (by is not None and by == self._parent):
            return "PARENT"
        return cause

    def _key(self, event_id: object, event_type: str) -> str:
        try:
            return self._by_event_id[int(event_id)]  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError):
            raise BackendError(
                f"{event_type} in workflow {self.workflow_id!r} refers to event {event_id!r}, "
                "which is not an activity/child workflow scheduling event of this history"
            ) from None

    def _translate(self, event_id: int, event_type: str, event: Mapping[str, Any]) -> Event | None:
        a = _attrs(event, event_type)
        match event_type:
            case "WorkflowExecutionStarted":
                parent = a.get("parentWorkflowExecution")
                if isinstance(parent, Mapping) and parent.get("workflowId"):
                    self._parent = str(parent["workflowId"])
                return WorkflowStarted(input=a.get("input") or "")
            case "WorkflowExecutionCancelRequested":
                return WorkflowCancelRequested(cause=self._cancel_cause(a))
            case "ActivityTaskCancelRequested" | "RequestCancelActivityTaskFailed":
                return TaskCancelRequested(key=str(a["activityId"]))
            case "RequestCancelExternalWorkflowExecutionInitiated":
                control = a.get("control")
                key = control or key_of_child(self.workflow_id, str(a["workflowId"]))
                return TaskCancelRequested(key=str(key))
            case "ActivityTaskScheduled":
                key = str(a["activityId"])
                self._by_event_id[event_id] = key
                return _scheduled(key, "activity", a.get("activityType"), a, _ACTIVITY_OPTIONS)
            case "ActivityTaskStarted":
                return TaskStarted(key=self._key(a.get("scheduledEventId"), event_type))
            case "ActivityTaskCompleted":
                key = self._key(a.get("scheduledEventId"), event_type)
                return TaskCompleted(key=key, result=a.get("result") or "")
            case "ActivityTaskFailed":
                key = self._key(a.get("scheduledEventId"), event_type)
                return TaskFailed(
                    key=key, reason=a.get("reason") or "", details=a.get("details") or ""
                )
            case "ActivityTaskTimedOut":
                key = self._key(a.get("scheduledEventId"), event_type)
                return TaskTimedOut(key=key, timeout_type=str(a.get("timeoutType") or "UNKNOWN"))
            case "ActivityTaskCanceled":
                key = self._key(a.get("scheduledEventId"), event_type)
                return TaskFailed(
                    key=key, reason="ActivityTaskCanceled", details=a.get("details") or ""
                )
            case "ScheduleActivityTaskFailed":
                key = str(a["activityId"])
                return _refused(key, "activity", a.get("activityType"), a.get("cause"))
            case "StartChildWorkflowExecutionInitiated":
                key = key_of_child(self.workflow_id, str(a["workflowId"]))
                self._by_event_id[event_id] = key
                return _scheduled(key, "workflow", a.get("workflowType"), a, _CHILD_OPTIONS)
            case "StartChildWorkflowExecutionFailed":
                key = key_of_child(self.workflow_id, str(a["workflowId"]))
                return _refused(key, "workflow", a.get("workflowType"), a.get("cause"))
            case "ChildWorkflowExecutionStarted":
                return TaskStarted(key=self._key(a.get("initiatedEventId"), event_type))
            case "ChildWorkflowExecutionCompleted":
                key = self._key(a.get("initiatedEventId"), event_type)
                return TaskCompleted(key=key, result=a.get("result") or "")
            case "ChildWorkflowExecutionFailed":
                key = self._key(a.get("initiatedEventId"), event_type)
                return TaskFailed(
                    key=key, reason=a.get("reason") or "", details=a.get("details") or ""
                )
            case "ChildWorkflowExecutionTimedOut":
                key = self._key(a.get("initiatedEventId"), event_type)
                return TaskTimedOut(key=key, timeout_type=str(a.get("timeoutType") or "UNKNOWN"))
            case "ChildWorkflowExecutionCanceled" | "ChildWorkflowExecutionTerminated":
                key = self._key(a.get("initiatedEventId"), event_type)
                return TaskFailed(key=key, reason=event_type, details=a.get("details") or "")
            case "TimerStarted":
                seconds = _seconds(a.get("startToFireTimeout", "NONE"))
                return TimerStarted(
                    key=str(a["timerId"]), seconds=seconds if isinstance(seconds, int) else None
                )
            case "TimerFired":
                return TimerFired(key=str(a["timerId"]))
            case "WorkflowExecutionSignaled":
                return SignalReceived(name=str(a["signalName"]), input=a.get("input") or "")
            case "SignalExternalWorkflowExecutionInitiated":
                key = str(a.get("control") or f"signal.{event_id}")
                self._by_event_id[event_id] = key
                return SignalSent(
                    key=key,
                    workflow_id=str(a["workflowId"]),
                    name=str(a["signalName"]),
                    input=a.get("input") or "",
                )
            case "ExternalWorkflowExecutionSignaled":
                return SignalDelivered(key=self._key(a.get("initiatedEventId"), event_type))
            case "SignalExternalWorkflowExecutionFailed":
                key = self._key(a.get("initiatedEventId"), event_type)
                return SignalSendFailed(key=key, cause=str(a.get("cause") or "UNKNOWN"))
            case _:
                return None


#: SWF's attribute of the scheduling event -> flowwire's option, for each kind of task
_ACTIVITY_OPTIONS = {
    "heartbeatTimeout": "heartbeat",
    "scheduleToCloseTimeout": "schedule_to_close",
    "scheduleToStartTimeout": "schedule_to_start",
    "startToCloseTimeout": "start_to_close",
}
_CHILD_OPTIONS = {
    "executionStartToCloseTimeout": "workflow_duration",
    "taskStartToCloseTimeout": "decision_duration",
}


def _type_of(task_type: Any) -> tuple[str | None, str | None]:
    if isinstance(task_type, Mapping) and "name" in task_type:
        return str(task_type["name"]), str(task_type["version"])
    return None, None


def _seconds(value: Any) -> int | str | None:
    """SWF's duration string as whole seconds; ``"NONE"`` (no limit) is ``None``, and
    anything else is kept as SWF wrote it."""
    text = str(value)
    if text == "NONE":
        return None
    return int(text) if text.isdigit() else text


def _scheduled(
    key: str, kind: str, task_type: Any, attrs: Mapping[str, Any], fields: Mapping[str, str]
) -> TaskScheduled:
    name, version = _type_of(task_type)
    options: dict[str, Any] = {}
    task_list = attrs.get("taskList")
    if isinstance(task_list, Mapping) and "name" in task_list:
        options["task_list"] = str(task_list["name"])
    for swf_name, option in fields.items():
        if swf_name in attrs:
            options[option] = _seconds(attrs[swf_name])
    payload = attrs.get("input")
    return TaskScheduled(
        key=key,
        name=name,
        version=version,
        kind=kind,
        options=options,
        input=None if payload is None else str(payload),
    )


def _refused(key: str, kind: str, task_type: Any, cause: Any) -> TaskScheduleFailed:
    name, version = _type_of(task_type)
    return TaskScheduleFailed(key, str(cause or ""), name=name, version=version, kind=kind)


def translate(events: Iterable[Mapping[str, Any]], *, workflow_id: str) -> list[Event]:
    """The neutral history of a complete SWF history (events in order, from event 1) of the
    execution ``workflow_id``. Raises :class:`BackendError` for a history with a gap or an
    event that refers to an unknown scheduling event."""
    builder = HistoryBuilder(workflow_id)
    builder.feed(events)
    return builder.events
