"""Cancellation on SWF. moto 5 has the CancelWorkflowExecution decision (and closes the run as
CANCELED) but neither RequestCancelWorkflowExecution (it answers 500, not implemented), the
WorkflowExecutionCancelRequested event, RequestCancelActivityTask nor
RequestCancelExternalWorkflowExecution: those paths are tested here with SWF-shaped histories
fed to the decider (shapes of SWF's API reference) and with the recorded-answers boto3 client
of ``replay.py`` for the request itself, whose parameters botocore validates against SWF's
model. The recorded real SWF traffic (data/) holds no cancellation event; its parsing is
tested in test_swf_recorded.py."""

from __future__ import annotations

import time
from typing import Any

import pytest

from examples.cancellation import Order, Release, Reserve
from flowwire import Activity, ActivityProxy, Cancelled, TaskError, Workflow, WorkflowProxy, wait
from flowwire import activity as activity_type
from flowwire import workflow as workflow_type
from flowwire.decision import CancelTask, CancelWorkflow
from flowwire.engines.swf import cli as swf_cli
from flowwire.engines.swf.bindings import TaskRegistry, WorkflowReplayer
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.decider import Decider
from flowwire.engines.swf.decisions import to_swf
from flowwire.engines.swf.events import translate
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.starter import WorkflowRun, cancel, start
from flowwire.errors import ConfigurationError, UnknownExecutionError
from flowwire.history import TaskCancelRequested, TaskFailed, WorkflowCancelRequested
from flowwire.testing.moto import MotoServer
from flowwire.transport import get_transport

from .replay import replay_client
from .shapes import SwfHistory

pytestmark = pytest.mark.swf

JSON = get_transport("json")
TASKS = "swf-cancel"


@activity_type("swf.cancel.work", "1", TASKS, heartbeat=30)
class Work(Activity):
    def run(self) -> str:
        return "worked"


@workflow_type("swf.cancel.child", "1", TASKS)
class Child(Workflow):
    def run(self) -> str:
        return "child done"


@workflow_type("swf.cancel.parent", "1", TASKS)
class Parent(Workflow):
    """An activity and two children; told to cancel, reports how each closed."""

    work = ActivityProxy(Work)
    child = WorkflowProxy(Child)
    free = WorkflowProxy(Child, cancel_with_parent=False)

    def run(self) -> list[str]:
        calls = [self.work(), self.child(), self.free()]
        try:
            return [wait(c) for c in calls]
        except Cancelled:
            outcomes = []
            for call in calls:
                try:
                    outcomes.append(wait(call))
                except TaskError as exc:
                    outcomes.append(str(exc.reason))
            return outcomes


REGISTRY = TaskRegistry([Order, Reserve, Release, Parent, Child, Work])


def _decider(live: bool) -> Decider:
    swf = SWF(replay_client([]), "d")
    return Decider(swf, TASKS, WorkflowReplayer(REGISTRY, live=live))


def _decide(decider: Decider, h: SwfHistory, workflow: type[Workflow]) -> list[dict[str, Any]]:
    [page] = h.poll_response(workflow_type=_type_of(workflow))
    task = decider.read_task(page, {"domain": "d", "taskList": {"name": TASKS}})
    assert task is not None
    decisions = decider.decisions_for(task)
    assert decisions is not None
    return decisions


def _type_of(workflow: type[Workflow]) -> tuple[str, str]:
    from flowwire.tasktype import type_of

    task_type = type_of(workflow)
    assert task_type is not None
    return task_type.name, task_type.version


def _kinds(decisions: list[dict[str, Any]]) -> list[str]:
    return [d["decisionType"] for d in decisions]


def _cancel_requested(h: SwfHistory, **attrs: Any) -> None:
    h.add("WorkflowExecutionCancelRequested", **attrs)


@pytest.mark.parametrize("live", [True, False], ids=["live", "replay"])
def test_the_order_cleans_up_then_closes_cancelled(live: bool) -> None:
    decider = _decider(live)
    h = SwfHistory(workflow_id="o-17").started(JSON.serialize_arguments(("order 17",), {}))
    assert _kinds(_decide(decider, h, Order)) == ["ScheduleActivityTask", "StartTimer"]
    h.activity("reserve-0-0", name="examples.cancellation.reserve")
    h.add("TimerStarted", timerId="timer.0", startToFireTimeout="86400")
    h.activity_completed("reserve-0-0", '"reserved order 17"')
    assert _decide(decider, h, Order) == []  # waiting for the payment
    _cancel_requested(h)  # RequestCancelWorkflowExecution from outside: no attributes
    [release] = _decide(decider, h, Order)  # told at the wait: the clean-up
    assert release["scheduleActivityTaskDecisionAttributes"]["activityId"] == "release-0-0"
    h.activity("release-0-0", name="examples.cancellation.release")
    h.activity_completed("release-0-0", '"released (reserved order 17)"')
    assert _decide(decider, h, Order) == [
        {
            "decisionType": "CancelWorkflowExecution",
            "cancelWorkflowExecutionDecisionAttributes": {"details": "cancellation requested"},
        }
    ]


