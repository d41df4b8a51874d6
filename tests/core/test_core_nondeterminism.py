"""A history that the code no longer matches fails the execution with a NondeterminismError,
whatever became of the recorded task, on full replay and on a live execution alike.

Each case is a history recorded by some other code: under a key the code calls, a task of
another name, version or kind, in each of its states; or a task (or timer) the code never
reaches any more. The error names the key, what the history recorded and what the code asked.
"""

from __future__ import annotations

from typing import Any

import pytest
from _core_workflows import JSON, Handled, Retrying, Sequential, started

from flowwire.decision import Decision, FailWorkflow
from flowwire.errors import TaskError
from flowwire.history import (
    Event,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskScheduleFailed,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
)
from flowwire.replay import Execution, replay
from flowwire.task import Workflow

STATES: dict[str, list[Any]] = {
    "completed": [lambda key: TaskCompleted(key, JSON.serialize_result(6))],
    "failed": [lambda key: TaskFailed(key, *JSON.serialize_error(ValueError("x")))],
    "timed out": [lambda key: TaskTimedOut(key, "START_TO_CLOSE")],
    "still open": [],
}

# (name, version, kind) recorded under double-0-0, where the code calls activity 'double' v1
CHANGES = {
    "name": ("triple", "1", "activity"),
    "version": ("double", "2", "activity"),
    "kind": ("double", "1", "workflow"),
}
SHOWN = {
    "name": "activity 'triple' v1",
    "version": "activity 'double' v2",
    "kind": "child workflow 'double' v1",
}


def decide(workflow: type[Workflow], history: list[Event], live: bool) -> list[Decision]:
    if not live:
        return replay(workflow, history)
    execution = Execution(workflow, live=True)
    try:
        return execution.decide(history)
    finally:
        execution.close()


def nondeterminism(decisions: list[Decision]) -> TaskError:
    assert len(decisions) == 1 and isinstance(decisions[0], FailWorkflow), decisions
    error = JSON.deserialize_error(decisions[0].reason, decisions[0].details)
    assert error.type_name == "NondeterminismError", error
    return error


@pytest.mark.parametrize("live", [False, True], ids=["replay", "live"])
@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_task_under_a_key_is_refused_whatever_its_state(
    change: str, state: str, live: bool
) -> None:
    name, version, kind = CHANGES[change]
    history = [*started(3), TaskScheduled("double-0-0", name, version, kind)]
    history += [make("double-0-0") for make in STATES[state]]
    error = nondeterminism(decide(Sequential, history, live))
    message = str(error)
    assert "'double-0-0'" in message
    assert f"has {SHOWN[change]} ({state}) under key" in message
    assert "asks for activity 'double' v1 there" in message
    assert "workflow Sequential" in message


@pytest.mark.parametrize("live", [False, True], ids=["replay", "live"])
def test_a_refused_task_of_another_type_is_refused(live: bool) -> None:
    """SWF records a refusal (ScheduleActivityTaskFailed) without a scheduling event."""
    history = [*started(3), TaskScheduleFailed("double-0-0", "X", "double", "1", "workflow")]
    message = str(nondeterminism(decide(Sequential, history, live)))
    assert "child workflow 'double' v1 (refused by the backend) under key 'double-0-0'" in message


@pytest.mark.parametrize("live", [False, True], ids=["replay", "live"])
def test_an_int_version_is_the_same_version_as_its_string(live: bool) -> None:
    from flowwire.proxy import ActivityProxy

    class ByInt(Workflow):
        double = ActivityProxy("double", 1)

        def run(self, n: int) -> int:
            return self.double(n) + 0

    history = [
        *started(3),
        TaskScheduled("double-0-0", "double", "1", "activity"),
        TaskCompleted("double-0-0", "6"),
    ]
    decisions = decide(ByInt, history, live)
    assert JSON.deserialize_result(decisions[0].result) == 6  # type: ignore[union-attr]


@pytest.mark.parametrize("live", [False, True], ids=["replay", "live"])
def test_a_history_without_kinds_is_checked_by_name_and_version(live: bool) -> None:
    ok = [*started(3), TaskScheduled("double-0-0", "double", "1"), TaskCompleted("double-0-0", "6")]
    assert decide(Sequential, ok, live)[0].key == "double-1-0"  # type: ignore[union-attr]
    renamed = [*started(3), TaskScheduled("double-0-0", "triple", "1")]
    assert "task 'triple' v1 (still open)" in str(nondeterminism(decide(Sequential, renamed, live)))


