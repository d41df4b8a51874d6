"""Event and decision translation on hand-built SWF-shaped histories."""

from __future__ import annotations

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given
from hypothesis import strategies as st

from flowwire.decision import (
    CompleteWorkflow,
    ContinueAsNew,
    FailWorkflow,
    ScheduleActivity,
    StartChildWorkflow,
    StartTimer,
)
from flowwire.engines.swf.decisions import to_swf, to_swf_all
from flowwire.engines.swf.events import child_workflow_id, key_of_child, translate
from flowwire.errors import BackendError, PayloadTooLarge
from flowwire.history import (
    SignalReceived,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskScheduleFailed,
    TaskStarted,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
    WorkflowStarted,
)

from .shapes import SwfHistory

# what SwfHistory's scheduling events record (SWF fills in the registered defaults)
ACTIVITY = {
    "kind": "activity",
    "options": {
        "task_list": "activities",
        "heartbeat": None,
        "schedule_to_close": 420,
        "schedule_to_start": 120,
        "start_to_close": 300,
    },
}
CHILD = {
    "kind": "workflow",
    "options": {"task_list": "decisions", "workflow_duration": 3600, "decision_duration": 60},
}


def test_activities_timers_and_timeouts() -> None:
    h = SwfHistory().started('{"a":1}')
    h.decision()
    h.activity("double-0-0")
    h.activity("double-1-0")
    h.activity("double-2-0")
    h.activity_completed("double-0-0", "2")
    h.activity_failed("double-1-0", "ValueError: x", "{}")
    h.activity_timed_out("double-2-0", "START_TO_CLOSE")
    h.timer("double-3-0:delay")
    h.add("WorkflowExecutionSignaled", signalName="s")  # no input: an empty payload
    assert translate(h.events, workflow_id="wf-1") == [
        WorkflowStarted('{"a":1}'),
        TaskScheduled("double-0-0", "act", "1", input="[]", **ACTIVITY),
        TaskScheduled("double-1-0", "act", "1", input="[]", **ACTIVITY),
        TaskScheduled("double-2-0", "act", "1", input="[]", **ACTIVITY),
        TaskStarted("double-0-0"),
        TaskCompleted("double-0-0", "2"),
        TaskStarted("double-1-0"),
        TaskFailed("double-1-0", "ValueError: x", "{}"),
        TaskStarted("double-2-0"),
        TaskTimedOut("double-2-0", "START_TO_CLOSE"),
        TimerStarted("double-3-0:delay"),
        TimerFired("double-3-0:delay"),
        SignalReceived("s", ""),
    ]
    started = [e for e in translate(h.events, workflow_id="wf-1") if type(e) is TimerStarted]
    assert [e.seconds for e in started] == [5]  # startToFireTimeout, as SWF recorded it


def test_child_workflows_map_back_to_keys() -> None:
    h = SwfHistory(workflow_id="order-7").started("[]")
    h.decision()
    ok, bad, slow, refused = (child_workflow_id("order-7", k) for k in ("c-0", "c-1", "c-2", "c-3"))
    assert ok == "order-7:c-0"
    for wid in (ok, bad, slow):
        h.child(wid)
    h.child(refused)
    h.child_start_failed(refused, "WORKFLOW_TYPE_DOES_NOT_EXIST")
    h.child_completed(ok, '"done"')
    h.child_failed(bad, "KeyError: k", "{...}")
    h.child_timed_out(slow)
    events = translate(h.events, workflow_id="order-7")
    assert events[1:] == [
        TaskScheduled("c-0", "child", "1", input="[]", **CHILD),
        TaskScheduled("c-1", "child", "1", input="[]", **CHILD),
        TaskScheduled("c-2", "child", "1", input="[]", **CHILD),
        TaskScheduled("c-3", "child", "1", input="[]", **CHILD),
        TaskScheduleFailed("c-3", "WORKFLOW_TYPE_DOES_NOT_EXIST", "child", "1", "workflow"),
        TaskStarted("c-0"),
        TaskCompleted("c-0", '"done"'),
        TaskStarted("c-1"),
        TaskFailed("c-1", "KeyError: k", "{...}"),
        TaskStarted("c-2"),
        TaskTimedOut("c-2", "START_TO_CLOSE"),
    ]


def test_missing_optional_fields_of_moto_and_real_swf() -> None:
    h = SwfHistory()
    h.add("WorkflowExecutionStarted", taskList={"name": "d"})  # moto: no input when None
    h.activity("a")
    h.activity_failed("a", "boom")  # real SWF: no details
    h.activity("b")
    started = h.activity_started("b")
    h.add("ActivityTaskCompleted", scheduledEventId=h.scheduled["b"], startedEventId=started)
    assert translate(h.events, workflow_id="wf-1") == [
        WorkflowStarted(""),
        TaskScheduled("a", "act", "1", input="[]", **ACTIVITY),
        TaskStarted("a"),
        TaskFailed("a", "boom", ""),
        TaskScheduled("b", "act", "1", input="[]", **ACTIVITY),
        TaskStarted("b"),
        TaskCompleted("b", ""),
    ]


