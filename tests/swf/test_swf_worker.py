"""The activity worker on recorded SWF traffic and on SWF-shaped answers."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest

from flowwire.engines.swf.bindings import TaskRegistry, WorkflowReplayer, activity_runner
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.worker import (
    ActivityTask,
    ActivityWorker,
    Completed,
    Failed,
    Outcome,
    Suspended,
)
from flowwire.errors import RegistrationError
from flowwire.task import Activity, activity
from flowwire.transport import get_transport

from . import workflows as w
from .replay import replay_client

JSON = get_transport("json")
RUNNER = activity_runner(TaskRegistry(w.ALL))


def worker(records: list[dict[str, Any]], runner: Any = RUNNER) -> ActivityWorker:
    return ActivityWorker(SWF(replay_client(copy.deepcopy(records)), "d"), "tl", runner)


def poll_answer(name: str, version: str, input: str, token: str = "tok") -> dict[str, Any]:
    return {
        "operation": "PollForActivityTask",
        "status": 200,
        "response": {
            "taskToken": token,
            "activityId": f"{name}-0-0",
            "activityType": {"name": name, "version": version},
            "input": input,
            "startedEventId": 7,
            "workflowExecution": {"workflowId": "wf", "runId": "run"},
        },
    }


OK = {"status": 200, "response": None}
GONE = {
    "status": 400,
    "response": {"__type": "com.amazonaws.swf.base.model#UnknownResourceFault", "message": "x"},
}


def test_recorded_activity_polls_parse(activity_traffic: list[dict[str, Any]]) -> None:
    polls = [r for r in activity_traffic if r["operation"] == "PollForActivityTask"]
    assert polls
    seen: list[ActivityTask] = []
    w_ = worker(polls, runner=lambda task: seen.append(task) or Suspended())
    for record in polls:
        task = w_.poll()
        assert task is not None
        response = record["response"]
        assert task.token == response["taskToken"]
        assert task.activity_id == response["activityId"]
        assert (task.name, task.version) == ("tactivity", "2")
        assert task.input == response.get("input", "")
        assert task.workflow_id == response["workflowExecution"]["workflowId"]


def test_recorded_heartbeat_answer(activity_traffic: list[dict[str, Any]]) -> None:
    records = [r for r in activity_traffic if r["operation"] == "RecordActivityTaskHeartbeat"]
    assert worker(records).heartbeat(records[0]["request"]["taskToken"]) is True


def sent(w_: ActivityWorker) -> list[tuple[str, dict[str, Any]]]:
    return w_.swf.client.sent  # type: ignore[no-any-return]


def test_completed_failed_and_unknown_tasks() -> None:
    records = [
        poll_answer("double", "1", JSON.serialize_arguments([21], {}), "t1"),
        {"operation": "RespondActivityTaskCompleted", **OK},
        poll_answer("fail", "1", JSON.serialize_arguments(["bad"], {}), "t2"),
        {"operation": "RespondActivityTaskFailed", **OK},
        poll_answer("nope", "3", "[]", "t3"),
        {"operation": "RespondActivityTaskFailed", **OK},
    ]
    w_ = worker(records)
    assert [w_.poll_once() for _ in range(3)] == [True, True, True]
    (_, done), (_, failed), (_, unknown) = [s for s in sent(w_) if s[0].startswith("Respond")]
    assert done == {"taskToken": "t1", "result": "42"}
    error = JSON.deserialize_error(failed["reason"], failed["details"])
    assert error.type_name == "ValueError" and error.message == "bad"
    assert "no activity 'nope' v3 here" in str(
        JSON.deserialize_error(unknown["reason"], unknown["details"])
    )


def test_result_over_the_limit_is_a_failure_never_sent() -> None:
    records = [
        poll_answer("huge", "1", JSON.serialize_arguments([40_000], {})),
        {"operation": "RespondActivityTaskFailed", **OK},
    ]
    w_ = worker(records)
    w_.poll_once()
    operations = [op for op, _ in sent(w_)]
    assert operations == ["PollForActivityTask", "RespondActivityTaskFailed"]
    _, body = sent(w_)[1]
    assert "PayloadTooLarge" in body["reason"]
    assert "32,768" in body["details"]


def test_runner_result_checked_before_sending() -> None:
    """A foreign runner's over-long result is replaced by a failure naming the task."""
    records = [poll_answer("x", "1", "[]"), {"operation": "RespondActivityTaskFailed", **OK}]
    w_ = worker(records, runner=lambda task: Completed("y" * 40_000))
    outcome = w_.handle(w_.poll())  # type: ignore[arg-type]
    assert outcome.status == "failed"
    assert outcome.reason == "PayloadTooLarge"
    assert "result of activity 'x' v1 (x-0-0) is 40,000 characters" in outcome.details
    long_reason = worker(
        [poll_answer("x", "1", "[]"), {"operation": "RespondActivityTaskFailed", **OK}],
        runner=lambda task: Failed("r" * 300, "d"),
    )
    outcome = long_reason.handle(long_reason.poll())  # type: ignore[arg-type]
    assert outcome.status == "failed" and len(outcome.reason) <= 256
    assert "r" * 300 in outcome.details  # moved, not cut


