"""Per-call options: ``self.proxy.options(...)(args)`` overrides the proxy's options for one
call, checked exactly like proxy options, with the same call keys."""

from __future__ import annotations

import re
from typing import Any

import pytest
from _core_workflows import JSON, Double, args_of, complete, fail, started, time_out

from flowwire import ActivityProxy, TaskError, Workflow, WorkflowProxy, wait
from flowwire.decision import FailWorkflow, ScheduleActivity, StartChildWorkflow, StartTimer
from flowwire.replay import replay


class Checkout(Workflow):
    double = ActivityProxy(Double, start_to_close=60, retry=2)
    child = WorkflowProxy("child", 1)

    def run(self, n: int, options: dict[str, Any]) -> Any:
        first = self.double.options(**options)(n)  # one call with its own options
        return wait(self.double(wait(first)))  # the proxy's options again


def decisions(history: list[Any]) -> list[Any]:
    return replay(Checkout, history)


def failure(history: list[Any]) -> TaskError:
    [decision] = decisions(history)
    assert isinstance(decision, FailWorkflow), decision
    return JSON.deserialize_error(decision.reason, decision.details)


def test_a_call_overrides_the_proxy_and_the_next_call_does_not() -> None:
    [first] = decisions(started(3, {"start_to_close": 30, "task_list": "urgent"}))
    assert isinstance(first, ScheduleActivity) and first.key == "double-0-0"
    assert (first.start_to_close, first.task_list) == (30, "urgent")
    assert first.schedule_to_close == 420  # not overridden: the registered default
    assert args_of(first) == ((3,), {})
    history = started(3, {"start_to_close": 30}) + complete("double-0-0", 6)
    [second] = decisions(history)
    assert isinstance(second, ScheduleActivity) and second.key == "double-1-0"
    assert (second.start_to_close, second.task_list) == (60, "tl")


def test_none_leaves_an_option_as_it_is() -> None:
    [first] = decisions(started(3, {"start_to_close": None, "heartbeat": None}))
    assert isinstance(first, ScheduleActivity)
    assert (first.start_to_close, first.heartbeat) == (60, None)


def test_retry_delay_and_error_handling_per_call() -> None:
    no_retry = started(3, {"retry": 0}) + time_out("double-0-0")
    assert "timed out (START_TO_CLOSE) after 1 attempt" in str(failure(no_retry))
    delayed = started(3, {"delay": 7}) + time_out("double-0-0")
    assert decisions(delayed) == [StartTimer("double-0-1.delay", 7)]


def test_error_handling_per_call() -> None:
    class Careful(Workflow):
        double = ActivityProxy(Double)

        def run(self, n: int) -> str:
            try:
                return str(wait(self.double.options(error_handling=True)(n)))
            except TaskError as exc:
                return f"handled {exc.type_name}"

    history = started(3) + fail("double-0-0", KeyError("k"))
    [done] = replay(Careful, history)
    assert JSON.deserialize_result(done.result) == "handled KeyError"  # type: ignore[union-attr]


def test_child_workflow_options_per_call() -> None:
    class Parent(Workflow):
        child = WorkflowProxy("child", 1, workflow_duration=600)

        def run(self) -> Any:
            return wait(self.child.options(workflow_duration=30, decision_duration=5)())

    [d] = replay(Parent, started())
    assert isinstance(d, StartChildWorkflow)
    assert (d.workflow_duration, d.decision_duration, d.version) == (30, 5, "1")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"start_to_close": 0}, "start_to_close must be a positive whole number of seconds, got 0"),
        ({"heartbeat": 2.5}, "heartbeat must be a positive whole number of seconds, got 2.5"),
        ({"task_list": "a|b"}, "task_list 'a|b' contains '|'"),
        ({"retry": -1}, "retry must be a whole number >= 0 or a flowwire.RetryPolicy, got -1"),
        ({"delay": "5"}, "delay must be a whole number >= 0, got '5'"),
        (
            {"start_to_clsoe": 3},
            "'start_to_clsoe' is not an option of an activity call.*did you mean 'start_to_close'",
        ),
        ({"workflow_duration": 3}, "'workflow_duration' is not an option of an activity call"),
    ],
)
def test_bad_call_options_fail_the_workflow_naming_them(
    options: dict[str, Any], message: str
) -> None:
    error = failure(started(3, options))
    assert error.type_name == "RegistrationError"
    assert "Checkout.double.options(...): " in str(error)
    assert re.search(message, str(error)), str(error)
