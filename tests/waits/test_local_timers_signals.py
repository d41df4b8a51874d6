"""Timers and signals on the in-memory engine, with the virtual clock: the approval workflow's
two outcomes, long sleeps in milliseconds, signal order, sending between executions, and the
errors of bad durations, bad signal names and unknown executions."""

from __future__ import annotations

import math
import threading
from datetime import timedelta
from typing import Any

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from examples.approval import Approval
from flowwire import LocalEngine, TaskError, UnknownExecutionError, sleep, timer, wait_signal
from flowwire.decision import CompleteWorkflow, StartTimer
from flowwire.errors import ConfigurationError, NondeterminismError
from flowwire.history import SignalReceived, TimerFired, TimerStarted, WorkflowStarted
from flowwire.replay import replay
from flowwire.testing import VirtualClock, values, values_equal
from flowwire.transport import get_transport
from flowwire.waits import check_duration, check_signal_name

from ._wait_tasks import DAY, BadDuration, BadSignal, Collect, Month, Parent, Race

APPROVAL_ID = "examples.approval.request-1"


@pytest.fixture(params=[True, False], ids=["live", "replay"])
def live(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def _engine(clock: VirtualClock, live: bool) -> LocalEngine:
    return LocalEngine(clock=clock, live=live, verify_replay=live)


def test_approval_signal_arrives_first(live: bool) -> None:
    clock = VirtualClock()
    engine = _engine(clock, live)
    clock.after(timedelta(hours=3), lambda: engine.signal(APPROVAL_ID, "approval", True))
    assert engine.run(Approval, "order 17", "ops") == "approved order 17 (notified: ops)"
    assert clock.elapsed == 3 * 3600
    history = engine.histories[APPROVAL_ID]
    assert TimerStarted("timer.0") in history
    assert TimerFired("timer.0") not in history  # the run closed before the 48 hours
    assert SignalReceived("approval", "true") in history


def test_approval_timeout_wins(live: bool) -> None:
    clock = VirtualClock()
    engine = _engine(clock, live)
    clock.after(timedelta(hours=49), lambda: engine.signal(APPROVAL_ID, "approval", True))
    assert engine.run(Approval, "order 17", "ops") == "expired order 17 (reminded: ops)"
    assert clock.elapsed == 48 * 3600  # the late approver's action never ran
    history = engine.histories[APPROVAL_ID]
    assert history.index(TimerFired("timer.0")) > history.index(TimerStarted("timer.0"))
    assert not any(isinstance(e, SignalReceived) for e in history)


def test_a_rejection_is_a_value() -> None:
    clock = VirtualClock()
    engine = LocalEngine(clock=clock)
    clock.after(60, lambda: engine.signal(APPROVAL_ID, "approval", False))
    assert engine.run(Approval, "order 9", "ops") == "rejected order 9 (notified: ops)"


def test_thirty_days_of_sleep(live: bool) -> None:
    clock = VirtualClock()
    assert _engine(clock, live).run(Month, 30) == 30
    assert clock.elapsed == 30 * DAY


def test_signals_of_one_name_arrive_in_order_even_before_the_wait() -> None:
    clock = VirtualClock()
    engine = LocalEngine(clock=clock, verify_replay=True)
    for number, value in enumerate(["a", {"b": 2}, None, [3]]):
        send = lambda value=value: engine.signal("waits.collect-1", "item", value)  # noqa: E731
        clock.after(60 + number, send)
    # the workflow sleeps an hour first: all four signals are waiting when it asks
    assert engine.run(Collect, 4, 3600) == ["a", {"b": 2}, None, [3]]


def test_timers_and_a_signal_in_finish_order(live: bool) -> None:
    clock = VirtualClock()
    engine = _engine(clock, live)
    clock.after(15, lambda: engine.signal("waits.race-1", "go"))
    assert engine.run(Race) == ["t10", "signal", "t20", "t30"]
    history = engine.histories["waits.race-1"]
    assert [e.key for e in history if isinstance(e, TimerStarted)] == [
        "timer.0",
        "timer.1",
        "timer.2",
    ]


def test_a_workflow_signals_another_execution(live: bool) -> None:
    engine = LocalEngine(live=live, verify_replay=live)
    value, good, bad = engine.run(Parent, "waits.parent-1")
    assert value == 42 and good == "sent"
    assert bad.startswith("UnknownExecutionError: no open execution has the workflow id 'nobody'")


def test_the_real_clock_fires_short_timers() -> None:
    assert LocalEngine().run(Collect, 0, 0.2) == []


def test_signals_to_unknown_or_closed_executions() -> None:
    engine = LocalEngine()
    with pytest.raises(UnknownExecutionError, match="'nothing-1'") as info:
        engine.signal("nothing-1", "go")
    assert info.value.workflow_id == "nothing-1"
    assert isinstance(info.value, LookupError)
    engine.run(Collect, 0)
    with pytest.raises(UnknownExecutionError, match="unknown or closed"):
        engine.signal("waits.collect-1", "item", 1)


def test_signal_names_swf_refuses() -> None:
    engine = LocalEngine()
    for name, why in [
        ("", "must not be empty"),
        ("a:b", "contains ':'"),
        ("a/b", "contains '/'"),
        (" x", "whitespace"),
        ("arn", "'arn'"),
        ("x" * 257, "257 characters"),
        ("tab\there", "and controls"),
    ]:
        with pytest.raises(ConfigurationError, match=why):
            engine.signal("x-1", name)
        with pytest.raises(TaskError, match="ConfigurationError") as info:
            engine.run(BadSignal, name)
        assert "wait_signal(): signal name" in str(info.value)
    with pytest.raises(ConfigurationError, match="must be a string"):
        check_signal_name(5, "here")
    assert check_signal_name("approval.v2-final_1", "here") == "approval.v2-final_1"


@pytest.mark.parametrize(
    ("seconds", "why"),
    [
        (-1, "must not be negative"),
        ("nan", "must be finite"),
        ("inf", "must be finite"),
        (True, "must be seconds"),
        ([1], "must be seconds"),
    ],
)
def test_bad_durations_fail_the_workflow_naming_the_call(seconds: Any, why: str) -> None:
    with pytest.raises(TaskError, match=why) as info:
        LocalEngine().run(BadDuration, seconds)
    assert "sleep()" in str(info.value)


def test_durations() -> None:
    assert check_duration(timedelta(hours=48), "t") == 48 * 3600
    assert check_duration(0.2, "t") == 1  # whole seconds, a fraction rounded up
    assert check_duration(0, "t") == 0
    with pytest.raises(ConfigurationError, match="must not be negative"):
        check_duration(timedelta(seconds=-1), "t")
    with pytest.raises(ConfigurationError, match="finite"):
        check_duration(math.inf, "t")
    with pytest.raises(ConfigurationError, match=r"VirtualClock\.after"):
        VirtualClock().after(-5, lambda: None)


def test_outside_run_these_are_errors() -> None:
    for call in (lambda: sleep(1), lambda: timer(1), lambda: wait_signal("x")):
        with pytest.raises(RuntimeError, match="only inside a workflow's run"):
            call()


def test_a_clock_is_for_the_in_memory_engine(tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="in-memory engine"):
        LocalEngine(db=tmp_path / "f.db", clock=VirtualClock())


def test_virtual_clock_basics() -> None:
    clock = VirtualClock(start=1000.0)
    seen: list[float] = []
    clock.after(10, lambda: seen.append(clock()))
    clock.after(5, lambda: seen.append(clock()))
    clock.advance(7)
    assert seen == [1005.0] and clock() == 1007.0
    clock.advance(timedelta(seconds=3))
    assert seen == [1005.0, 1010.0] and clock.elapsed == 10
    assert not clock.jump_to(math.inf)
    with pytest.raises(ValueError, match="aware"):
        from datetime import datetime

        VirtualClock(datetime(2030, 1, 1))


def test_the_history_must_keep_its_timers() -> None:
    started = WorkflowStarted('{"args":[4],"kwargs":{}}')
    history = [started, TimerStarted("timer.0"), TimerFired("timer.0")]
    [decision] = replay(Collect, history)  # Collect(4) without a pause makes no timer
    assert "NondeterminismError" in decision.reason  # type: ignore[union-attr]
    assert "timer.0" in decision.details  # type: ignore[union-attr]
    assert NondeterminismError.__name__ in decision.reason  # type: ignore[union-attr]


def test_replay_of_a_sleep() -> None:
    started = WorkflowStarted('{"args":[0, 90],"kwargs":{}}')
    assert replay(Collect, [started]) == [StartTimer("timer.0", 90)]
    assert replay(Collect, [started, TimerStarted("timer.0")]) == []
    fired = [started, TimerStarted("timer.0"), TimerFired("timer.0")]
    assert replay(Collect, fired) == [CompleteWorkflow("[]")]


@pytest.mark.parametrize("name", ["json", "msgpack"])
@settings(max_examples=60)
@given(value=values())
def test_signal_values_go_through_the_transport(name: str, value: Any) -> None:
    transport = get_transport(name)
    history = [
        WorkflowStarted(transport.serialize_arguments((1,), {})),
        SignalReceived("item", transport.serialize_result(value)),
    ]
    [decision] = replay(Collect, history, transport=transport)
    assert isinstance(decision, CompleteWorkflow)
    assert values_equal(transport.deserialize_result(decision.result), [value])


@settings(max_examples=15)
@given(value=values(), when=st.integers(min_value=0, max_value=DAY - 1))
def test_signal_values_end_to_end(value: Any, when: int) -> None:
    clock = VirtualClock()
    engine = LocalEngine(clock=clock)
    clock.after(when, lambda: engine.signal("waits.collect-1", "item", value))
    [received] = engine.run(Collect, 1)
    assert values_equal(received, value)
    assert clock.elapsed == when


def test_signal_from_another_thread_with_the_real_clock() -> None:
    engine = LocalEngine()
    result: list[Any] = []
    runner = threading.Thread(target=lambda: result.append(engine.run(Collect, 2)))
    runner.start()
    sent = 0
    while sent < 2:
        try:
            engine.signal("waits.collect-1", "item", sent)
            sent += 1
        except UnknownExecutionError:  # not started yet
            threading.Event().wait(0.01)
    runner.join(10)
    assert result == [[0, 1]]
