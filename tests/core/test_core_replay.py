"""Full replay on hand-built histories: one decision per history."""

from __future__ import annotations

from typing import Any

import pytest
from _core_workflows import (
    JSON,
    Chain,
    Handled,
    Parallel,
    Parent,
    Racing,
    Restarting,
    Retrying,
    Sequential,
    Unhandled,
    args_of,
    complete,
    fail,
    started,
    time_out,
    timer,
)

from flowwire.decision import (
    CompleteWorkflow,
    ContinueAsNew,
    FailWorkflow,
    ScheduleActivity,
    StartChildWorkflow,
    StartTimer,
)
from flowwire.history import TaskScheduled
from flowwire.replay import forget, replay
from flowwire.transport import JSONTransport
from flowwire.transport_rule import TransportRule


def result_of(decisions: list[Any]) -> Any:
    assert len(decisions) == 1 and isinstance(decisions[0], CompleteWorkflow), decisions
    return JSON.deserialize_result(decisions[0].result)


def failure_of(decisions: list[Any]) -> Any:
    assert len(decisions) == 1 and isinstance(decisions[0], FailWorkflow), decisions
    return JSON.deserialize_error(decisions[0].reason, decisions[0].details)


def test_sequential_schedules_one_step_at_a_time() -> None:
    history = started(3)
    [first] = replay(Sequential, history)
    assert isinstance(first, ScheduleActivity)
    assert (first.key, first.name, first.version) == ("double-0-0", "double", "1")
    assert args_of(first) == ((3,), {})
    history += complete("double-0-0", 6)
    [second] = replay(Sequential, history)
    assert isinstance(second, ScheduleActivity) and second.key == "double-1-0"
    assert args_of(second) == ((6,), {})
    history += complete("double-1-0", 12)
    assert result_of(replay(Sequential, history)) == 13


def test_running_task_gives_no_new_decision() -> None:
    history = [*started(3), TaskScheduled("double-0-0", "double", "1")]
    assert replay(Sequential, history) == []


def test_independent_calls_are_scheduled_together() -> None:
    decisions = replay(Parallel, started(1, 2))
    assert [d.key for d in decisions] == ["double-0-0", "double-1-0"]  # type: ignore[union-attr]
    # proxy built from the class: the decorator's defaults are in the decision
    assert isinstance(decisions[0], ScheduleActivity)
    assert decisions[0].task_list == "tl" and decisions[0].start_to_close == 300


def test_dependent_calls_wait_for_their_arguments() -> None:
    history = started(1, 2)
    assert [d.key for d in replay(Chain, history)] == ["double-0-0", "double-2-0"]  # type: ignore[union-attr]
    history += [TaskScheduled("double-0-0", "double", "1"), *complete("double-2-0", 4)]
    [d] = replay(Chain, history)
    assert isinstance(d, ScheduleActivity) and d.key == "double-3-0" and args_of(d) == ((4,), {})
    history += complete("double-0-0", 2)[1:] + complete("double-3-0", 8)
    [d] = replay(Chain, history)
    assert d.key == "double-1-0"  # type: ignore[union-attr]
    history += complete("double-1-0", 4)
    [d] = replay(Chain, history)
    assert isinstance(d, ScheduleActivity) and d.name == "add" and args_of(d) == ((4, 8), {})
    history += complete("add-0-0", 12, name="add")
    assert result_of(replay(Chain, history)) == 12


def test_error_propagates_through_arguments_without_scheduling() -> None:
    history = started(1) + fail("double-0-0", ValueError("boom"))
    message = result_of(replay(Handled, history))
    assert message.startswith("handled: activity 'double' v1 (double-0-0) failed")
    assert "ValueError: boom" in message


def test_unhandled_failure_fails_the_workflow_naming_the_task() -> None:
    error = failure_of(replay(Unhandled, started(1) + fail("double-0-0", KeyError("nope"))))
    assert "activity 'double' v1 (double-0-0)" in str(error)
    assert "KeyError" in str(error)