def test_reference_to_unknown_event_is_reported() -> None:
    h = SwfHistory().started("[]")
    h.add("ActivityTaskCompleted", result="1", scheduledEventId=99, startedEventId=98)
    with pytest.raises(BackendError, match="refers to event 99"):
        translate(h.events, workflow_id="wf-1")


@given(parent=st.text(min_size=1, max_size=300), key=st.text(min_size=1, max_size=200))
def test_child_workflow_ids_round_trip(parent: str, key: str) -> None:
    wid = child_workflow_id(parent, key)
    assert len(wid) <= 256
    assert key_of_child(parent, wid) == key


def test_too_long_key_for_child_id() -> None:
    with pytest.raises(BackendError, match="256"):
        child_workflow_id("p" * 10, "k" * 250)


def test_decisions_to_swf() -> None:
    assert to_swf(
        ScheduleActivity(
            "k-0", "resize", "2", "[1]", task_list="img", heartbeat=10, start_to_close=30
        ),
        workflow_id="wf",
    ) == {
        "decisionType": "ScheduleActivityTask",
        "scheduleActivityTaskDecisionAttributes": {
            "activityId": "k-0",
            "activityType": {"name": "resize", "version": "2"},
            "input": "[1]",
            "heartbeatTimeout": "10",
            "startToCloseTimeout": "30",
            "taskList": {"name": "img"},
        },
    }
    assert to_swf(
        StartChildWorkflow("c-0", "child", "1", "[]", workflow_duration=60), workflow_id="wf"
    ) == {
        "decisionType": "StartChildWorkflowExecution",
        "startChildWorkflowExecutionDecisionAttributes": {
            "workflowId": "wf:c-0",
            "workflowType": {"name": "child", "version": "1"},
            "input": "[]",
            "executionStartToCloseTimeout": "60",
        },
    }
    assert to_swf(StartTimer("t-0", 5), workflow_id="wf") == {
        "decisionType": "StartTimer",
        "startTimerDecisionAttributes": {"timerId": "t-0", "startToFireTimeout": "5"},
    }
    assert to_swf_all(
        [CompleteWorkflow("1"), FailWorkflow("r", "d"), ContinueAsNew("[2]", task_list="x")],
        workflow_id="wf",
    ) == [
        {
            "decisionType": "CompleteWorkflowExecution",
            "completeWorkflowExecutionDecisionAttributes": {"result": "1"},
        },
        {
            "decisionType": "FailWorkflowExecution",
            "failWorkflowExecutionDecisionAttributes": {"reason": "r", "details": "d"},
        },
        {
            "decisionType": "ContinueAsNewWorkflowExecution",
            "continueAsNewWorkflowExecutionDecisionAttributes": {
                "input": "[2]",
                "taskList": {"name": "x"},
            },
        },
    ]


@pytest.mark.parametrize(
    ("decision", "what", "limit"),
    [
        (
            ScheduleActivity("k", "resize", "1", "x" * 32_769),
            "input of activity 'resize' v1 (k)",
            32_768,
        ),
        (
            StartChildWorkflow("k", "c", "1", "x" * 40_000),
            "input of child workflow 'c' v1 (k)",
            32_768,
        ),
        (CompleteWorkflow("x" * 32_769), "result of workflow 'w' v1", 32_768),
        (FailWorkflow("x" * 257, ""), "failure reason of workflow 'w' v1", 256),
        (FailWorkflow("r", "x" * 32_769), "failure details of workflow 'w' v1", 32_768),
        (ContinueAsNew("x" * 32_769), "restart input of workflow 'w' v1", 32_768),
    ],
)
def test_limits_are_checked_never_truncated(decision: object, what: str, limit: int) -> None:
    with pytest.raises(PayloadTooLarge) as info:
        to_swf(decision, workflow_id="wf", workflow="workflow 'w' v1")  # type: ignore[arg-type]
    assert info.value.what == what
    assert info.value.limit == limit
    assert what in str(info.value)


def test_limits_exactly_at_the_limit_pass() -> None:
    to_swf(CompleteWorkflow("x" * 32_768), workflow_id="wf")
    to_swf(FailWorkflow("x" * 256, "y" * 32_768), workflow_id="wf")


def test_decisions_pass_botocore_validation() -> None:
    """The dicts are valid RespondDecisionTaskCompleted parameters for botocore."""
    from .replay import replay_client

    decisions = to_swf_all(
        [
            ScheduleActivity(
                "k",
                "a",
                "1",
                "[]",
                heartbeat=1,
                schedule_to_close=2,
                schedule_to_start=3,
                start_to_close=4,
                task_list="t",
            ),
            StartChildWorkflow(
                "c", "w", "1", "[]", task_list="t", workflow_duration=1, decision_duration=2
            ),
            StartTimer("t", 0),
            CompleteWorkflow(""),
            FailWorkflow("r", "d"),
            ContinueAsNew("[]", task_list="t", workflow_duration=1, decision_duration=2),
        ],
        workflow_id="wf",
    )
    client = replay_client(
        [{"operation": "RespondDecisionTaskCompleted", "status": 200, "response": None}]
    )
    client.respond_decision_task_completed(taskToken="t", decisions=decisions)
    assert client.sent[0][1]["decisions"] == decisions
