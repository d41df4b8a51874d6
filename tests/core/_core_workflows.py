"""Workflows and activities shared by the core tests, plus a tiny history builder."""

from __future__ import annotations

from typing import Any

from flowwire.decision import Decision, ScheduleActivity, StartChildWorkflow, StartTimer
from flowwire.errors import TaskError
from flowwire.history import (
    Event,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
    WorkflowStarted,
)
from flowwire.proxy import ActivityProxy, WorkflowProxy
from flowwire.result import finish_order, first, parallel_reduce, restart, wait
from flowwire.task import Activity, Workflow, activity, workflow
from flowwire.transport import get_transport

JSON = get_transport("json")


@activity("double", "1", "tl")
class Double(Activity):
    def run(self, x: int) -> int:
        return 2 * x


@activity("add", "1", "tl")
class Add(Activity):
    def run(self, x: int, y: int) -> int:
        return x + y


@workflow("sequential", "1", "tl")
class Sequential(Workflow):
    double = ActivityProxy("double", "1")

    def run(self, n: int) -> int:
        x = self.double(n)
        y = self.double(x)
        return y + 1


@workflow("parallel", "1", "tl")
class Parallel(Workflow):
    double = ActivityProxy(Double)

    def run(self, a: int, b: int) -> int:
        return self.double(a) + self.double(b)


@workflow("chain", "1", "tl")
class Chain(Workflow):
    """Two chains (a -> a2, b -> b2) summed: concurrency is inferred from dependencies."""

    double = ActivityProxy(Double)
    add = ActivityProxy(Add)

    def run(self, a: int, b: int) -> int:
        a2 = self.double(self.double(a))
        b2 = self.double(self.double(b))
        return wait(self.add(a2, b2))


@workflow("handled", "1", "tl")
class Handled(Workflow):
    double = ActivityProxy(Double, error_handling=True)
    add = ActivityProxy(Add, error_handling=True)

    def run(self, n: int) -> Any:
        x = self.double(n)
        y = self.add(x, 1)  # an error in x propagates to y without scheduling add
        try:
            return wait(y)
        except TaskError as exc:
            return f"handled: {exc}"


@workflow("unhandled", "1", "tl")
class Unhandled(Workflow):
    double = ActivityProxy(Double)

    def run(self, n: int) -> int:
        return self.double(n) + 0


@workflow("retrying", "1", "tl")
class Retrying(Workflow):
    double = ActivityProxy(Double, retry=2, delay=5)

    def run(self, n: int) -> int:
        return wait(self.double(n))


@workflow("restarting", "1", "tl")
class Restarting(Workflow):
    double = ActivityProxy(Double)

    def run(self, n: int) -> Any:
        value = self.double(n)
        if value < 100:
            return restart(value)
        return value


@workflow("racing", "1", "tl")
class Racing(Workflow):
    double = ActivityProxy(Double)

    def run(self, *values: int) -> list[int]:
        results = [self.double(v) for v in values]
        winner = first(*results)
        return [wait(winner), *(wait(r) for r in finish_order(results))]


@workflow("reducing", "1", "tl")
class Reducing(Workflow):
    double = ActivityProxy(Double)
    add = ActivityProxy(Add)

    def run(self, values: list[int]) -> int:
        return wait(parallel_reduce(self.add, [self.double(v) for v in values]))


@workflow("mixed", "1", "tl")
class Mixed(Workflow):
    """Retries, handled errors, a partly consumed finish_order and a reduction with a plain
    value, all interleaved."""

    double = ActivityProxy(Double, error_handling=True, retry=1)
    add = ActivityProxy(Add, error_handling=True)

    def run(self, values: list[int]) -> list[Any]:
        doubled = [self.double(v) for v in values]
        firsts: list[int] = []
        for result in finish_order(doubled[:3]):
            try:
                firsts.append(wait(result))
            except TaskError:
                firsts.append(-1)
            if len(firsts) == 2:
                break
        total = parallel_reduce(self.add, [*doubled[3:], 100])
        try:
            return [firsts, wait(total)]
        except TaskError as exc:
            return [firsts, exc.task]


@workflow("parent", "1", "tl")
class Parent(Workflow):
    child = WorkflowProxy(Sequential)

    def run(self, n: int) -> int:
        return self.child(n) * 10


def started(*args: Any, **kwargs: Any) -> list[Event]:
    return [WorkflowStarted(JSON.serialize_arguments(args, kwargs))]


def args_of(decision: Decision) -> tuple[tuple[Any, ...], dict[str, Any]]:
    assert isinstance(decision, ScheduleActivity | StartChildWorkflow)
    return JSON.deserialize_arguments(decision.input)


def complete(key: str, value: Any, name: str = "double") -> list[Event]:
    return [TaskScheduled(key, name, "1"), TaskCompleted(key, JSON.serialize_result(value))]


def fail(key: str, exc: BaseException, name: str = "double") -> list[Event]:
    return [TaskScheduled(key, name, "1"), TaskFailed(key, *JSON.serialize_error(exc))]


def time_out(key: str, name: str = "double") -> list[Event]:
    return [TaskScheduled(key, name, "1"), TaskTimedOut(key, "START_TO_CLOSE")]


def timer(key: str) -> list[Event]:
    return [TimerStarted(key), TimerFired(key)]


__all__ = [
    "JSON",
    "Add",
    "Chain",
    "Double",
    "Handled",
    "Mixed",
    "Parallel",
    "Parent",
    "Racing",
    "Reducing",
    "Restarting",
    "Retrying",
    "Sequential",
    "StartTimer",
    "Unhandled",
    "args_of",
    "complete",
    "fail",
    "started",
    "time_out",
    "timer",
]
