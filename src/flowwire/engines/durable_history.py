"""The durable local engine's history source: executions, histories and timelines of a file.

What ``flowwire executions --db`` and ``flowwire history --db`` print, in the engine-neutral
shapes of :mod:`flowwire.tools.histories` and :mod:`flowwire.tools.timeline` (the same text,
JSON and pictures as ``flowwire swf executions|history``):

* :func:`summaries`: every run of the file as an
  :class:`~flowwire.tools.histories.ExecutionSummary`, newest first;
* :func:`history_entries`: one run's events as
  :class:`~flowwire.tools.histories.HistoryEntry` objects, each at the time it was committed
  (:meth:`~flowwire.runtime.sqlite.SQLiteStore.times`), with payloads decoded by the task
  types' transports, then the run's close (its result, failure or timeout);
* :func:`durable_timeline`: the run's tasks and timers as timeline rows, an activity's start
  being when its worker got it (kept with its closing event).

Which transport decodes a payload follows the transport rule: the workflow's for its input
and result, the scheduled type's (by the event's kind, name and version among the registered
types) for a task's input, result and failure; a type that is not registered is read with the
engine's default transport (every payload names its codec). A payload that cannot be decoded
here (one encrypted with keys this process lacks, exactly as on SWF) says why instead.
"""

from __future__ import annotations

from typing import Any

from flowwire.errors import FlowwireError
from flowwire.history import (
    Event,
    SignalReceived,
    SignalSendFailed,
    SignalSent,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskScheduleFailed,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
    WorkflowStarted,
)
from flowwire.runtime.sqlite import SQLiteStore
from flowwire.runtime.store import RunRecord
from flowwire.tasktype import TaskRegistry, TaskType
from flowwire.tools.histories import ExecutionSummary, HistoryEntry
from flowwire.tools.timeline import Timeline, TimelineRow
from flowwire.transport import Transport
from flowwire.transport_rule import TransportRule

__all__ = ["STATUSES", "durable_timeline", "history_entries", "summaries", "summary_of"]

#: How the summaries name a run's status (as SWF does).
STATUSES = {
    "open": "OPEN",
    "completed": "COMPLETED",
    "failed": "FAILED",
    "timed_out": "TIMED_OUT",
    "continued": "CONTINUED_AS_NEW",
    "cancelled": "CANCELED",
    "aborted": "ABORTED",
}
_CLOSE_EVENTS = {
    "completed": "WorkflowCompleted",
    "failed": "WorkflowFailed",
    "timed_out": "WorkflowTimedOut",
    "continued": "WorkflowContinuedAsNew",
    "cancelled": "WorkflowCanceled",
    "aborted": "WorkflowAborted",
}
_ENDS = {
    TaskCompleted: "completed",
    TaskFailed: "failed",
    TaskTimedOut: "timed out",
    TaskScheduleFailed: "schedule failed",
}


def summary_of(record: RunRecord) -> ExecutionSummary:
    """The summary of one run."""
    return ExecutionSummary(
        workflow_id=record.workflow_id,
        run_id=record.run_id,
        workflow=f"{record.name} v{record.version}",
        status=STATUSES.get(record.status, record.status.upper()),
        started=record.started_at,
        closed=record.closed_at,
    )


def summaries(store: SQLiteStore, *, status: str | None = None) -> list[ExecutionSummary]:
    """Every run of the file (of that ``status``: ``open``, ``completed``, ...), newest first."""
    return [summary_of(r) for r in reversed(store.runs(status=status))]


class _Transports:
    """The transport of each scheduled type (registered: its own by the rule; else the
    engine's default)."""

    def __init__(self, types: TaskRegistry, rule: TransportRule) -> None:
        self.types, self.rule = types, rule

    def of(self, event: TaskScheduled | None) -> tuple[TaskType | None, Transport]:
        task_type = None
        if event is not None and event.name is not None and event.version is not None:
            kinds = [event.kind] if event.kind else ["activity", "workflow"]
            found = (self.types.get(kind, event.name, event.version) for kind in kinds)
            task_type = next((t for t in found if t is not None), None)
        return task_type, self.rule.of(task_type)


def _label(event: TaskScheduled) -> str:
    return f"{event.kind or 'task'} {event.name!r} v{event.version}"