def test_cancel_requested_and_gone_tasks(caplog: pytest.LogCaptureFixture) -> None:
    answers: list[bool] = []

    def runner(task: ActivityTask) -> Outcome:
        answers.append(task.heartbeat())
        return Completed("1")

    records = [
        poll_answer("x", "1", "[]"),
        {
            "operation": "RecordActivityTaskHeartbeat",
            "status": 200,
            "response": {"cancelRequested": True},
        },
        {"operation": "RespondActivityTaskCanceled", **OK},
        poll_answer("x", "1", "[]", "t2"),
        {"operation": "RecordActivityTaskHeartbeat", **GONE},
        {"operation": "RespondActivityTaskCompleted", **GONE},
    ]
    w_ = worker(records, runner=runner)
    with caplog.at_level(logging.WARNING, "flowwire.swf.worker"):
        w_.poll_once()
        w_.poll_once()
    assert answers == [False, False]
    assert [op for op, _ in sent(w_)][2] == "RespondActivityTaskCanceled"
    assert "SWF no longer has the task" in caplog.text


def test_empty_poll() -> None:
    w_ = worker(
        [{"operation": "PollForActivityTask", "status": 200, "response": {"startedEventId": 0}}]
    )
    assert w_.poll_once() is False


def test_registry_errors() -> None:
    @activity("double", "1", "elsewhere")
    class OtherDouble(Activity):
        def run(self, value: int) -> int:
            return value

    with pytest.raises(RegistrationError, match=r"duplicate activity 'double' v1: .*OtherDouble"):
        TaskRegistry([w.Double, OtherDouble])
    with pytest.raises(RegistrationError, match="has no task metadata"):
        TaskRegistry([int])
    registry = TaskRegistry(w.ALL)
    assert registry.task_lists("workflow") == [w.DECISIONS]
    assert registry.task_lists("activity") == [w.ACTIVITIES]
    with pytest.raises(RegistrationError, match="no workflow 'x' v1"):
        WorkflowReplayer(registry).decide("x", "1", "run", [])


def test_poll_loops_survive_swf_errors_and_bugs(caplog: pytest.LogCaptureFixture) -> None:
    # Deciders and activity workers share this loop: an SWF error or a bug in one poll is
    # logged and the next poll still happens; setting stop ends the loop.
    import threading

    from flowwire.engines.swf.client import SWFError, poll_until

    stop = threading.Event()
    calls: list[int] = []

    def poll_once() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise SWFError("PollForActivityTask", "ThrottlingException", "slow down")
        if len(calls) == 2:
            raise ZeroDivisionError("a bug")
        stop.set()

    stop_wait = stop.wait
    stop.wait = lambda timeout=None: stop_wait(0)  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, "flowwire.swf.worker"):
        poll_until(stop, poll_once, logging.getLogger("flowwire.swf.worker"), "worker on 'q'")
    assert len(calls) == 3
    assert "worker on 'q': " in caplog.text and "ThrottlingException" in caplog.text
    assert "ZeroDivisionError: a bug" in caplog.text
