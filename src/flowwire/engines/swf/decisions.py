"""Neutral decisions (:mod:`flowwire.decision`) -> SWF decision dicts.

Pure code, no I/O. Every payload and identifier is checked against SWF's limits *before*
anything is sent (:class:`~flowwire.errors.PayloadTooLarge` naming the task and the field, never
truncation). Timeouts left ``None`` are omitted so SWF applies the type's registered default.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flowwire.decision import (
    CancelTask,
    CancelWorkflow,
    CompleteWorkflow,
    ContinueAsNew,
    Decision,
    FailWorkflow,
    ScheduleActivity,
    SignalExternal,
    StartChildWorkflow,
    StartTimer,
)
from flowwire.engines.swf.events import child_workflow_id
from flowwire.engines.swf.limits import (
    MAX_DETAILS,
    MAX_ID,
    MAX_INPUT,
    MAX_REASON,
    MAX_RESULT,
    check_field,
)
from flowwire.errors import BackendError

__all__ = ["to_swf", "to_swf_all"]


def _timeouts(pairs: dict[str, int | None]) -> dict[str, str]:
    return {name: str(value) for name, value in pairs.items() if value is not None}


def _check_id(value: str, what: str) -> None:
    if not value or len(value) > MAX_ID:
        raise BackendError(f"{what} must have 1 to {MAX_ID} characters, not {len(value)}")


def to_swf(decision: Decision, *, workflow_id: str, workflow: str = "workflow") -> dict[str, Any]:
    """The SWF decision dict for ``decision``, made by the execution ``workflow_id``.

    ``workflow`` names the deciding workflow in error messages (for example
    ``"workflow 'order' v1 (order-17)"``). Raises :class:`PayloadTooLarge` for a field over its
    limit and :class:`BackendError` for an identifier SWF cannot carry.
    """
    match decision:
        case ScheduleActivity():
            task = f"activity {decision.name!r} v{decision.version} ({decision.key})"
            _check_id(decision.key, f"activity id of {task}")
            check_field(decision.input, MAX_INPUT, f"input of {task}")
            attrs: dict[str, Any] = {
                "activityId": decision.key,
                "activityType": {"name": decision.name, "version": decision.version},
                "input": decision.input,
                **_timeouts(
                    {
                        "heartbeatTimeout": decision.heartbeat,
                        "scheduleToCloseTimeout": decision.schedule_to_close,
                        "scheduleToStartTimeout": decision.schedule_to_start,
                        "startToCloseTimeout": decision.start_to_close,
                    }
                ),
            }
            if decision.task_list:
                attrs["taskList"] = {"name": decision.task_list}
            return {
                "decisionType": "ScheduleActivityTask",
                "scheduleActivityTaskDecisionAttributes": attrs,
            }
        case StartChildWorkflow():
            task = f"child workflow {decision.name!r} v{decision.version} ({decision.key})"
            check_field(decision.input, MAX_INPUT, f"input of {task}")
            attrs = {
                "workflowId": child_workflow_id(workflow_id, decision.key),
                "workflowType": {"name": decision.name, "version": decision.version},
                "input": decision.input,
                **_timeouts(
                    {
                        "executionStartToCloseTimeout": decision.workflow_duration,
                        "taskStartToCloseTimeout": decision.decision_duration,
                    }
                ),
            }
            if decision.task_list:
                attrs["taskList"] = {"name": decision.task_list}
            return {
                "decisionType": "StartChildWorkflowExecution",
                "startChildWorkflowExecutionDecisionAttributes": attrs,
            }
        case StartTimer():
            _check_id(decision.key, f"timer id of {workflow}")
            if decision.seconds < 0:
                raise BackendError(f"timer {decision.key!r} of {workflow}: negative delay")
            return {
                "decisionType": "StartTimer",
                "startTimerDecisionAttributes": {
                    "timerId": decision.key,
                    "startToFireTimeout": str(decision.seconds),
                },
            }
        case SignalExternal():
            what = f"signal {decision.name!r} ({decision.key}) of {workflow}"
            _check_id(decision.workflow_id, f"target workflow id of {what}")
            check_field(decision.input, MAX_INPUT, f"input of {what}")
            return {
                "decisionType": "SignalExternalWorkflowExecution",
                "signalExternalWorkflowExecutionDecisionAttributes": {
                    "workflowId": decision.workflow_id,
                    "signalName": decision.name,
                    "input": decision.input,
                    "control": decision.key,
                },
            }
        case CancelTask(kind="activity"):
            _check_id(decision.key, f"activity id of {workflow}")
            return {
                "decisionType": "RequestCancelActivityTask",
                "requestCancelActivityTaskDecisionAttributes": {"activityId": decision.key},
            }
        case CancelTask():
            return {
                "decisionType": "RequestCancelExternalWorkflowExecution",
                "requestCancelExternalWorkflowExecutionDecisionAttributes": {
                    "workflowId": child_workflow_id(workflow_id, decision.key),
                    "control": decision.key,
                },
            }
        case CancelWorkflow():
            check_field(decision.details, MAX_DETAILS, f"cancellation details of {workflow}")
            return {
                "decisionType": "CancelWorkflowExecution",
                "cancelWorkflowExecutionDecisionAttributes": {"details": decision.details},
            }
        case CompleteWorkflow():
            check_field(decision.result, MAX_RESULT, f"result of {workflow}")
            return {
                "decisionType": "CompleteWorkflowExecution",
                "completeWorkflowExecutionDecisionAttributes": {"result": decision.result},
            }
        case FailWorkflow():
            check_field(decision.reason, MAX_REASON, f"failure reason of {workflow}")
            check_field(decision.details, MAX_DETAILS, f"failure details of {workflow}")
            return {
                "decisionType": "FailWorkflowExecution",
                "failWorkflowExecutionDecisionAttributes": {
                    "reason": decision.reason,
                    "details": decision.details,
                },
            }
        case ContinueAsNew():
            check_field(decision.input, MAX_INPUT, f"restart input of {workflow}")
            attrs = {
                "input": decision.input,
                **_timeouts(
                    {
                        "executionStartToCloseTimeout": decision.workflow_duration,
                        "taskStartToCloseTimeout": decision.decision_duration,
                    }
                ),
            }
            if decision.task_list:
                attrs["taskList"] = {"name": decision.task_list}
            return {
                "decisionType": "ContinueAsNewWorkflowExecution",
                "continueAsNewWorkflowExecutionDecisionAttributes": attrs,
            }
    raise TypeError(f"not a flowwire decision: {decision!r}")


def to_swf_all(
    decisions: Iterable[Decision], *, workflow_id: str, workflow: str = "workflow"
) -> list[dict[str, Any]]:
    """:func:`to_swf` for each decision; every one is checked before any is returned."""
    return [to_swf(d, workflow_id=workflow_id, workflow=workflow) for d in decisions]