def test_timeouts_are_retried_after_a_delay_timer() -> None:
    history = started(5) + time_out("double-0-0")
    assert replay(Retrying, history) == [StartTimer("double-0-1.delay", 5)]
    history += timer("double-0-1.delay")
    [d] = replay(Retrying, history)
    assert isinstance(d, ScheduleActivity) and d.key == "double-0-1" and args_of(d) == ((5,), {})
    history += complete("double-0-1", 10)
    assert result_of(replay(Retrying, history)) == 10


def test_timeouts_beyond_retries_fail_with_task_timedout() -> None:
    history = started(5) + time_out("double-0-0") + timer("double-0-1.delay")
    history += time_out("double-0-1") + timer("double-0-2.delay") + time_out("double-0-2")
    error = failure_of(replay(Retrying, history))
    assert error.type_name == "TaskTimedOutError"
    assert "double-0-2" in str(error) and "after 3 attempts" in str(error)


def test_restart_continues_as_new_with_the_workflow_transport() -> None:
    [d] = replay(Restarting, started(3) + complete("double-0-0", 6))
    assert isinstance(d, ContinueAsNew)
    assert JSON.deserialize_arguments(d.input) == ((6,), {})
    assert result_of(replay(Restarting, started(60) + complete("double-0-0", 120))) == 120


def test_first_and_finish_order_follow_history_order() -> None:
    history = started(1, 2, 3)
    history += [TaskScheduled(f"double-{i}-0", "double", "1") for i in range(3)]
    history += complete("double-2-0", 6)[1:] + complete("double-0-0", 2)[1:]
    assert replay(Racing, history) == []  # finish_order still waits for double-1-0
    history += complete("double-1-0", 4)[1:]
    assert result_of(replay(Racing, history)) == [6, 6, 2, 4]


def test_child_workflows_are_started_with_their_defaults() -> None:
    [d] = replay(Parent, started(2))
    assert isinstance(d, StartChildWorkflow)
    assert (d.key, d.name, d.version, d.workflow_duration) == ("child-0-0", "sequential", "1", 3600)
    assert result_of(replay(Parent, started(2) + complete("child-0-0", 9, name="sequential"))) == 90


def test_history_with_a_task_the_code_no_longer_schedules_is_nondeterministic() -> None:
    history = started(3) + complete("double-0-0", 6) + complete("other-0-0", 1, name="other")
    error = failure_of(replay(Sequential, history))
    assert error.type_name == "NondeterminismError" and "'other-0-0'" in str(error)


def test_renamed_task_under_the_same_key_is_nondeterministic() -> None:
    history = [*started(3), TaskScheduled("double-0-0", "triple", "2")]
    error = failure_of(replay(Sequential, history))
    assert error.type_name == "NondeterminismError"
    assert "'double-0-0'" in str(error) and "'triple' v2" in str(error)


class CountingTransport(JSONTransport):
    def __init__(self) -> None:
        super().__init__()
        self.decoded = 0

    def deserialize_result(self, payload: str, *, type_hint: Any = Any) -> Any:
        self.decoded += 1
        return super().deserialize_result(payload, type_hint=type_hint)


def test_results_are_decoded_once_per_run() -> None:
    transport = CountingTransport()
    rule = TransportRule(transport)  # the engine default: "double" chose no transport
    history = started(3) + complete("double-0-0", 6)
    replay(Sequential, history, run_id="run-cache", rule=rule)
    history += complete("double-1-0", 12)
    assert result_of(replay(Sequential, history, run_id="run-cache", rule=rule)) == 13
    assert transport.decoded == 2  # double-0-0 once, then double-1-0 once
    forget("run-cache")
    replay(Sequential, history, run_id="run-cache", rule=rule)
    assert transport.decoded == 3  # lazily: only double-1-0 is needed (double-0-0 was sent)


def test_workflow_exceptions_fail_the_workflow() -> None:
    error = failure_of(replay(Sequential, started("not a number")))
    assert error.type_name == "DecodeError"


@pytest.mark.parametrize("bad", [[], started(1) * 2])
def test_histories_without_a_single_start(bad: list[Any]) -> None:
    decisions = replay(Sequential, bad)
    if not bad:
        assert failure_of(decisions).type_name == "NondeterminismError"
    else:  # the last WorkflowStarted wins; the run proceeds
        assert isinstance(decisions[0], ScheduleActivity)
