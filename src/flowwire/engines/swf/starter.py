"""Starting workflow executions on SWF and waiting for their results.

:func:`start` encodes the arguments with the workflow's transport (the one its deciders decode
with), checks the input against SWF's limit and calls ``StartWorkflowExecution``. The returned
:class:`WorkflowRun` waits for the execution to close and decodes its result, or raises the
workflow's error as a :class:`~flowwire.errors.TaskError`
(:class:`~flowwire.errors.TaskTimedOutError` for a timeout); a run that continued as new is
followed to its last run.

:func:`signal` (and :meth:`WorkflowRun.signal`) sends a signal to an open execution with
``SignalWorkflowExecution``, its value encoded by the workflow type's transport (the one its
deciders decode ``wait_signal`` values with).

:func:`cancel` (and :meth:`WorkflowRun.cancel`) asks an open execution to cancel with
``RequestCancelWorkflowExecution``; a run that then closes as cancelled
(``WorkflowExecutionCanceled``) makes :meth:`WorkflowRun.result` raise
:class:`~flowwire.errors.Cancelled`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowwire._backoff import retry_writes
from flowwire._checks import check_name, check_version
from flowwire.engines.swf.client import SWF, SWFError
from flowwire.engines.swf.limits import MAX_INPUT, check_field
from flowwire.errors import (
    Cancelled,
    ConfigurationError,
    StoreWriteFailed,
    TaskError,
    TaskTimedOutError,
)
from flowwire.task import Workflow, WorkflowMeta
from flowwire.tasktype import type_of
from flowwire.transport import Transport, get_transport
from flowwire.transport_rule import DEFAULT_TRANSPORT, TransportRule
from flowwire.waits import check_signal_name, unknown_execution

__all__ = ["WorkflowRun", "cancel", "signal", "start"]


@dataclass(frozen=True, slots=True)
class WorkflowRun:
    """A started execution: ``workflow_id`` and ``run_id``, and how to read its result."""

    swf: SWF
    workflow_id: str
    run_id: str
    name: str
    version: str
    transport: Transport
    returns: Any = Any
    workflow: type[Workflow] | None = None
    """The class started, whose ``_deserialize_result`` decodes the result (``None`` for a
    ``(name, version)`` start: the transport does)."""

    @property
    def what(self) -> str:
        return f"workflow {self.name!r} v{self.version} ({self.workflow_id})"

    def signal(self, name: str, value: Any = None) -> None:
        """Send the signal ``name`` with ``value`` (encoded by this run's transport) to the
        execution's open run (the one it continued as, if it did); see :func:`signal`."""
        signal(self.swf, self.workflow_id, name, value, transport=self.transport)

    def cancel(self) -> None:
        """Ask the execution's open run (the one it continued as, if it did) to cancel; see
        :func:`cancel`."""
        cancel(self.swf, self.workflow_id)

    def status(self) -> str:
        """``"OPEN"`` or ``"CLOSED"``."""
        answer = self.swf.call(
            "DescribeWorkflowExecution",
            domain=self.swf.domain,
            execution={"workflowId": self.workflow_id, "runId": self.run_id},
        )
        return str(answer["executionInfo"]["executionStatus"])

    def result(self, *, timeout: float | None = None, interval: float = 0.2) -> Any:
        """Wait for the execution (and the runs it continued as) to close; return its decoded
        result. Raises :class:`TaskError` with the workflow's error when it failed,
        :class:`TaskTimedOutError` when it timed out, :class:`~flowwire.errors.Cancelled` when
        it closed as cancelled, :class:`TimeoutError` when ``timeout`` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        run_id = self.run_id
        while True:
            event = self._close_event(run_id)
            if event is None:
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"{self.what} did not close within {timeout} s")
                time.sleep(interval)
                continue
            kind = event["eventType"]
            attrs = event.get(kind[0].lower() + kind[1:] + "EventAttributes", {})
            if kind == "WorkflowExecutionCompleted":
                payload = attrs.get("result") or ""
                if self.workflow is not None:
                    return self.workflow._deserialize_result(
                        payload, transport=self.transport, type_hint=self.returns
                    )
                return self.transport.deserialize_result(payload, type_hint=self.returns)
            if kind == "WorkflowExecutionFailed":
                error = self.transport.deserialize_error(
                    attrs.get("reason") or "", attrs.get("details") or ""
                )
                error.task = error.task or self.what
                raise error
            if kind == "WorkflowExecutionTimedOut":
                raise TaskTimedOutError(f"timed out ({attrs.get('timeoutType')})", task=self.what)
            if kind == "WorkflowExecutionCanceled":
                details = str(attrs.get("details") or "")
                raise Cancelled(
                    f"{self.what} was cancelled" + (f": {details}" if details else ""),
                    workflow_id=self.workflow_id,
                    details=details,
                )
            if kind == "WorkflowExecutionContinuedAsNew":
                run_id = str(attrs["newExecutionRunId"])
                continue
            raise TaskError(f"closed by {kind}: {attrs.get('reason') or ''}", task=self.what)

    def _close_event(self, run_id: str) -> dict[str, Any] | None:
        execution = {"workflowId": self.workflow_id, "runId": run_id}
        info = self.swf.call(
            "DescribeWorkflowExecution", domain=self.swf.domain, execution=execution
        )
        if info["executionInfo"]["executionStatus"] != "CLOSED":
            return None
        page = self.swf.call(
            "GetWorkflowExecutionHistory",
            domain=self.swf.domain,
            execution=execution,
            reverseOrder=True,
            maximumPageSize=1,
        )
        events: list[dict[str, Any]] = page.get("events", [])
        return events[0] if events else None


def start(
    swf: SWF,
    workflow: type[Workflow] | tuple[str, str | int],
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    workflow_id: str | None = None,
    task_list: str | None = None,
    tags: Sequence[str] = (),
    workflow_duration: int | None = None,
    decision_duration: int | None = None,
    transport: Transport | str | None = None,
    registry: Any = None,
) -> WorkflowRun:
    """Start ``workflow`` (a decorated class, or ``(name, version)``) with ``args``/``kwargs``.

    The input is encoded with ``transport``, else the workflow type's transport on
    ``registry`` (a :class:`~.bindings.TaskRegistry`: the class's own, else the registry's
    default), else the class's own, else JSON; it must be the transport the deciders use. For a
    class, its ``_serialize_arguments`` encodes the input and its ``_deserialize_result``
    decodes the result (by default: with that transport). A ``version`` may be an int
    (``("order", 2)`` is ``("order", "2")``). ``workflow_id`` defaults to a fresh UUID.
    Timeouts and task list left ``None`` take the registered defaults (for a class: the
    decorator's).
    Raises :class:`PayloadTooLarge` for an input over 32,768 characters,
    :class:`~flowwire.engines.swf.client.SWFError` when SWF refuses (for example
    ``WorkflowExecutionAlreadyStartedFault``) and :class:`ConfigurationError` for more than 5
    tags, an undecorated class, or arguments that do not bind to the class's ``run`` signature
    (checked before SWF is called; a ``(name, version)`` start has no signature to check).
    """
    returns: Any = Any
    cls: type[Workflow] | None = None
    if isinstance(workflow, tuple):
        name = check_name("name", workflow[0], "start()")
        version = check_version(workflow[1], "start()")
        chosen = transport if transport is not None else DEFAULT_TRANSPORT
        resolved = get_transport(chosen) if isinstance(chosen, str) else chosen
    else:
        cls = workflow
        task_type = type_of(workflow)
        meta = None if task_type is None else task_type.meta
        if task_type is None or not isinstance(meta, WorkflowMeta):
            raise ConfigurationError(f"{workflow!r} is not a @workflow-decorated Workflow class")
        name, version = meta.name, meta.version
        task_type.bind_arguments(args, kwargs or {})  # here, not on a worker much later
        task_list = task_list or meta.task_list
        workflow_duration = workflow_duration or meta.workflow_duration
        decision_duration = decision_duration or meta.decision_duration
        if transport is not None:
            resolved = get_transport(transport) if isinstance(transport, str) else transport
        elif registry is not None:
            resolved = registry.rule.of(task_type)
        else:
            resolved = TransportRule().of(task_type)
        returns = task_type.return_hint()
    if len(tags) > 5:
        raise ConfigurationError(f"SWF allows at most 5 tags per execution, got {len(tags)}")
    what = f"workflow {name!r} v{version}"
    arguments, keywords = tuple(args), dict(kwargs or {})
    workflow_cls = cls
    try:  # an unavailable store is written again with backoff, within its write_wait
        if workflow_cls is None:
            payload = retry_writes(lambda: resolved.serialize_arguments(arguments, keywords))
        else:
            payload = retry_writes(
                lambda: workflow_cls._serialize_arguments(arguments, keywords, transport=resolved)
            )
    except StoreWriteFailed as exc:
        raise StoreWriteFailed(
            f"input of {what}: {exc}", store=exc.store, key=exc.key, size=exc.size
        ) from exc
    check_field(payload, MAX_INPUT, f"input of {what}")
    workflow_id = workflow_id or str(uuid.uuid4())
    params: dict[str, Any] = {
        "domain": swf.domain,
        "workflowId": workflow_id,
        "workflowType": {"name": name, "version": version},
        "input": payload,
    }
    if task_list:
        params["taskList"] = {"name": task_list}
    if tags:
        params["tagList"] = list(tags)
    if workflow_duration is not None:
        params["executionStartToCloseTimeout"] = str(workflow_duration)
    if decision_duration is not None:
        params["taskStartToCloseTimeout"] = str(decision_duration)
    answer = swf.call("StartWorkflowExecution", **params)
    run_id = str(answer["runId"])
    return WorkflowRun(swf, workflow_id, run_id, name, version, resolved, returns, cls)


def signal(
    swf: SWF,
    workflow_id: str,
    name: str,
    value: Any = None,
    *,
    run_id: str | None = None,
    workflow: type[Workflow] | None = None,
    transport: Transport | str | None = None,
    registry: Any = None,
) -> None:
    """Send the signal ``name`` with ``value`` to the open execution ``workflow_id`` (its run
    ``run_id`` only, when given); a ``wait_signal(name)`` in its ``run`` receives it.

    The value is encoded with ``transport``, else the transport of the workflow class
    ``workflow`` (on ``registry``, as for :func:`start`), else JSON: it must be the transport
    of the target's workflow type (the deciders decode with it).

    Raises:
        UnknownExecutionError: SWF has no open execution with that id (unknown or closed).
        ConfigurationError: ``name`` is not a signal name SWF accepts.
        PayloadTooLarge: the encoded value is over 32,768 characters.
        SWFError: SWF refused the call for another reason.
    """
    check_signal_name(name, "signal()")
    if transport is not None:
        resolved = get_transport(transport) if isinstance(transport, str) else transport
    elif workflow is not None:
        task_type = type_of(workflow)
        if task_type is None or not isinstance(task_type.meta, WorkflowMeta):
            raise ConfigurationError(f"{workflow!r} is not a @workflow-decorated Workflow class")
        resolved = (registry.rule if registry is not None else TransportRule()).of(task_type)
    else:
        resolved = get_transport(DEFAULT_TRANSPORT)
    payload = retry_writes(lambda: resolved.serialize_result(value))
    check_field(payload, MAX_INPUT, f"value of signal {name!r} to {workflow_id!r}")
    params: dict[str, Any] = {
        "domain": swf.domain,
        "workflowId": workflow_id,
        "signalName": name,
        "input": payload,
    }
    if run_id:
        params["runId"] = run_id
    try:
        swf.call("SignalWorkflowExecution", **params)
    except SWFError as exc:
        if exc.code == "UnknownResourceFault":
            raise unknown_execution(workflow_id, exc.message) from exc
        raise


def cancel(swf: SWF, workflow_id: str, *, run_id: str | None = None) -> None:
    """Ask the open execution ``workflow_id`` (its run ``run_id`` only, when given) to cancel
    (``RequestCancelWorkflowExecution``): SWF records ``WorkflowExecutionCancelRequested``,
    and the workflow's ``run`` gets :class:`~flowwire.errors.Cancelled` at its next wait.

    Raises:
        UnknownExecutionError: SWF has no open execution with that id (unknown or closed).
        ConfigurationError: ``workflow_id`` is empty.
        SWFError: SWF refused the call for another reason.
    """
    if not isinstance(workflow_id, str) or not workflow_id:
        raise ConfigurationError(
            f"cancel(): the workflow id must be a non-empty string, got {workflow_id!r}"
        )
    params: dict[str, Any] = {"domain": swf.domain, "workflowId": workflow_id}
    if run_id:
        params["runId"] = run_id
    try:
        swf.call("RequestCancelWorkflowExecution", **params)
    except SWFError as exc:
        if exc.code == "UnknownResourceFault":
            raise unknown_execution(workflow_id, exc.message) from exc
        raise
