"""Read SWF executions and histories for people: ``flowwire swf executions|history``.

* :func:`list_executions`: open and closed executions of a domain (``ListOpen/Closed
  WorkflowExecutions``, every page) as :class:`~flowwire.tools.histories.ExecutionSummary`.
* :func:`fetch_history`: every event of one run (``GetWorkflowExecutionHistory``, every page).
* :func:`history_entries`: the events as :class:`~flowwire.tools.histories.HistoryEntry`,
  payloads decoded with the transports of the task types (found by scanning the user's
  modules into a :class:`~flowwire.engines.swf.TaskRegistry`); a type the registry does not
  know is read with the built-in codecs, and a payload that cannot be read shows why.
* :func:`swf_timeline`: the timeline source of SWF: rows of :mod:`flowwire.tools.timeline`
  from the raw events and their ``eventTimestamp``.

Event fields are read as boto3 parses them and as SWF's raw JSON has them (timestamps as
``datetime``, epoch numbers or ISO text), so a history saved by the AWS CLI works too.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.events import key_of_child
from flowwire.errors import FlowwireError
from flowwire.tools.histories import ExecutionSummary, HistoryEntry
from flowwire.tools.timeline import Timeline, TimelineRow
from flowwire.transport import Transport, get_transport

__all__ = [
    "fetch_history",
    "history_entries",
    "list_executions",
    "summary_of",
    "swf_timeline",
    "timestamp",
]

#: SWF's close statuses, as the summaries show them.
_CLOSE_EVENTS = {
    "WorkflowExecutionCompleted": "COMPLETED",
    "WorkflowExecutionFailed": "FAILED",
    "WorkflowExecutionTimedOut": "TIMED_OUT",
    "WorkflowExecutionCanceled": "CANCELED",
    "WorkflowExecutionTerminated": "TERMINATED",
    "WorkflowExecutionContinuedAsNew": "CONTINUED_AS_NEW",
}


def timestamp(value: Any) -> float:
    """Seconds since the epoch of an SWF time: a ``datetime``, a number or ISO 8601 text.
    Raises ``ValueError`` for anything else."""
    if isinstance(value, _dt.datetime):
        moment: _dt.datetime = value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
        return moment.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return timestamp(_dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    raise ValueError(f"not an SWF timestamp: {value!r}")


def _attrs(event: Mapping[str, Any]) -> Mapping[str, Any]:
    kind = str(event.get("eventType", ""))
    value = event.get(kind[:1].lower() + kind[1:] + "EventAttributes")
    return value if isinstance(value, Mapping) else {}


def _summary(info: Mapping[str, Any]) -> ExecutionSummary:
    execution = info.get("execution", {})
    kind = info.get("workflowType", {})
    closed = info.get("closeTimestamp")
    return ExecutionSummary(
        workflow_id=str(execution.get("workflowId", "")),
        run_id=str(execution.get("runId", "")),
        workflow=f"{kind.get('name', '?')} v{kind.get('version', '?')}",
        status=str(info.get("closeStatus") or info.get("executionStatus") or "OPEN"),
        started=timestamp(info["startTimestamp"]),
        closed=None if closed is None else timestamp(closed),
    )


def list_executions(
    swf: SWF,
    *,
    since: float,
    which: str = "all",
    workflow_id: str | None = None,
) -> list[ExecutionSummary]:
    """Executions started since ``since`` (seconds since the epoch), newest first.
    ``which``: ``"open"``, ``"closed"`` or ``"all"``; ``workflow_id`` filters by id."""
    params: dict[str, Any] = {
        "domain": swf.domain,
        "startTimeFilter": {"oldestDate": _dt.datetime.fromtimestamp(since, _dt.UTC)},
    }
    if workflow_id:
        params["executionFilter"] = {"workflowId": workflow_id}
    found: list[ExecutionSummary] = []
    operations = {"open": ["Open"], "closed": ["Closed"], "all": ["Open", "Closed"]}[which]
    for state in operations:
        token = None
        while True:
            page = swf.call(
                f"List{state}WorkflowExecutions",
                **params,
                **({"nextPageToken": token} if token else {}),
            )
            found += [_summary(info) for info in page.get("executionInfos", [])]
            token = page.get("nextPageToken")
            if not token:
                break
    return sorted(found, key=lambda s: s.started, reverse=True)


def fetch_history(swf: SWF, workflow_id: str, run_id: str | None = None) -> list[dict[str, Any]]:
    """Every event of a run, oldest first; without ``run_id`` the latest run of the id
    (``DescribeWorkflowExecution`` needs a run id, so the newest listed one is taken).

    Raises:
        BackendError: SWF refused a call (an unknown id answers ``UnknownResourceFault``).
        LookupError: no execution with that id was started in the last 90 days.
    """
    if run_id is None:
        ninety_days = _dt.datetime.now(_dt.UTC).timestamp() - 90 * 86400
        runs = list_executions(swf, since=ninety_days, workflow_id=workflow_id)
        if not runs:
            raise LookupError(f"no execution of workflow id {workflow_id!r} in the last 90 days")
        run_id = runs[0].run_id
    events: list[dict[str, Any]] = []
    token = None
    while True:
        page = swf.call(
            "GetWorkflowExecutionHistory",
            domain=swf.domain,
            execution={"workflowId": workflow_id, "runId": run_id},
            **({"nextPageToken": token} if token else {}),
        )
        events += page.get("events", [])
        token = page.get("nextPageToken")
        if not token:
            return events


def summary_of(
    workflow_id: str, run_id: str, events: Sequence[Mapping[str, Any]]
) -> ExecutionSummary:
    """The summary of a run from its own events (start, close event, type)."""
    started = events[0] if events else {}
    kind = _attrs(started).get("workflowType", {})
    status, closed = "OPEN", None
    for event in reversed(events):
        if event.get("eventType") in _CLOSE_EVENTS:
            status, closed = _CLOSE_EVENTS[event["eventType"]], timestamp(event["eventTimestamp"])
            break
    return ExecutionSummary(
        workflow_id=workflow_id,
        run_id=run_id,
        workflow=f"{kind.get('name', '?')} v{kind.get('version', '?')}",
        status=status,
        started=timestamp(started["eventTimestamp"]) if started else 0.0,
        closed=closed,
    )


class _Transports:
    """The transport that reads each task type's payloads: the registry's, else JSON's (every
    built-in transport reads every built-in codec)."""

    def __init__(self, registry: TaskRegistry | None) -> None:
        self.registry = registry
        self.fallback = get_transport("json")

    def __call__(self, task: tuple[str, str, str, str] | None) -> Transport:
        registry = self.registry
        if registry is None or task is None:
            return self.fallback
        kind, name, version, _key = task
        cls: type | None = None
        if kind == "activity":
            cls = registry.activities.get((name, version))
        elif kind == "workflow":
            cls = registry.workflows.get((name, version))
        return self.fallback if cls is None else registry.transport_for(cls)


def _decode(transport: Transport, payload: str, field: str) -> tuple[Any, str | None]:
    """``(value, problem)`` of one payload: arguments for ``input``, else a result."""
    try:
        if field == "input":
            args, kwargs = transport.deserialize_arguments(payload)
            return {"args": list(args), "kwargs": kwargs}, None
        return transport.deserialize_result(payload), None
    except FlowwireError as exc:
        return None, f"{type(exc).__name__}: {exc}"


def _task_of(event: Mapping[str, Any], attrs: Mapping[str, Any], workflow_id: str) -> Any:
    """``(kind, name, version, key)`` an event names itself, else ``None``."""
    kind = event.get("eventType", "")
    if "activityType" in attrs:
        t = attrs["activityType"]
        return ("activity", t["name"], t["version"], str(attrs.get("activityId", "")))
    if "workflowType" in attrs and "workflowId" in attrs:
        t = attrs["workflowType"]
        return ("workflow", t["name"], t["version"], key_of_child(workflow_id, attrs["workflowId"]))
    if kind == "WorkflowExecutionStarted":
        t = attrs.get("workflowType", {})
        return ("workflow", t.get("name", "?"), t.get("version", "?"), "")
    if str(kind).startswith("Timer") and "timerId" in attrs:
        return ("timer", "", "", str(attrs["timerId"]))
    return None


def history_entries(
    events: Iterable[Mapping[str, Any]],
    *,
    workflow_id: str,
    registry: TaskRegistry | None = None,
) -> list[HistoryEntry]:
    """One entry per event, payloads decoded (see the module docstring). A failure's details
    are decoded into ``error`` (its type, message and traceback as the worker sent them)."""
    transport_of = _Transports(registry)
    by_event: dict[int, Any] = {}
    own: Any = None
    entries: list[HistoryEntry] = []
    for position, event in enumerate(events, 1):
        event_id = int(event.get("eventId", position))
        kind = str(event.get("eventType", "?"))
        attrs = _attrs(event)
        task = _task_of(event, attrs, workflow_id)
        ref = attrs.get("scheduledEventId", attrs.get("initiatedEventId"))
        if task is None and ref is not None:
            task = by_event.get(int(ref))
        if kind == "WorkflowExecutionStarted":
            own = task
        elif task is None and kind.startswith("WorkflowExecution"):
            task = own
        if task is not None:
            by_event[event_id] = task
        label = ""
        if task is not None and task[0] != "timer":
            label = f"{task[0]} {task[1]!r} v{task[2]}"
        entry = HistoryEntry(
            event_id=event_id,
            time=timestamp(event["eventTimestamp"]),
            event=kind,
            key=task[3] if task is not None else "",
            task=label,
        )
        transport = transport_of(task)
        failed = kind.endswith("Failed") and ("reason" in attrs or "details" in attrs)
        for field in ("input", "result", "details"):
            payload = attrs.get(field)
            if isinstance(payload, str) and payload and not (failed and field == "details"):
                value, problem = _decode(transport, payload, field)
                entry.payloads[field] = value
                if problem:
                    entry.problems[field] = problem
        if failed:
            error = transport.deserialize_error(
                str(attrs.get("reason") or ""), str(attrs.get("details") or "")
            )
            entry.error = {
                "type": error.type_name,
                "message": error.message,
                "traceback": error.traceback,
            }
        for name in ("timeoutType", "cause", "startToFireTimeout", "signalName"):
            if name in attrs:
                entry.notes[name] = str(attrs[name])
        entries.append(entry)
    return entries


_ENDS = {
    "ActivityTaskCompleted": "completed",
    "ActivityTaskFailed": "failed",
    "ActivityTaskTimedOut": "timed out",
    "ActivityTaskCanceled": "canceled",
    "ChildWorkflowExecutionCompleted": "completed",
    "ChildWorkflowExecutionFailed": "failed",
    "ChildWorkflowExecutionTimedOut": "timed out",
    "ChildWorkflowExecutionCanceled": "canceled",
    "ChildWorkflowExecutionTerminated": "canceled",
    "TimerFired": "fired",
    "TimerCanceled": "canceled",
    "DecisionTaskCompleted": "completed",
    "DecisionTaskTimedOut": "timed out",
}


def _opened(
    kind: str, attrs: Mapping[str, Any], at: float, event_id: int, workflow_id: str
) -> dict[str, Any] | None:
    """The row an event opens (as keyword arguments of TimelineRow), if it opens one."""
    if kind == "ActivityTaskScheduled":
        t = attrs["activityType"]
        label = f"activity {t['name']!r} v{t['version']}"
        return {"key": str(attrs.get("activityId", "")), "kind": "activity", "label": label}
    if kind == "StartChildWorkflowExecutionInitiated":
        t = attrs["workflowType"]
        key = key_of_child(workflow_id, str(attrs["workflowId"]))
        return {
            "key": key,
            "kind": "child workflow",
            "label": f"workflow {t['name']!r} v{t['version']}",
        }
    if kind == "TimerStarted":
        label = f"timer {attrs.get('startToFireTimeout', '?')} s"
        return {
            "key": str(attrs.get("timerId", "")),
            "kind": "timer",
            "label": label,
            "started": at,
        }
    if kind == "DecisionTaskScheduled":
        return {"key": f"decision {event_id}", "kind": "decision", "label": "decision task"}
    if kind in ("ScheduleActivityTaskFailed", "StartChildWorkflowExecutionFailed"):
        t = attrs.get("activityType") or attrs.get("workflowType") or {}
        activity = "activityId" in attrs
        key = (
            attrs["activityId"]
            if activity
            else key_of_child(workflow_id, str(attrs.get("workflowId")))
        )
        return {
            "key": str(key),
            "kind": "activity" if activity else "child workflow",
            "label": f"{'activity' if activity else 'workflow'} {t.get('name', '?')!r} "
            f"v{t.get('version', '?')}",
            "ended": at,
            "outcome": "schedule failed",
            "detail": str(attrs.get("cause", "")),
        }
    return None


def swf_timeline(
    events: Sequence[Mapping[str, Any]], *, workflow_id: str, title: str | None = None
) -> Timeline:
    """The timeline of one run from its SWF events (the SWF history source)."""
    rows: dict[int, dict[str, Any]] = {}  # by the id of the event that opened the row
    for position, event in enumerate(events, 1):
        event_id = int(event.get("eventId", position))
        kind = str(event.get("eventType", ""))
        attrs = _attrs(event)
        at = timestamp(event["eventTimestamp"])
        opened = _opened(kind, attrs, at, event_id, workflow_id)
        if opened is not None:
            rows[event_id] = {"scheduled": at, **opened}
        opening = attrs.get("scheduledEventId", attrs.get("initiatedEventId"))
        if kind in ("TimerFired", "TimerCanceled"):
            opening = attrs.get("startedEventId")
        if kind.endswith("Started") and opening is not None and int(opening) in rows:
            rows[int(opening)]["started"] = at
        elif kind in _ENDS:
            row = rows.get(int(opening)) if opening is not None else None
            if row is not None:
                row["ended"], row["outcome"] = at, _ENDS[kind]
                detail = attrs.get("reason") or attrs.get("timeoutType") or ""
                row["detail"] = str(detail)
    first = events[0] if events else {}
    summary = summary_of(workflow_id, "", events)
    wt = _attrs(first).get("workflowType", {})
    name = title or f"workflow {wt.get('name', '?')!r} v{wt.get('version', '?')} ({workflow_id})"
    return Timeline(
        title=name,
        started=summary.started,
        ended=summary.closed,
        status=summary.status,
        rows=tuple(TimelineRow(**row) for row in rows.values()),
    )
