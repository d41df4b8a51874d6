"""A live Execution (run kept on a thread) decides exactly like a full replay at every step,
whatever order tasks finish in, including failures, timeouts, retries and timers."""

from __future__ import annotations

from typing import Any

import pytest
from _core_workflows import (
    JSON,
    Chain,
    Handled,
    Mixed,
    Parallel,
    Racing,
    Reducing,
    Restarting,
    Retrying,
    Sequential,
    Unhandled,
    started,
)
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire.decision import (
    CompleteWorkflow,
    ContinueAsNew,
    FailWorkflow,
    ScheduleActivity,
    StartTimer,
)
from flowwire.history import (
    Event,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
)
from flowwire.replay import Execution, replay
from flowwire.task import Workflow

IMPLEMENTATIONS = {"double": lambda x: 2 * x, "add": lambda x, y: x + y}

CASES: list[tuple[type[Workflow], tuple[Any, ...]]] = [
    (Sequential, (3,)),
    (Parallel, (1, 2)),
    (Chain, (1, 2)),
    (Handled, (4,)),
    (Unhandled, (4,)),
    (Racing, (1, 2, 3, 4)),
    (Reducing, ([1, 2, 3, 4, 5],)),
    (Retrying, (7,)),
    (Restarting, (3,)),
    (Mixed, ([1, 2, 3, 4, 5, 6],)),
]


def drive(workflow: type[Workflow], args: tuple[Any, ...], data: st.DataObject) -> Any:
    history: list[Event] = list(started(*args))
    live = Execution(workflow, run_id="live-test", live=True)
    open_tasks: list[ScheduleActivity] = []
    open_timers: list[str] = []
    try:
        for _ in range(200):
            expected = replay(workflow, history)
            got = live.decide(history)
            assert got == expected, f"live and replay differ after {history}"
            for decision in got:
                if isinstance(decision, ScheduleActivity):
                    history.append(TaskScheduled(decision.key, decision.name, decision.version))
                    open_tasks.append(decision)
                elif isinstance(decision, StartTimer):
                    history.append(TimerStarted(decision.key))
                    open_timers.append(decision.key)
                else:
                    assert isinstance(decision, CompleteWorkflow | FailWorkflow | ContinueAsNew)
                    return decision
            pending = len(open_tasks) + len(open_timers)
            assert pending, "the workflow waits for nothing"
            for _ in range(data.draw(st.integers(1, pending), label="batch")):
                index = data.draw(st.integers(0, len(open_tasks) + len(open_timers) - 1))
                if index >= len(open_tasks):
                    history.append(TimerFired(open_timers.pop(index - len(open_tasks))))
                    continue
                task = open_tasks.pop(index)
                outcome = data.draw(st.sampled_from(["ok"] * 6 + ["fail", "timeout"]))
                if outcome == "ok":
                    task_args, task_kwargs = JSON.deserialize_arguments(task.input)
                    value = IMPLEMENTATIONS[task.name](*task_args, **task_kwargs)
                    history.append(TaskCompleted(task.key, JSON.serialize_result(value)))
                elif outcome == "fail":
                    error = RuntimeError(f"{task.key} broke")
                    history.append(TaskFailed(task.key, *JSON.serialize_error(error)))
                else:
                    history.append(TaskTimedOut(task.key, "HEARTBEAT"))
        raise AssertionError("no closing decision after 200 decisions")
    finally:
        live.close()


@pytest.mark.parametrize(("workflow", "args"), CASES, ids=[c[0].__name__ for c in CASES])
@settings(max_examples=25)
@given(data=st.data())
def test_live_and_replay_agree(
    workflow: type[Workflow], args: tuple[Any, ...], data: st.DataObject
) -> None:
    drive(workflow, args, data)


def test_live_execution_keeps_one_thread_and_closes_it() -> None:
    import threading

    history: list[Event] = list(started(3))
    live = Execution(Sequential, live=True)
    before = threading.active_count()
    [d] = live.decide(history)
    assert threading.active_count() == before + 1  # one parked thread per run
    live.close()
    assert live.closed
    assert isinstance(d, ScheduleActivity)
