"""Retry policies in replay: which attempt follows which failure or timeout, after which delay
timer, and what a bad policy raises where it is written. Full replay and a live execution
decide alike (each step is checked both ways)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from _core_workflows import JSON, Double, complete, started, timer

from flowwire import (
    ActivityProxy,
    ApplicationError,
    RegistrationError,
    RetryPolicy,
    TaskError,
    TaskTimedOutError,
    Workflow,
    WorkflowProxy,
    activity,
    wait,
    workflow,
)
from flowwire.decision import CompleteWorkflow, Decision, FailWorkflow, ScheduleActivity, StartTimer
from flowwire.history import Event, TaskFailed, TaskScheduled, TaskTimedOut
from flowwire.replay import Execution, replay

POLICY = RetryPolicy(maximum_attempts=4, initial_interval=2, backoff_coefficient=3)


class Declined(Exception):
    """Never worth retrying, by its type name in the policy below."""


@workflow("retried", "1", "tl")
class Retried(Workflow):
    double = ActivityProxy(Double, retry=POLICY, error_handling=True)

    def run(self, n: int) -> Any:
        try:
            return wait(self.double(n))
        except TaskError as exc:
            return {
                "type": exc.type_name,
                "attributes": exc.attributes,
                "class": type(exc).__name__,
            }


@workflow("picky", "1", "tl")
class Picky(Workflow):
    double = ActivityProxy(
        Double,
        retry=RetryPolicy(maximum_attempts=5, initial_interval=1, non_retryable_errors=[Declined]),
        error_handling=True,
    )

    def run(self, n: int) -> Any:
        try:
            return wait(self.double(n))
        except TaskError as exc:
            return exc.type_name


def decide_both(workflow: type[Workflow], history: list[Event]) -> list[Decision]:
    """The decisions for ``history``, by full replay and by a live execution that saw every
    shorter prefix first; they must agree."""
    full = replay(workflow, history)
    live = Execution(workflow, live=True)
    try:
        for end in range(1, len(history)):
            if live.closed:
                break
            live.decide(history[:end])
        decided = [] if live.closed else live.decide(history)
    finally:
        live.close()
    if not live.closed or decided:
        assert decided == full
    return full


def failed(key: str, exc: BaseException, name: str = "double") -> list[Event]:
    return [TaskScheduled(key, name, "1"), TaskFailed(key, *JSON.serialize_error(exc))]


def timed_out(key: str) -> list[Event]:
    return [TaskScheduled(key, "double", "1"), TaskTimedOut(key, "START_TO_CLOSE")]


def test_failures_are_retried_after_growing_delays_then_given_up() -> None:
    history = started(5)
    delays = []
    for attempt in range(4):
        decisions = decide_both(Retried, history)
        if attempt:  # the delay timer first, then the attempt once it fired
            (start,) = decisions
            assert isinstance(start, StartTimer) and start.key == f"double-0-{attempt}.delay"
            delays.append(start.seconds)
            history += timer(start.key)
            decisions = decide_both(Retried, history)
        (scheduled,) = decisions
        assert isinstance(scheduled, ScheduleActivity) and scheduled.key == f"double-0-{attempt}"
        history += failed(scheduled.key, ConnectionError("down"))
    assert delays == [2, 6, 18]  # 2 * 3 ** (n - 1)
    (done,) = decide_both(Retried, history)  # four attempts: the last failure is the answer
    assert isinstance(done, CompleteWorkflow)
    assert JSON.deserialize_result(done.result) == {
        "type": "ConnectionError",
        "attributes": {},
        "class": "TaskError",
    }


def test_timeouts_are_retried_by_a_policy_too() -> None:
    history = started(5) + timed_out("double-0-0") + timer("double-0-1.delay")
    history += complete("double-0-1", 10)
    (done,) = decide_both(Retried, history)
    assert isinstance(done, CompleteWorkflow) and JSON.deserialize_result(done.result) == 10


def test_the_last_timeout_is_a_task_timed_out_naming_the_attempts() -> None:
    history = started(5)
    for attempt, seconds in enumerate([0, 2, 6, 18]):
        if seconds:
            history += timer(f"double-0-{attempt}.delay")
        history += timed_out(f"double-0-{attempt}")
    (done,) = decide_both(Retried, history)
    details = JSON.deserialize_result(done.result)
    assert details["class"] == "TaskTimedOutError"  # type: ignore[index]


@workflow("strict_retried", "1", "tl")
class StrictRetried(Workflow):
    double = ActivityProxy(Double, retry=RetryPolicy(maximum_attempts=2, initial_interval=0))

    def run(self, n: int) -> Any:
        return self.double(n)


def test_a_zero_interval_retries_at_once_without_a_timer() -> None:
    history = started(1) + failed("double-0-0", KeyError("k"))
    (again,) = decide_both(StrictRetried, history)
    assert isinstance(again, ScheduleActivity) and again.key == "double-0-1"
    history += failed("double-0-1", KeyError("k"))
    (fail,) = decide_both(StrictRetried, history)
    assert isinstance(fail, FailWorkflow)
    error = JSON.deserialize_error(fail.reason, fail.details)
    assert isinstance(error, TaskError) and "KeyError" in error.message


@pytest.mark.parametrize(
    "exc",
    [
        Declined("by type name"),
        ApplicationError("by flag", non_retryable=True),
    ],
    ids=["type-name", "flag"],
)
def test_non_retryable_errors_are_not_retried(exc: BaseException) -> None:
    history = started(1) + failed("double-0-0", exc)
    (done,) = decide_both(Picky, history)
    assert isinstance(done, CompleteWorkflow)
    assert JSON.deserialize_result(done.result) == type(exc).__name__


def test_retryable_errors_of_the_same_policy_are_retried() -> None:
    history = started(1) + failed("double-0-0", ApplicationError("again", non_retryable=False))
    (start,) = decide_both(Picky, history)
    assert start == StartTimer("double-0-1.delay", 1)


def test_an_integer_retry_still_retries_timeouts_only() -> None:
    from _core_workflows import Retrying

    history = started(1) + failed("double-0-0", ValueError("no"))
    (fail,) = decide_both(Retrying, history)
    assert isinstance(fail, FailWorkflow)


# -- delays ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (RetryPolicy(initial_interval=1), [1, 2, 4, 8, 16, 32, 64, 100, 100]),
        (RetryPolicy(initial_interval=1.5, backoff_coefficient=1), [2] * 4),
        (RetryPolicy(initial_interval=timedelta(minutes=1), maximum_interval=150), [60, 120, 150]),
        (RetryPolicy(initial_interval=0.2, backoff_coefficient=10), [1, 2, 20, 20, 20]),
    ],
)
def test_delays_grow_to_the_cap_in_whole_seconds(policy: RetryPolicy, expected: list[int]) -> None:
    # the cap defaults to 100 x initial_interval; whole seconds are rounded up
    assert [policy.delay(n) for n in range(1, len(expected) + 1)] == expected


def test_delays_never_overflow() -> None:
    policy = RetryPolicy(maximum_attempts=None, initial_interval=1, backoff_coefficient=1e300)
    assert policy.delay(10_000) == 100
    assert policy.delay(2) == 100


# -- definition-time validation ----------------------------------------------------------

BAD_POLICIES = [
    (RetryPolicy(maximum_attempts=0), "maximum_attempts must be a whole number >= 1"),
    (RetryPolicy(maximum_attempts=-2), "got -2 (no attempt would ever run)"),
    (RetryPolicy(maximum_attempts=2.5), "maximum_attempts must be a whole number"),  # type: ignore[arg-type]
    (RetryPolicy(initial_interval=-1), "initial_interval must be finite and >= 0, got -1"),
    (RetryPolicy(initial_interval=math.nan), "initial_interval must be finite and >= 0, got nan"),
    (RetryPolicy(initial_interval=math.inf), "initial_interval must be finite and >= 0, got inf"),
    (RetryPolicy(initial_interval="5"), "initial_interval must be seconds"),  # type: ignore[arg-type]
    (RetryPolicy(initial_interval=timedelta(days=400)), "at most 31,536,000 seconds"),
    (RetryPolicy(backoff_coefficient=0.5), "backoff_coefficient must be a finite number >= 1"),
    (RetryPolicy(backoff_coefficient=math.inf), "backoff_coefficient must be a finite number"),
    (RetryPolicy(initial_interval=10, maximum_interval=5), "must not be shorter than"),
    (RetryPolicy(maximum_interval=-1.0), "maximum_interval must be finite and >= 0"),
    (RetryPolicy(non_retryable_errors="ValueError"), "did you mean ('ValueError',)?"),
    (RetryPolicy(non_retryable_errors=[3]), "must hold exception type names or classes, got 3"),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("policy", "message"), BAD_POLICIES)
def test_a_bad_policy_on_a_proxy_fails_the_class_definition(
    policy: RetryPolicy, message: str
) -> None:
    with pytest.raises(RegistrationError) as caught:

        class Holder(Workflow):
            double = ActivityProxy(Double, retry=policy)

    text = str(caught.value)
    assert "<locals>.Holder.double = ActivityProxy(Double): retry policy " in text
    assert message in text


@pytest.mark.parametrize(("policy", "message"), BAD_POLICIES[:3])
def test_a_bad_policy_on_a_decorator_fails_the_decoration(
    policy: RetryPolicy, message: str
) -> None:
    with pytest.raises(RegistrationError) as caught:

        @activity("badly_retried", "1", "tl", retry=policy)
        class BadlyRetried(Double):
            pass

    assert str(caught.value).startswith("@activity(...) on ")
    assert "BadlyRetried" in str(caught.value) and message in str(caught.value)
    with pytest.raises(RegistrationError, match="@workflow"):

        @workflow("badly_retried", "1", "tl", retry=policy)
        class BadChild(Workflow):
            pass


def test_a_bad_policy_on_a_child_workflow_proxy_names_it() -> None:
    with pytest.raises(RegistrationError, match=r"Holder\.child = WorkflowProxy\('kid', '1'\)"):

        class Holder(Workflow):
            child = WorkflowProxy("kid", "1", retry=RetryPolicy(backoff_coefficient=0))


def test_a_delay_with_a_policy_is_refused() -> None:
    with pytest.raises(RegistrationError, match="delay=5 applies to an integer retry"):

        class Holder(Workflow):
            double = ActivityProxy(Double, retry=RetryPolicy(), delay=5)


def test_retry_must_be_a_count_or_a_policy() -> None:
    with pytest.raises(RegistrationError, match=r"or a flowwire\.RetryPolicy, got 'twice'"):

        class Holder(Workflow):
            double = ActivityProxy(Double, retry="twice")  # type: ignore[call-overload]


@workflow("optioned_retry", "1", "tl")
class OptionedRetry(Workflow):
    double = ActivityProxy(Double, error_handling=True)

    def run(self, how: str) -> Any:
        if how == "policy":
            return self.double.options(retry=RetryPolicy(initial_interval=7))(1)
        return self.double.options(retry=RetryPolicy(backoff_coefficient=0.1))(1)


def test_options_take_a_policy_and_check_it_when_called() -> None:
    history = started("policy") + failed("double-0-0", OSError("x"))
    assert decide_both(OptionedRetry, history) == [StartTimer("double-0-1.delay", 7)]
    (fail,) = decide_both(OptionedRetry, started("bad"))
    assert isinstance(fail, FailWorkflow)
    message = JSON.deserialize_error(fail.reason, fail.details).message
    assert "OptionedRetry.double.options(...): retry policy backoff_coefficient" in message


@activity("patient", "1", "tl", retry=RetryPolicy(maximum_attempts=2, initial_interval=3))
class Patient(Double):
    pass


@workflow("defaulted", "1", "tl")
class Defaulted(Workflow):
    patient = ActivityProxy(Patient)
    overridden = ActivityProxy(Patient, retry=0)

    def run(self, which: str) -> Any:
        return getattr(self, which)(1)


def test_a_decorators_retry_is_the_default_of_its_proxies() -> None:
    history = started("patient") + failed("patient-0-0", OSError("x"), "patient")
    assert decide_both(Defaulted, history) == [StartTimer("patient-0-1.delay", 3)]
    history = started("overridden") + failed("overridden-0-0", OSError("x"), "patient")
    (fail,) = decide_both(Defaulted, history)
    assert isinstance(fail, FailWorkflow)


def test_task_timed_out_is_still_a_task_error() -> None:
    assert issubclass(TaskTimedOutError, TaskError)