@pytest.mark.parametrize("live", [True, False], ids=["live", "replay"])
def test_open_tasks_and_children_are_asked_to_cancel_once(live: bool) -> None:
    decider = _decider(live)
    h = SwfHistory(workflow_id="p").started(JSON.serialize_arguments((), {}))
    assert _kinds(_decide(decider, h, Parent)) == [
        "ScheduleActivityTask",
        "StartChildWorkflowExecution",
        "StartChildWorkflowExecution",
    ]
    h.activity("work-0-0", name="swf.cancel.work")
    h.activity_started("work-0-0")
    h.child("p:child-0-0", name="swf.cancel.child")
    h.child_started("p:child-0-0")
    h.child("p:free-0-0", name="swf.cancel.child")
    h.child_started("p:free-0-0")
    assert _decide(decider, h, Parent) == []
    _cancel_requested(h)
    assert _decide(decider, h, Parent) == [
        {
            "decisionType": "RequestCancelActivityTask",
            "requestCancelActivityTaskDecisionAttributes": {"activityId": "work-0-0"},
        },
        {
            "decisionType": "RequestCancelExternalWorkflowExecution",
            "requestCancelExternalWorkflowExecutionDecisionAttributes": {
                "workflowId": "p:child-0-0",
                "control": "child-0-0",
            },
        },
    ]  # not the free child: cancel_with_parent=False
    completed = len(h.events)
    h.add(
        "ActivityTaskCancelRequested", activityId="work-0-0", decisionTaskCompletedEventId=completed
    )
    initiated = h.add(
        "RequestCancelExternalWorkflowExecutionInitiated",
        workflowId="p:child-0-0",
        control="child-0-0",
        decisionTaskCompletedEventId=completed,
    )
    h.add(
        "ExternalWorkflowExecutionCancelRequested",
        workflowExecution={"workflowId": "p:child-0-0", "runId": "child-run"},
        initiatedEventId=initiated,
    )
    h.add(
        "ActivityTaskCanceled",
        details='"stopped"',
        scheduledEventId=h.scheduled["work-0-0"],
        startedEventId=h.scheduled["work-0-0"] + 1,
        latestCancelRequestedEventId=completed + 1,
    )
    assert _decide(decider, h, Parent) == []  # asked once; the children are still open
    h.add(
        "ChildWorkflowExecutionCanceled",
        details="cancellation requested (its parent workflow was cancelled)",
        initiatedEventId=h.scheduled["p:child-0-0"],
        startedEventId=h.scheduled["p:child-0-0"] + 1,
        workflowExecution={"workflowId": "p:child-0-0", "runId": "child-run"},
        workflowType={"name": "swf.cancel.child", "version": "1"},
    )
    h.child_completed("p:free-0-0", '"child done"')
    [done] = _decide(decider, h, Parent)
    assert done["decisionType"] == "CompleteWorkflowExecution"
    assert JSON.deserialize_result(
        done["completeWorkflowExecutionDecisionAttributes"]["result"]
    ) == [
        "ActivityTaskCanceled",
        "ChildWorkflowExecutionCanceled",
        "child done",
    ]


def test_cancel_events_translate() -> None:
    h = SwfHistory(workflow_id="p:child-0-0")
    h.add(
        "WorkflowExecutionStarted",
        input="[]",
        parentWorkflowExecution={"workflowId": "p", "runId": "parent-run"},
        parentInitiatedEventId=5,
        workflowType={"name": "swf.cancel.child", "version": "1"},
    )
    h.add(
        "WorkflowExecutionCancelRequested",
        externalWorkflowExecution={"workflowId": "p", "runId": "parent-run"},
        externalInitiatedEventId=9,
    )
    h.add("WorkflowExecutionCancelRequested", cause="CHILD_POLICY_APPLIED")
    h.add("WorkflowExecutionCancelRequested")
    h.add(
        "RequestCancelActivityTaskFailed",
        activityId="gone-0-0",
        cause="ACTIVITY_ID_UNKNOWN",
        decisionTaskCompletedEventId=4,
    )
    h.add(
        "RequestCancelExternalWorkflowExecutionInitiated",
        workflowId="p:child-0-0:grandchild-0-0",
        decisionTaskCompletedEventId=4,
    )
    h.add(
        "RequestCancelExternalWorkflowExecutionFailed",
        workflowId="x",
        cause="UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
        initiatedEventId=7,
        decisionTaskCompletedEventId=4,
    )
    h.add(
        "CancelWorkflowExecutionFailed", cause="UNHANDLED_DECISION", decisionTaskCompletedEventId=4
    )
    assert translate(h.events, workflow_id="p:child-0-0")[1:] == [
        WorkflowCancelRequested("PARENT"),
        WorkflowCancelRequested("PARENT"),
        WorkflowCancelRequested(""),
        TaskCancelRequested("gone-0-0"),
        TaskCancelRequested("grandchild-0-0"),
    ]
    h = SwfHistory(workflow_id="w")
    h.started("[]")
    h.activity("a-0-0")
    h.add("ActivityTaskCanceled", scheduledEventId=2)  # details left out, as SWF may
    assert translate(h.events, workflow_id="w")[-1] == TaskFailed(
        "a-0-0", "ActivityTaskCanceled", ""
    )


