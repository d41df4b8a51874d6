"""The decider on SWF-shaped PollForDecisionTask answers: what moto cannot produce (child
workflows, continue-as-new, start-to-close timeouts, paging, gaps, expired tokens)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flowwire.engines.swf.bindings import TaskRegistry, WorkflowReplayer
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.decider import Decider
from flowwire.transport import get_transport

from . import workflows as w
from .replay import replay_client
from .shapes import SwfHistory

JSON = get_transport("json")
REGISTRY = TaskRegistry(w.ALL)


def make_decider(records: list[dict[str, Any]] | None = None, *, live: bool = True) -> Decider:
    swf = SWF(replay_client(records or []), "d")
    return Decider(swf, w.DECISIONS, WorkflowReplayer(REGISTRY, live=live))


def decide(decider: Decider, pages: list[dict[str, Any]], **kw: Any) -> list[dict[str, Any]]:
    params = {"domain": "d", "taskList": {"name": w.DECISIONS}}
    task = decider.read_task(pages[0], params)
    assert task is not None
    decisions = decider.decisions_for(task)
    assert decisions is not None
    return decisions


def args(*a: Any, **k: Any) -> str:
    return JSON.serialize_arguments(a, k)


def attrs(decision: dict[str, Any]) -> dict[str, Any]:
    (value,) = [v for k, v in decision.items() if k != "decisionType"]
    return value


def test_child_workflow_started_completed_and_retried_on_timeout() -> None:
    decider = make_decider()
    h = SwfHistory(workflow_id="order-1").started(args(3), name="parent")
    first = decide(decider, h.poll_response(workflow_type=("parent", "1")))
    assert [d["decisionType"] for d in first] == ["StartChildWorkflowExecution"]
    child = attrs(first[0])
    assert child["workflowId"] == "order-1:child-0-0"
    assert child["workflowType"] == {"name": "sequence", "version": "1"}
    assert child["taskList"] == {"name": w.DECISIONS}
    assert child["executionStartToCloseTimeout"] == "3600"
    assert JSON.deserialize_arguments(child["input"]) == ((3,), {})

    h.child("order-1:child-0-0", name="sequence")
    h.child_timed_out("order-1:child-0-0")
    retried = decide(decider, h.poll_response(workflow_type=("parent", "1")))
    assert [attrs(d)["workflowId"] for d in retried] == ["order-1:child-0-1"]

    h.child("order-1:child-0-1", name="sequence")
    h.child_completed("order-1:child-0-1", "192")
    done = decide(decider, h.poll_response(workflow_type=("parent", "1")))
    assert done == [
        {
            "decisionType": "CompleteWorkflowExecution",
            "completeWorkflowExecutionDecisionAttributes": {"result": "193"},
        }
    ]


def test_child_failure_and_refusal_fail_the_parent() -> None:
    h = SwfHistory(workflow_id="p").started(args(3))
    h.decision()
    h.child("p:child-0-0", name="sequence")
    reason, details = JSON.serialize_error(KeyError("sku"))
    h.child_failed("p:child-0-0", reason, details)
    (failed,) = decide(make_decider(), h.poll_response(workflow_type=("parent", "1")))
    assert failed["decisionType"] == "FailWorkflowExecution"
    error = JSON.deserialize_error(**attrs(failed))
    assert "workflow 'sequence' v1 (child-0-0)" in str(error)
    assert "sku" in str(error)

    h = SwfHistory(workflow_id="p").started(args(3))
    h.decision()
    h.child_start_failed("p:child-0-0", "WORKFLOW_TYPE_DOES_NOT_EXIST", name="sequence")
    (failed,) = decide(make_decider(), h.poll_response(workflow_type=("parent", "1")))
    assert "WORKFLOW_TYPE_DOES_NOT_EXIST" in str(JSON.deserialize_error(**attrs(failed)))


def test_continue_as_new() -> None:
    h = SwfHistory().started(args(5, 2))
    h.decision()
    h.activity("double-0-0", name="double")
    h.activity_completed("double-0-0", "10")
    (decision,) = decide(make_decider(), h.poll_response(workflow_type=("restarting", "1")))
    assert decision["decisionType"] == "ContinueAsNewWorkflowExecution"
    assert JSON.deserialize_arguments(attrs(decision)["input"]) == ((10, 1), {})


@pytest.mark.parametrize("live", [True, False])
def test_start_to_close_timeouts_retry_then_fail(live: bool) -> None:
    decider = make_decider(live=live)
    h = SwfHistory().started(args(60))
    keys = []
    decisions = decide(decider, h.poll_response(workflow_type=("sequence", "1")))
    for _attempt in range(4):  # retry=3: four attempts in all
        (decision,) = decisions
        key = attrs(decision)["activityId"]
        keys.append(key)
        h.activity(key, name="double")
        h.activity_timed_out(key, "START_TO_CLOSE")
        decisions = decide(decider, h.poll_response(workflow_type=("sequence", "1")))
    assert keys == ["double-0-0", "double-0-1", "double-0-2", "double-0-3"]
    (failed,) = decisions
    error = JSON.deserialize_error(**attrs(failed))
    assert "timed out (START_TO_CLOSE) after 4 attempts" in str(error)
    assert "double-0-3" in str(error)


def test_live_and_full_replay_decide_identically() -> None:
    live, full = make_decider(live=True), make_decider(live=False)
    h = SwfHistory().started(args([1, 2, 3]))
    results = {}
    for _ in range(10):
        pages = h.poll_response(workflow_type=("fanout", "1"))
        a, b = decide(live, pages), decide(full, json.loads(json.dumps(pages)))
        assert a == b
        if not a or a[0]["decisionType"] == "CompleteWorkflowExecution":
            break
        for d in a:
            key = attrs(d)["activityId"]
            h.activity(key, name=attrs(d)["activityType"]["name"])
            values = JSON.deserialize_arguments(attrs(d)["input"])[0]
            results[key] = values[0] * 2 if len(values) == 1 else sum(values)
        for key in [attrs(d)["activityId"] for d in a]:
            h.activity_completed(key, json.dumps(results[key]))
    assert a[0]["completeWorkflowExecutionDecisionAttributes"]["result"] == "12"


def test_pages_are_read_with_next_page_token() -> None:
    h = SwfHistory().started(args(1))
    h.decision()
    for i in range(40):  # 40 activities * 3 events: a history of 125 events
        h.activity(f"double-{i}-0", name="double")
        h.activity_completed(f"double-{i}-0", "1")
    pages = h.poll_response(page_size=50, workflow_type=("sequence", "1"))
    assert len(pages) == 3
    records = [
        {"operation": "PollForDecisionTask", "status": 200, "response": p} for p in pages[1:]
    ]
    decider = make_decider(records)
    task = decider.read_task(pages[0], {"domain": "d", "taskList": {"name": w.DECISIONS}})
    assert task is not None and len(task.history) == 1 + 40 * 3
    sent = decider.swf.client.sent
    assert [body.get("nextPageToken") for _, body in sent] == ["page-50", "page-100"]


def test_incremental_history_and_gap_recovery() -> None:
    """With the run cached, the decider asks only for new events; when another decider handled
    a decision in between (a gap), it reads the full history instead."""
    h = SwfHistory(workflow_id="wf-9", run_id="r9").started(args(1))
    full = h.poll_response(workflow_type=("sequence", "1"))
    decider = make_decider()
    assert [attrs(d)["activityId"] for d in decide(decider, full)] == ["double-0-0"]

    h.activity("double-0-0", name="double")
    h.activity_completed("double-0-0", "2")
    (answer,) = h.poll_response(workflow_type=("sequence", "1"))
    # what startAtPreviousStartedEvent returns: from the previous DecisionTaskStarted on
    answer["events"] = answer["events"][answer["previousStartedEventId"] - 1 :]
    assert answer["events"][0]["eventId"] == 3
    assert [attrs(d)["activityId"] for d in decide(decider, [answer])] == ["double-1-0"]

    h.activity("double-1-0", name="double")
    h.activity_completed("double-1-0", "4")
    h.decision()  # another decider's decision task: this one never saw it
    h.activity("double-2-0", name="double")
    h.activity_completed("double-2-0", "8")
    (answer,) = h.poll_response(workflow_type=("sequence", "1"))
    whole = dict(answer)
    answer["events"] = answer["events"][-6:]
    records = [
        {
            "operation": "GetWorkflowExecutionHistory",
            "status": 200,
            "response": {"events": whole["events"]},
        }
    ]
    decider.swf = SWF(replay_client(records), "d")
    (decision,) = decide(decider, [answer])
    assert attrs(decision)["activityId"] == "double-3-0"
    assert decider.swf.client.sent[0][1]["execution"] == {"workflowId": "wf-9", "runId": "r9"}


def test_empty_polls_and_missing_previous_started_event_id() -> None:
    decider = make_decider()
    assert decider.read_task({"startedEventId": 0, "previousStartedEventId": 0}) is None
    assert decider.read_task({"taskToken": ""}) is None
    h = SwfHistory().started(args(200))
    pages = h.poll_response(with_previous=False, workflow_type=("sequence", "1"))
    assert "previousStartedEventId" not in pages[0]
    (decision,) = decide(decider, pages)
    assert attrs(decision)["result"] == "200"


def test_lost_answer_is_decided_again() -> None:
    """When SWF refuses the answer (expired token), what was decided is not assumed sent."""
    h = SwfHistory().started(args(1))
    pages = h.poll_response(workflow_type=("sequence", "1"))
    refusal = {"__type": "com.amazonaws.swf.base.model#UnknownResourceFault", "message": "gone"}
    records = [
        {"operation": "PollForDecisionTask", "status": 200, "response": pages[0]},
        {"operation": "RespondDecisionTaskCompleted", "status": 400, "response": refusal},
    ]
    decider = make_decider(records)
    assert decider.poll_once() is True  # refused, logged, forgotten
    (again,) = h.poll_response(workflow_type=("sequence", "1"))
    records[:] = [
        {"operation": "PollForDecisionTask", "status": 200, "response": again},
        {"operation": "RespondDecisionTaskCompleted", "status": 200, "response": None},
    ]
    decider.swf = SWF(replay_client(records), "d")
    assert decider.poll_once() is True
    ((_, body),) = [s for s in decider.swf.client.sent if s[0] == "RespondDecisionTaskCompleted"]
    assert [attrs(d)["activityId"] for d in body["decisions"]] == ["double-0-0"]


def test_unknown_workflow_type_fails_with_a_readable_error() -> None:
    h = SwfHistory().started(args(1))
    (failed,) = decide(make_decider(), h.poll_response(workflow_type=("nope", "9")))
    error = JSON.deserialize_error(**attrs(failed))
    assert "no workflow 'nope' v9" in str(error)


def test_request_over_one_megabyte_fails_the_run() -> None:
    h = SwfHistory().started(args("x" * 30_000, 40))
    (failed,) = decide(make_decider(), h.poll_response(workflow_type=("spread", "1")))
    assert failed["decisionType"] == "FailWorkflowExecution"
    message = str(JSON.deserialize_error(**attrs(failed)))
    assert "over SWF's request limit of 1,000,000" in message
    assert "workflow 'spread' v1 (wf-1)" in message
    h = SwfHistory().started(args("x" * 30_000, 30))  # 900,000 characters: fits
    decisions = decide(make_decider(), h.poll_response(workflow_type=("spread", "1")))
    assert len(decisions) == 30


@pytest.mark.parametrize("live", [True, False])
def test_duplicate_decision_task_adds_nothing(live: bool) -> None:
    """A second decision task with nothing new (moto sends such duplicates) is answered with
    no decisions: what was scheduled is in the history and not scheduled again."""
    decider = make_decider(live=live)
    h = SwfHistory().started(args([1, 2]))
    first = decide(decider, h.poll_response(workflow_type=("fanout", "1")))
    assert [attrs(d)["activityId"] for d in first] == ["double-0-0", "double-1-0"]
    h.activity("double-0-0", name="double")
    h.activity("double-1-0", name="double")
    assert decide(decider, h.poll_response(workflow_type=("fanout", "1"))) == []
    assert decide(decider, h.poll_response(workflow_type=("fanout", "1"))) == []
    h.activity_completed("double-0-0", "2")
    h.activity_completed("double-1-0", "4")
    (add,) = decide(decider, h.poll_response(workflow_type=("fanout", "1")))
    assert attrs(add)["activityId"] == "add-0-0"


def test_unreadable_history_fails_the_run() -> None:
    h = SwfHistory().started(args(1))
    h.add("ActivityTaskCompleted", result="1", scheduledEventId=42, startedEventId=41)
    pages = h.poll_response(workflow_type=("sequence", "1"))
    records = [
        {
            "operation": "GetWorkflowExecutionHistory",
            "status": 200,
            "response": {"events": pages[0]["events"]},
        }
    ]
    (failed,) = decide(make_decider(records), pages)
    assert failed["decisionType"] == "FailWorkflowExecution"
    assert "refers to event 42" in str(JSON.deserialize_error(**attrs(failed)))
