"""Cancellation on the in-memory engine: the workflow is told at its next wait and cleans up,
running activities see heartbeat() answer False, queued ones never start, children are
cancelled with their parent (unless their proxy says otherwise), tasks are not retried after a
cancel, and the point where the workflow is told is the same on every replay. The errors:
unknown and closed executions, a bad proxy option, Cancelled raised without a request."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire import (
    ActivityProxy,
    Cancelled,
    LocalEngine,
    TaskError,
    UnknownExecutionError,
    Workflow,
    WorkflowProxy,
    wait,
    workflow,
)
from flowwire.decision import CancelTask, CancelWorkflow, CompleteWorkflow, ScheduleActivity
from flowwire.errors import RegistrationError
from flowwire.history import (
    Event,
    TaskCancelRequested,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
    WorkflowCancelRequested,
    WorkflowStarted,
)
from flowwire.replay import Execution, replay
from flowwire.testing import VirtualClock

from . import _cancel_tasks as tasks
from ._cancel_tasks import DAY, Child, Parent, Queued, RaisesItself, Step, Steps, StopsLong

STEPS_ID = "cancel.steps-1"


@pytest.fixture(params=[True, False], ids=["live", "replay"])
def live(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture(autouse=True)
def _reset() -> None:
    tasks.ran.clear()
    tasks.long_started.clear()


def _ran() -> list[str]:
    """What ran, but Long (whose threads of earlier tests may still be stopping)."""
    return [what for what in tasks.ran if not what.startswith("long")]


def _engine(clock: VirtualClock | None, live: bool, **options: Any) -> LocalEngine:
    return LocalEngine(clock=clock, live=live, verify_replay=live, **options)


def _cancel_when_long_runs(engine: LocalEngine, ident: str) -> threading.Thread:
    def cancel() -> None:
        assert tasks.long_started.wait(10)
        engine.cancel(ident)

    thread = threading.Thread(target=cancel, daemon=True)
    thread.start()
    return thread


def test_cancelled_while_sleeping_cleans_up_then_closes_cancelled(live: bool) -> None:
    clock = VirtualClock()
    engine = _engine(clock, live)
    clock.after(2.5 * DAY, lambda: engine.cancel(STEPS_ID))
    with pytest.raises(Cancelled, match=r"cancel.steps.*was cancelled") as caught:
        engine.run(Steps, 30)
    assert caught.value.workflow_id == STEPS_ID
    assert "cancellation requested" in caught.value.details
    assert not isinstance(caught.value, TaskError)
    assert clock.elapsed == 2.5 * DAY  # the 30 days did not run
    assert _ran() == ["step 0", "step 1", "clean after 1"]
    [record] = engine.executions()
    assert record.status == "cancelled"
    history = engine.histories[STEPS_ID]
    cancel = history.index(WorkflowCancelRequested())
    assert TimerStarted("timer.2") in history[:cancel]
    assert TimerFired("timer.2") not in history  # the pending timer never fired


def test_a_workflow_that_catches_cancelled_completes(live: bool) -> None:
    clock = VirtualClock()
    engine = _engine(clock, live)
    clock.after(DAY + 60, lambda: engine.cancel(STEPS_ID))
    assert engine.run(Steps, 30, keep_going=True) == "cancelled after step 0"
    assert engine.executions()[0].status == "completed"


def test_a_second_request_changes_nothing() -> None:
    clock = VirtualClock()
    engine = _engine(clock, True)
    clock.after(60, lambda: (engine.cancel(STEPS_ID), engine.cancel(STEPS_ID)))
    with pytest.raises(Cancelled):
        engine.run(Steps, 3)
    assert engine.histories[STEPS_ID].count(WorkflowCancelRequested()) == 1


def test_a_running_activity_sees_heartbeat_false_and_is_not_retried(live: bool) -> None:
    engine = _engine(None, live)
    _cancel_when_long_runs(engine, "cancel.stops_long-1")
    assert engine.run(StopsLong) == "stopped: ActivityTaskCanceled"
    assert "long stopped" in tasks.ran
    history = engine.histories["cancel.stops_long-1"]
    assert TaskCancelRequested("long-0-0") in history
    assert TaskFailed("long-0-0", "ActivityTaskCanceled", '"stopped"') in history
    assert not any(isinstance(e, TaskScheduled) and e.key == "long-0-1" for e in history)


def test_a_queued_activity_never_starts(live: bool) -> None:
    engine = _engine(None, live, max_workers=1)
    _cancel_when_long_runs(engine, "cancel.queued-1")
    assert engine.run(Queued) == "queued step: ActivityTaskCanceled"
    assert "step 1" not in tasks.ran
    history = engine.histories["cancel.queued-1"]
    assert TaskFailed("step-0-0", "ActivityTaskCanceled", "") in history


def test_children_are_cancelled_with_their_parent_unless_told_otherwise(live: bool) -> None:
    clock = VirtualClock()
    engine = _engine(clock, live)
    clock.after(60, lambda: engine.cancel("cancel.parent-1"))
    assert engine.run(Parent) == ["ChildWorkflowExecutionCanceled", "free slept"]
    assert _ran() == ["clean tied: cancellation requested (its parent workflow was cancelled)"]
    parent = engine.histories["cancel.parent-1"]
    assert TaskCancelRequested("child-0-0") in parent
    assert TaskCancelRequested("free-0-0") not in parent
    children = {r.parent[1]: r for r in engine.executions() if r.parent}
    assert children["child-0-0"].status == "cancelled"
    assert children["free-0-0"].status == "completed"
    tied = engine.histories[children["child-0-0"].run_id]
    assert WorkflowCancelRequested("PARENT") in tied


def test_cancel_of_unknown_and_closed_executions() -> None:
    engine = LocalEngine()
    with pytest.raises(UnknownExecutionError, match="'nobody'"):  # nothing running
        engine.cancel("nobody")
    clock = VirtualClock()
    engine = LocalEngine(clock=clock)
    errors: list[BaseException] = []

    def cancel_unknown() -> None:
        try:
            engine.cancel("cancel.steps-99")
        except UnknownExecutionError as exc:
            errors.append(exc)

    clock.after(60, cancel_unknown)
    assert engine.run(Steps, 1) == 0
    assert [e.workflow_id for e in errors] == ["cancel.steps-99"]  # type: ignore[attr-defined]
    with pytest.raises(UnknownExecutionError, match="unknown or closed"):
        engine.cancel(STEPS_ID)  # it closed


def test_cancelled_raised_without_a_request_is_a_failure() -> None:
    with pytest.raises(TaskError, match="not asked") as caught:
        LocalEngine().run(RaisesItself)
    assert caught.value.type_name == "Cancelled"


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_cancel_with_parent_must_be_a_bool(value: Any) -> None:
    with pytest.raises(RegistrationError, match=rf"Holder.child = .*cancel_with_parent.*{value!r}"):

        @workflow("cancel.holder", "1", "cancel")
        class Holder(Workflow):
            child = WorkflowProxy(Child, cancel_with_parent=value)

            def run(self) -> None:
                pass


# -- replay: where the workflow is told, what is not retried --------------------------------


@workflow("cancel.two", "1", "cancel")
class Two(Workflow):
    step = ActivityProxy(Step, retry=2)

    def run(self) -> Any:
        first, second = self.step(1), self.step(2)
        try:
            return [wait(first), wait(second)]
        except Cancelled:
            try:
                return f"told; first is {wait(first)}"
            except TaskError as exc:
                return f"told; first failed: {exc}"


_START: list[Event] = [
    WorkflowStarted('{"args":[],"kwargs":{}}'),
    TaskScheduled("step-0-0", "cancel.step", "1", "activity"),
    TaskScheduled("step-1-0", "cancel.step", "1", "activity"),
]


def test_told_at_the_first_wait_the_history_before_the_request_cannot_satisfy() -> None:
    before = [*_START, TaskCompleted("step-0-0", "1"), WorkflowCancelRequested()]
    # first finished before the request: the workflow gets past it and is told at the second
    assert replay(Two, before) == [
        CancelTask("step-1-0", "activity"),
        CompleteWorkflow('"told; first is 1"'),
    ]
    after = [*_START, WorkflowCancelRequested(), TaskCompleted("step-0-0", "1")]
    # first finished after it: told at the first wait, although the result is there now
    assert replay(Two, after) == [
        CancelTask("step-0-0", "activity"),
        CancelTask("step-1-0", "activity"),
        CompleteWorkflow('"told; first is 1"'),
    ]


def test_a_timeout_after_the_request_is_not_retried() -> None:
    history = [*_START, WorkflowCancelRequested(), TaskTimedOut("step-0-0", "START_TO_CLOSE")]
    decisions = replay(Two, history)
    assert not any(isinstance(d, ScheduleActivity) for d in decisions)
    assert isinstance(decisions[-1], CompleteWorkflow)
    assert "told; first failed" in decisions[-1].result
    # the same timeout before the request is retried as usual
    history = [*_START, TaskTimedOut("step-0-0", "START_TO_CLOSE"), WorkflowCancelRequested()]
    assert any(
        isinstance(d, ScheduleActivity) and d.key == "step-0-1" for d in replay(Two, history)
    )


def test_a_retry_delay_that_ends_after_the_request_starts_no_attempt() -> None:
    @workflow("cancel.delayed", "1", "cancel")
    class Delayed(Workflow):
        step = ActivityProxy(Step, retry=1, delay=30)

        def run(self) -> str:
            job = self.step(1)
            try:
                return str(wait(job))
            except Cancelled:
                try:
                    wait(job)
                except TaskError as exc:
                    return f"gave up: {exc}"
                return "ran"

    history: list[Event] = [
        WorkflowStarted('{"args":[],"kwargs":{}}'),
        TaskScheduled("step-0-0", "cancel.step", "1", "activity"),
        TaskTimedOut("step-0-0", "START_TO_CLOSE"),
        TimerStarted("step-0-1.delay"),
        WorkflowCancelRequested(),
    ]
    assert replay(Delayed, history) == []  # told; waits for the delay to end
    history.append(TimerFired("step-0-1.delay"))
    [decision] = replay(Delayed, history)
    assert isinstance(decision, CompleteWorkflow) and "gave up" in decision.result
    assert "step-0-0" in decision.result and "timed out" in decision.result


def test_a_task_cancellation_is_asked_for_once() -> None:
    history = [*_START, WorkflowCancelRequested()]
    assert replay(Two, history)[:2] == [
        CancelTask("step-0-0", "activity"),
        CancelTask("step-1-0", "activity"),
    ]
    history += [TaskCancelRequested("step-0-0"), TaskCancelRequested("step-1-0")]
    assert replay(Two, history) == []
    history.append(TaskCompleted("step-0-0", "5"))
    assert replay(Two, history) == [CompleteWorkflow('"told; first is 5"')]


def test_cancelled_escaping_run_closes_as_cancelled_with_its_message() -> None:
    @workflow("cancel.reraise", "1", "cancel")
    class Reraise(Workflow):
        step = ActivityProxy(Step)

        def run(self) -> None:
            try:
                wait(self.step(1))
            except Cancelled as exc:
                raise Cancelled(f"gave up: {exc}") from exc

    history: list[Event] = [
        WorkflowStarted('{"args":[],"kwargs":{}}'),
        WorkflowCancelRequested("PARENT"),
    ]
    decisions = replay(Reraise, history)
    assert decisions[-1] == CancelWorkflow(
        "gave up: cancellation requested (its parent workflow was cancelled)"
    )


@settings(max_examples=25, deadline=None)
@given(
    at=st.integers(min_value=0, max_value=4 * DAY),
    keep_going=st.booleans(),
)
def test_live_and_replay_tell_the_workflow_at_the_same_point(at: int, keep_going: bool) -> None:
    """Wherever the request falls (before a timer, with an activity, after the end), the live
    run (checked against a full replay at every decision) and the full-replay engine make the
    same history and outcome, and a full replay of the final history decides the same close."""
    outcomes, histories = [], []
    for live in (True, False):
        tasks.ran.clear()
        clock = VirtualClock()
        engine = _engine(clock, live)

        def cancel(engine: LocalEngine = engine) -> None:
            with contextlib.suppress(UnknownExecutionError):  # it closed before
                engine.cancel(STEPS_ID)

        clock.after(at, cancel)
        try:
            outcomes.append(engine.run(Steps, 3, keep_going=keep_going))
        except Cancelled as exc:
            outcomes.append(f"Cancelled: {exc}")
        histories.append(engine.histories[STEPS_ID])
    assert outcomes[0] == outcomes[1]
    assert histories[0] == histories[1]
    history = histories[0]
    execution = Execution(Steps, live=False)
    last = execution.decide(history)
    if WorkflowCancelRequested() in history and not keep_going:
        assert last == [CancelWorkflow("cancellation requested")]
    else:
        assert isinstance(last[-1], CompleteWorkflow)
