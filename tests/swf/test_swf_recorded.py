"""The SWF engine reads real SWF answers: recorded traffic replayed through botocore."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest

from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.events import HistoryBuilder, translate
from flowwire.engines.swf.registration import (
    ActivityTypeSpec,
    WorkflowTypeSpec,
    register_activity_type,
    register_workflow_type,
)
from flowwire.errors import BackendError, RegistrationError
from flowwire.history import (
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

from .replay import replay_client

TRANSLATED = {
    "WorkflowExecutionStarted": WorkflowStarted,
    "ActivityTaskScheduled": TaskScheduled,
    "StartChildWorkflowExecutionInitiated": TaskScheduled,
    "ActivityTaskStarted": TaskStarted,
    "ChildWorkflowExecutionStarted": TaskStarted,
    "ActivityTaskCompleted": TaskCompleted,
    "ChildWorkflowExecutionCompleted": TaskCompleted,
    "ActivityTaskFailed": TaskFailed,
    "ChildWorkflowExecutionFailed": TaskFailed,
    "ActivityTaskTimedOut": TaskTimedOut,
    "ChildWorkflowExecutionTimedOut": TaskTimedOut,
    "ScheduleActivityTaskFailed": TaskScheduleFailed,
    "StartChildWorkflowExecutionFailed": TaskScheduleFailed,
    "TimerStarted": TimerStarted,
    "TimerFired": TimerFired,
}


def decision_tasks(traffic: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The recorded PollForDecisionTask responses grouped into decision tasks (pages)."""
    tasks: list[list[dict[str, Any]]] = []
    for record in traffic:
        if record["operation"] != "PollForDecisionTask":
            continue
        if "nextPageToken" in record["request"]:
            tasks[-1].append(record)
        else:
            tasks.append([record])
    return tasks


def test_every_recorded_history_translates(decider_traffic: list[dict[str, Any]]) -> None:
    tasks = decision_tasks(decider_traffic)
    assert len(tasks) == 94
    seen_types: Counter[str] = Counter()
    for pages in tasks:
        first = pages[0]["response"]
        raw = [event for page in pages for event in page["response"]["events"]]
        assert [e["eventId"] for e in raw] == list(range(1, len(raw) + 1))
        assert raw[-1]["eventId"] == first["startedEventId"]
        history = translate(raw, workflow_id=first["workflowExecution"]["workflowId"])
        expected = [TRANSLATED[e["eventType"]] for e in raw if e["eventType"] in TRANSLATED]
        assert [type(e) for e in history] == expected
        seen_types.update(e["eventType"] for e in raw)
        assert isinstance(history[0], WorkflowStarted)
        assert history[0].input == raw[0]["workflowExecutionStartedEventAttributes"]["input"]
        scheduled: set[str] = set()
        for event in history:
            if isinstance(event, TaskScheduled):
                scheduled.add(event.key)
            elif isinstance(event, TaskStarted | TaskCompleted | TaskFailed | TaskTimedOut):
                assert event.key in scheduled
    # every event type of the recording was met, the ones replay needs were translated
    assert set(TRANSLATED) <= set(seen_types)


def test_recorded_child_keys_and_payloads(decider_traffic: list[dict[str, Any]]) -> None:
    pages = max(decision_tasks(decider_traffic), key=lambda p: p[0]["response"]["startedEventId"])
    first = pages[0]["response"]
    raw = [event for page in pages for event in page["response"]["events"]]
    history = translate(raw, workflow_id=first["workflowExecution"]["workflowId"])
    completed = {e.key: e.result for e in history if isinstance(e, TaskCompleted)}
    # flowy's child ids are not prefixed with this parent's id: the whole id is the key
    for event in raw:
        if event["eventType"] == "ChildWorkflowExecutionCompleted":
            attrs = event["childWorkflowExecutionCompletedEventAttributes"]
            key = attrs["workflowExecution"]["workflowId"]
            assert completed[key] == attrs["result"]
    failed = [e for e in history if isinstance(e, TaskFailed)]
    assert failed and all(e.details == "" for e in failed)  # real SWF: no details field


