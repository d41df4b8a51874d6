"""Histories of a durable engine's file, with payloads decoded by the task types' transports.

:func:`read_execution` returns the runs of one execution (a run and the runs it continued as)
as plain data a person, a script or a timeline can read: each event with its time (seconds
since the epoch, from :meth:`~flowwire.runtime.sqlite.SQLiteStore.times`), its seconds since
the run started, its kind and key, its payload exactly as stored, and the decoded value.

Which transport decodes a payload follows the transport rule: the workflow's for its input
and result, the scheduled type's (found by the event's name and version among the registered
types) for a task's input, result and failure; a type that is not registered decodes with the
engine's default transport (payloads name their codec). A payload that cannot be decoded here
(for example one encrypted with keys this process lacks, exactly as on SWF) keeps its raw
string and says why in ``error``.
"""

from __future__ import annotations

from typing import Any

from flowwire.history import (
    Event,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskScheduleFailed,
    TaskTimedOut,
    WorkflowStarted,
)
from flowwire.runtime.sqlite import SQLiteStore
from flowwire.runtime.store import RunRecord
from flowwire.tasktype import TaskType, TaskTypes
from flowwire.transport import Transport
from flowwire.transport_rule import TransportRule

__all__ = ["read_execution"]


def read_execution(
    store: SQLiteStore, ident: str, types: TaskTypes, rule: TransportRule, *, decode: bool = True
) -> list[dict[str, Any]]:
    """The runs of the execution ``ident`` (a workflow id or a run id), oldest first, as
    dictionaries: ``run_id``, ``workflow_id``, ``workflow``, ``version``, ``status``,
    ``started_at``, ``closed_at``, ``outcome`` (decoded result or error, ``None`` while open)
    and ``events`` (each: ``seq``, ``at``, ``offset``, ``kind``, ``key``; a scheduled task's
    ``name``, ``version``, ``task`` kind and ``options``; ``reason``, ``payload``, and
    ``value`` or ``error``). ``decode=False`` leaves ``value`` unset.

    Raises:
        KeyError: no such execution in the file.
    """
    found = store.find(ident)
    if found is None:
        raise KeyError(ident)
    runs = [found] if found.run_id == ident else store.chain(found.workflow_id)
    return [_run(store, record, types, rule, decode) for record in runs]


def _run(
    store: SQLiteStore, record: RunRecord, types: TaskTypes, rule: TransportRule, decode: bool
) -> dict[str, Any]:
    workflow = types.get("workflow", record.name, record.version)
    own = rule.of(workflow)
    scheduled: dict[str, TaskType | None] = {}
    events = []
    for seq, (at, event) in enumerate(store.timed_history(record.run_id)):
        entry = _entry(seq, at, record.started_at, event)
        if decode:
            _decode(entry, event, own, workflow, scheduled, types, rule)
        events.append(entry)
    outcome: Any = None
    if record.status == "completed" and decode:
        outcome = _attempt(
            lambda: own.deserialize_result(record.result or "", type_hint=_hint(workflow))
        )
    elif record.status == "failed" and decode:
        outcome = _attempt(lambda: _error(own, record.reason or "", record.details or ""))
    elif record.status == "timed_out":
        outcome = {"value": "timed out (workflow_duration)"}
    return {
        "run_id": record.run_id,
        "workflow_id": record.workflow_id,
        "workflow": record.name,
        "version": record.version,
        "status": record.status,
        "started_at": record.started_at,
        "closed_at": record.closed_at,
        "next_run_id": record.next_run_id,
        "parent": None if record.parent is None else list(record.parent),
        "outcome": outcome,
        "events": events,
    }


def _entry(seq: int, at: float, started: float, event: Event) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "seq": seq,
        "at": at,
        "offset": at - started,
        "kind": type(event).__name__,
        "key": getattr(event, "key", None),
    }
    if isinstance(event, TaskScheduled):
        entry.update(name=event.name, version=event.version, task=event.kind)
        entry.update(options=dict(event.options), payload=event.input)
    elif isinstance(event, WorkflowStarted):
        entry["payload"] = event.input
    elif isinstance(event, TaskCompleted):
        entry["payload"] = event.result
    elif isinstance(event, TaskFailed):
        entry.update(reason=event.reason, payload=event.details)
    elif isinstance(event, TaskTimedOut):
        entry["reason"] = event.timeout_type
    elif isinstance(event, TaskScheduleFailed):
        entry["reason"] = event.cause
    return entry


def _decode(
    entry: dict[str, Any],
    event: Event,
    own: Transport,
    workflow: TaskType | None,
    scheduled: dict[str, TaskType | None],
    types: TaskTypes,
    rule: TransportRule,
) -> None:
    if isinstance(event, WorkflowStarted):
        entry.update(_attempt(lambda: _arguments(own, event.input)))
    elif isinstance(event, TaskScheduled):
        target = None
        if event.name is not None and event.version is not None:
            kinds = [event.kind] if event.kind else ["activity", "workflow"]
            found = (types.get(kind, event.name, event.version) for kind in kinds)
            target = next((t for t in found if t is not None), None)
        scheduled[event.key] = target
        if event.input is not None:
            entry.update(_attempt(lambda: _arguments(rule.of(target), event.input or "")))
    elif isinstance(event, TaskCompleted):
        target = scheduled.get(event.key)
        entry.update(
            _attempt(
                lambda: rule.of(target).deserialize_result(event.result, type_hint=_hint(target))
            )
        )
    elif isinstance(event, TaskFailed):
        target = scheduled.get(event.key)
        entry.update(_attempt(lambda: _error(rule.of(target), event.reason, event.details)))


def _arguments(transport: Transport, payload: str) -> dict[str, Any]:
    args, kwargs = transport.deserialize_arguments(payload)
    return {"args": list(args), "kwargs": dict(kwargs)}


def _error(transport: Transport, reason: str, details: str) -> str:
    error = transport.deserialize_error(reason, details)
    return f"{error.type_name or type(error).__name__}: {error.message}"


def _hint(task_type: TaskType | None) -> Any:
    return Any if task_type is None else task_type.return_hint()


def _attempt(decode: Any) -> dict[str, Any]:
    try:
        return {"value": decode()}
    except Exception as exc:  # keys or stores missing here, a codec not installed, ...
        return {"error": f"not decoded: {type(exc).__name__}: {exc}"}