def history_entries(
    store: SQLiteStore,
    record: RunRecord,
    types: TaskRegistry,
    rule: TransportRule,
    *,
    decode: bool = True,
) -> list[HistoryEntry]:
    """One entry per stored event of run ``record`` (ids from 1, in commit order), then one
    for its close; ``decode=False`` shows payload strings exactly as stored."""
    transports = _Transports(types, rule)
    workflow = types.get("workflow", record.name, record.version)
    own = rule.of(workflow)
    scheduled: dict[str, TaskScheduled] = {}
    entries: list[HistoryEntry] = []
    for number, (at, event) in enumerate(store.timed_history(record.run_id), 1):
        entry = HistoryEntry(number, at, type(event).__name__, key=getattr(event, "key", ""))
        if isinstance(event, TaskScheduled):
            scheduled[event.key] = event
        task = scheduled.get(entry.key) if entry.key else None
        if task is not None:
            entry.task = _label(task)
        target, transport = (workflow, own) if task is None else transports.of(task)
        _fill(entry, event, transport, target, decode)
        entries.append(entry)
    if not record.is_open and record.closed_at is not None:
        close = HistoryEntry(len(entries) + 1, record.closed_at, _CLOSE_EVENTS[record.status])
        if record.status == "completed" and record.result is not None:
            _payload(close, "result", record.result, own, workflow, decode)
        elif record.status == "failed":
            _error(close, own, record.reason or "", record.details or "", decode)
        elif record.status == "timed_out":
            close.notes["timeoutType"] = record.reason or "WORKFLOW_DURATION"
        elif record.next_run_id is not None:
            close.notes["nextRunId"] = record.next_run_id
        entries.append(close)
    return entries


def _fill(
    entry: HistoryEntry, event: Event, transport: Transport, target: Any, decode: bool
) -> None:
    if isinstance(event, WorkflowStarted | TaskScheduled) and event.input is not None:
        _payload(entry, "input", event.input, transport, target, decode)
    if isinstance(event, TaskCompleted):
        _payload(entry, "result", event.result, transport, target, decode)
    elif isinstance(event, TaskFailed):
        _error(entry, transport, event.reason, event.details, decode)
    elif isinstance(event, TaskTimedOut):
        entry.notes["timeoutType"] = event.timeout_type
    elif isinstance(event, TaskScheduleFailed | SignalSendFailed):
        entry.notes["cause"] = event.cause
    elif isinstance(event, SignalReceived | SignalSent):
        entry.notes["signalName"] = event.name
        if isinstance(event, SignalSent):
            entry.notes["workflowId"] = event.workflow_id
        if event.input:
            _payload(entry, "value", event.input, transport, None, decode)


def _payload(
    entry: HistoryEntry,
    field: str,
    payload: str,
    transport: Transport,
    target: TaskType | None,
    decode: bool,
) -> None:
    if not decode:
        entry.payloads[field] = payload
        return
    try:
        if field == "input":
            args, kwargs = transport.deserialize_arguments(payload)
            entry.payloads[field] = {"args": list(args), "kwargs": kwargs}
        else:
            hint = Any if target is None else target.return_hint()
            entry.payloads[field] = transport.deserialize_result(payload, type_hint=hint)
    except Exception as exc:  # keys or stores missing here, a codec not installed, ...
        entry.payloads[field] = None
        entry.problems[field] = f"{type(exc).__name__}: {exc}"


def _error(
    entry: HistoryEntry, transport: Transport, reason: str, details: str, decode: bool
) -> None:
    if not decode:
        entry.payloads["reason"], entry.payloads["details"] = reason, details
        return
    try:
        error = transport.deserialize_error(reason, details)
    except FlowwireError as exc:
        entry.error = {"message": f"(not decoded: {type(exc).__name__}: {exc}) {reason}"}
        return
    entry.error = {"type": error.type_name, "message": error.message, "traceback": error.traceback}


def durable_timeline(store: SQLiteStore, record: RunRecord) -> Timeline:
    """The timeline of one run (the durable engine's history source): one row per attempt,
    child workflow and timer, in order of scheduling."""
    starts = store.attempt_starts(record.run_id)
    rows: dict[str, dict[str, Any]] = {}
    for at, event in store.timed_history(record.run_id):
        if isinstance(event, TaskScheduled):
            kind = "child workflow" if event.kind == "workflow" else "activity"
            rows[event.key] = {"key": event.key, "label": _label(event), "kind": kind}
            rows[event.key]["scheduled"] = at
            if kind == "child workflow":  # a child starts as it is scheduled
                rows[event.key]["started"] = at
        elif isinstance(event, TimerStarted):
            rows[event.key] = {"key": event.key, "label": "timer", "kind": "timer"}
            rows[event.key]["scheduled"] = at
        elif isinstance(event, TimerFired) and event.key in rows:
            rows[event.key].update(ended=at, outcome="fired")
        elif type(event) in _ENDS and event.key in rows:  # type: ignore[union-attr]
            row = rows[event.key]  # type: ignore[union-attr]
            row.update(ended=at, outcome=_ENDS[type(event)])
            row.setdefault("started", starts.get(row["key"]))
            detail = getattr(event, "timeout_type", "") or getattr(event, "reason", "")
            row["detail"] = str(detail or getattr(event, "cause", ""))
    summary = summary_of(record)
    return Timeline(
        title=f"workflow {record.name!r} v{record.version} ({record.workflow_id})",
        started=record.started_at,
        ended=record.closed_at,
        status=summary.status,
        rows=tuple(TimelineRow(**row) for row in rows.values()),
    )