def completed(key: str, value: int, name: str = "double") -> list[Event]:
    return [TaskScheduled(key, name, "1", "activity"), TaskCompleted(key, str(value))]


@pytest.mark.parametrize("live", [False, True], ids=["replay", "live"])
def test_a_recorded_task_the_code_no_longer_reaches_when_the_run_finishes(live: bool) -> None:
    history = started(3) + completed("double-0-0", 6) + completed("double-1-0", 12)
    history += completed("audit-0-0", 1, name="audit")  # recorded by code that called audit
    message = str(nondeterminism(decide(Sequential, history, live)))
    assert "activity 'audit' v1 (completed) under key 'audit-0-0'" in message
    assert "no longer schedules" in message


@pytest.mark.parametrize("live", [False, True], ids=["replay", "live"])
def test_a_recorded_task_the_code_no_longer_reaches_while_the_run_waits(live: bool) -> None:
    history = started(3) + completed("double-0-0", 6)
    history += [TaskScheduled("audit-0-0", "audit", "1", "activity")]  # open; double-1-0 next
    message = str(nondeterminism(decide(Sequential, history, live)))
    assert "activity 'audit' v1 (still open) under key 'audit-0-0'" in message


@pytest.mark.parametrize("live", [False, True], ids=["replay", "live"])
def test_a_delay_timer_the_code_no_longer_starts(live: bool) -> None:
    """Retrying used to wait 5 s before a retry; a version without the delay finds the timer."""
    history = [
        *started(5),
        TaskScheduled("double-0-0", "double", "1", "activity"),
        TaskTimedOut("double-0-0", "START_TO_CLOSE"),
        TimerStarted("double-0-1.delay"),
        TimerFired("double-0-1.delay"),
        *completed("double-0-1", 10),
    ]
    assert JSON.deserialize_result(decide(Retrying, history, live)[0].result) == 10  # type: ignore[union-attr]

    from flowwire.proxy import ActivityProxy
    from flowwire.result import wait

    class NoDelay(Workflow):
        double = ActivityProxy("double", "1", retry=2)

        def run(self, n: int) -> int:
            return wait(self.double(n))

    message = str(nondeterminism(decide(NoDelay, history, live)))
    assert "a timer under key 'double-0-1.delay'" in message


def test_live_execution_fed_a_growing_history_finds_the_change_when_it_comes() -> None:
    """The live path: each decision gets the new events only; a stray task recorded between
    decisions (another deployment decided in between) fails the run at the next decision."""
    execution = Execution(Sequential, live=True)
    try:
        history = started(3)
        assert [d.key for d in execution.decide(history)] == ["double-0-0"]  # type: ignore[union-attr]
        history += completed("double-0-0", 6)
        assert [d.key for d in execution.decide(history)] == ["double-1-0"]  # type: ignore[union-attr]
        history += [TaskScheduled("double-1-0", "double", "2", "activity")]
        message = str(nondeterminism(execution.decide(history)))
        assert "activity 'double' v2 (still open) under key 'double-1-0'" in message
        assert execution.closed
    finally:
        execution.close()


@pytest.mark.parametrize("live", [False, True], ids=["replay", "live"])
def test_error_handling_cannot_catch_nondeterminism(live: bool) -> None:
    history = [*started(3), TaskScheduled("double-0-0", "double", "1", "workflow")]
    history += [TaskFailed("double-0-0", *JSON.serialize_error(ValueError("x")))]
    message = str(nondeterminism(decide(Handled, history, live)))
    assert "child workflow 'double' v1 (failed)" in message


@pytest.mark.parametrize("change", list(CHANGES))
def test_live_and_full_replay_fail_identically(change: str) -> None:
    name, version, kind = CHANGES[change]
    history = [*started(3), TaskScheduled("double-0-0", name, version, kind)]
    history += [TaskCompleted("double-0-0", "6")]
    assert decide(Sequential, history, True) == decide(Sequential, history, False)