def test_incremental_feeding_matches_full_translation(
    decider_traffic: list[dict[str, Any]],
) -> None:
    """Each decision task's events after the previous one, fed to one builder per run, give
    the same history as translating the whole history at once (overlaps are skipped)."""
    builders: dict[str, HistoryBuilder] = {}
    for pages in decision_tasks(decider_traffic):
        first = pages[0]["response"]
        run = first["workflowExecution"]["runId"]
        raw = [event for page in pages for event in page["response"]["events"]]
        builder = builders.setdefault(run, HistoryBuilder(first["workflowExecution"]["workflowId"]))
        builder.feed(raw)  # the whole history again: the known prefix is skipped
        assert builder.events == translate(raw, workflow_id=builder.workflow_id)


def test_gap_in_history_is_reported() -> None:
    builder = HistoryBuilder("wf")
    builder.feed(
        [
            {
                "eventId": 1,
                "eventType": "WorkflowExecutionStarted",
                "workflowExecutionStartedEventAttributes": {"input": "[]"},
            }
        ]
    )
    with pytest.raises(BackendError, match="jumps from event 1 to 5"):
        builder.feed([{"eventId": 5, "eventType": "DecisionTaskScheduled"}])


def test_recorded_polls_parse_through_botocore(decider_traffic: list[dict[str, Any]]) -> None:
    """botocore parses real SWF answers (timestamps, pages) into what the translation reads."""
    tasks = decision_tasks(decider_traffic)[:60]
    records = [record for pages in tasks for record in pages]
    swf = SWF(replay_client(records), "FlowyIntegrationTest")
    for pages in tasks:
        events: list[dict[str, Any]] = []
        token = None
        while True:
            params: dict[str, Any] = {"domain": swf.domain, "taskList": {"name": "tl"}}
            if token:
                params["nextPageToken"] = token
            response = swf.call("PollForDecisionTask", **params)
            events.extend(response["events"])
            token = response.get("nextPageToken")
            if not token:
                break
        raw = [event for page in pages for event in page["response"]["events"]]
        wid = response["workflowExecution"]["workflowId"]
        assert translate(events, workflow_id=wid) == translate(raw, workflow_id=wid)


def _records(traffic: list[dict[str, Any]], *operations: str) -> list[dict[str, Any]]:
    out = []
    for operation in operations:
        out.append(next(r for r in traffic if r["operation"] == operation))
    return out


def test_type_already_exists_as_real_swf_sends_it(decider_traffic: list[dict[str, Any]]) -> None:
    records = _records(decider_traffic, "RegisterWorkflowType", "DescribeWorkflowType")
    assert records[0]["status"] == 400
    swf = SWF(replay_client(copy.deepcopy(records)), "FlowyIntegrationTest")
    spec = WorkflowTypeSpec("ExitWorkflow", "2", "tl", workflow_duration=20, decision_duration=10)
    assert register_workflow_type(swf, spec) is False

    swf = SWF(replay_client(copy.deepcopy(records)), "FlowyIntegrationTest")
    other = WorkflowTypeSpec(
        "ExitWorkflow", "2", "tl", workflow_duration=3600, decision_duration=10
    )
    with pytest.raises(RegistrationError) as info:
        register_workflow_type(swf, other)
    message = str(info.value)
    assert "'ExitWorkflow' v2" in message
    assert "defaultExecutionStartToCloseTimeout registered '20', declared '3600'" in message
    assert "decision" not in message.replace("declared", "")  # only the differing default


def test_activity_type_already_exists(activity_traffic: list[dict[str, Any]]) -> None:
    records = _records(activity_traffic, "RegisterActivityType", "DescribeActivityType")
    spec = ActivityTypeSpec(
        "tactivity",
        "2",
        "tl",
        heartbeat=10,
        schedule_to_close=60,
        schedule_to_start=30,
        start_to_close=15,
    )
    swf = SWF(replay_client(copy.deepcopy(records)), "FlowyIntegrationTest")
    assert register_activity_type(swf, spec) is False
    swf = SWF(replay_client(copy.deepcopy(records)), "FlowyIntegrationTest")
    with pytest.warns(
        UserWarning, match="defaultTaskHeartbeatTimeout registered '10', declared 'NONE'"
    ):
        register_activity_type(
            swf,
            ActivityTypeSpec("tactivity", "2", "tl", None, 60, 30, 15),
            on_conflict="warn",
        )