def test_cancel_decisions_to_swf_and_their_limits() -> None:
    assert to_swf(CancelTask("k-0", "activity"), workflow_id="wf") == {
        "decisionType": "RequestCancelActivityTask",
        "requestCancelActivityTaskDecisionAttributes": {"activityId": "k-0"},
    }
    assert to_swf(CancelTask("c-0", "workflow"), workflow_id="wf") == {
        "decisionType": "RequestCancelExternalWorkflowExecution",
        "requestCancelExternalWorkflowExecutionDecisionAttributes": {
            "workflowId": "wf:c-0",
            "control": "c-0",
        },
    }
    from flowwire.errors import PayloadTooLarge

    with pytest.raises(PayloadTooLarge, match="cancellation details of workflow"):
        to_swf(CancelWorkflow("x" * 32_769), workflow_id="wf")
    decisions = [
        to_swf(d, workflow_id="wf")
        for d in (CancelTask("k", "activity"), CancelTask("c", "workflow"), CancelWorkflow("d"))
    ]
    client = replay_client(
        [{"operation": "RespondDecisionTaskCompleted", "status": 200, "response": None}]
    )
    client.respond_decision_task_completed(taskToken="t", decisions=decisions)  # botocore: valid
    assert client.sent[0][1]["decisions"] == decisions


_UNKNOWN = {
    "operation": "RequestCancelWorkflowExecution",
    "status": 400,
    "response": {
        "__type": "com.amazonaws.swf.base.model#UnknownResourceFault",
        "message": "Unknown execution: WorkflowExecution=[workflowId=o-9]",
    },
}
_OK = {"operation": "RequestCancelWorkflowExecution", "status": 200, "response": None}


def test_cancel_requests_an_execution_and_names_an_unknown_one() -> None:
    client = replay_client([_OK, _OK, _UNKNOWN])
    swf = SWF(client, "shop")
    cancel(swf, "o-17")
    WorkflowRun(swf, "o-18", "run-1", "order", "1", JSON).cancel()
    with pytest.raises(UnknownExecutionError, match=r"'o-9'.*Unknown execution") as caught:
        cancel(swf, "o-9", run_id="run-9")
    assert caught.value.workflow_id == "o-9"
    assert [params for _, params in client.sent] == [
        {"domain": "shop", "workflowId": "o-17"},
        {"domain": "shop", "workflowId": "o-18"},
        {"domain": "shop", "workflowId": "o-9", "runId": "run-9"},
    ]
    with pytest.raises(ConfigurationError, match="non-empty string"):
        cancel(swf, "")


def test_flowwire_swf_cancel(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = replay_client([_OK, _UNKNOWN])
    monkeypatch.setattr(swf_cli, "_swf", lambda args: SWF(client, args.domain))
    assert swf_cli.main(["cancel", "o-17", "--domain", "shop", "--run-id", "r-1"]) == 0
    assert capsys.readouterr().err.strip() == "asked o-17 to cancel"
    assert swf_cli.main(["cancel", "o-9", "--domain", "shop"]) == 2
    assert "error: no open execution has the workflow id 'o-9'" in capsys.readouterr().err
    assert [params for _, params in client.sent] == [
        {"domain": "shop", "workflowId": "o-17", "runId": "r-1"},
        {"domain": "shop", "workflowId": "o-9"},
    ]


def test_a_run_closed_as_cancelled_raises_cancelled_on_moto(moto_server: MotoServer) -> None:
    """moto closes a run with the CancelWorkflowExecution decision (it has no request to
    start from, so the decision is sent by hand here): WorkflowRun.result reads the close."""
    swf = SWF(moto_server.client("swf"), "cancel")
    register_all(swf, TaskRegistry([Order, Reserve, Release]).specs())
    run = start(swf, Order, ["order 17"], workflow_id="o-17")
    deadline = time.monotonic() + 30
    while True:
        task = swf.call(
            "PollForDecisionTask", domain="cancel", taskList={"name": "examples-cancellation"}
        )
        if task.get("taskToken"):
            break
        assert time.monotonic() < deadline
    decision = to_swf(CancelWorkflow("cancellation requested"), workflow_id="o-17")
    swf.call("RespondDecisionTaskCompleted", taskToken=task["taskToken"], decisions=[decision])
    with pytest.raises(Cancelled, match=r"o-17.*was cancelled: cancellation requested") as caught:
        run.result(timeout=30)
    assert (caught.value.workflow_id, caught.value.details) == ("o-17", "cancellation requested")
