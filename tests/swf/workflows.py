"""Workflows and activities the SWF end-to-end tests run (the local engine issue's examples,
in miniature)."""

from __future__ import annotations

import threading
import time
from typing import Any

from flowwire.errors import TaskError
from flowwire.proxy import ActivityProxy, WorkflowProxy
from flowwire.result import SuspendTask, parallel_reduce, restart, wait
from flowwire.task import Activity, Workflow, activity, workflow

DECISIONS = "swf-test-decisions"
ACTIVITIES = "swf-test-activities"


@activity("double", "1", ACTIVITIES)
class Double(Activity):
    def run(self, value: int) -> int:
        return value * 2


@activity("add", "1", ACTIVITIES)
class Add(Activity):
    def run(self, a: int, b: int) -> int:
        return a + b


@activity("fail", "1", ACTIVITIES)
class Fail(Activity):
    def run(self, message: str) -> None:
        raise ValueError(message)


@activity("echo_bytes", "1", ACTIVITIES)
class EchoBytes(Activity):
    def run(self, data: bytes, when: float) -> dict[str, Any]:
        return {"data": data, "when": when, "big": 2**70}


@activity("huge", "1", ACTIVITIES)
class Huge(Activity):
    def run(self, size: int) -> str:
        return "x" * size


HEARTBEAT_ATTEMPTS: list[int] = []
HEARTBEAT_ANSWERS: list[bool] = []


@activity("stall", "1", ACTIVITIES, heartbeat=2, schedule_to_close=60, start_to_close=60)
class Stall(Activity):
    """First attempt: stops heartbeating and waits until SWF reports the timeout (heartbeat()
    answers False), then returns (the result is dropped). Second attempt: answers at once.
    (moto starts the heartbeat clock when the task is scheduled, not started: 2 s leaves
    room for the pickup.)"""

    def run(self, value: int) -> int:
        HEARTBEAT_ATTEMPTS.append(value)
        if len(HEARTBEAT_ATTEMPTS) == 1:
            deadline = time.monotonic() + 20
            time.sleep(3)
            while time.monotonic() < deadline:
                alive = self.heartbeat()
                if not alive:
                    HEARTBEAT_ANSWERS.append(alive)
                    return -1
                time.sleep(0.3)
        return value + 1


SUSPENDED_TOKENS: list[str] = []
SUSPENDED = threading.Event()


@activity("later", "1", ACTIVITIES)
class Later(Activity):
    def run(self, value: int) -> int:
        SUSPENDED_TOKENS.append(self.token)
        SUSPENDED.set()
        raise SuspendTask


@workflow("sequence", "1", DECISIONS)
class Sequence(Workflow):
    """Doubles a value until it passes 100 (sequential)."""

    double = ActivityProxy(Double)

    def run(self, value: int) -> int:
        while value <= 100:
            value = self.double(value)
        return value


@workflow("fanout", "1", DECISIONS)
class FanOut(Workflow):
    """Doubles every value concurrently and sums with parallel_reduce."""

    double = ActivityProxy(Double)
    add = ActivityProxy(Add)

    def run(self, values: list[int]) -> int:
        return wait(parallel_reduce(self.add, [self.double(v) for v in values]))


@workflow("failing", "1", DECISIONS)
class Failing(Workflow):
    fail = ActivityProxy(Fail)
    double = ActivityProxy(Double)

    def run(self, message: str) -> int:
        return self.double(self.fail(message))  # the error propagates, double never runs


@workflow("handling", "1", DECISIONS)
class Handling(Workflow):
    fail = ActivityProxy(Fail, error_handling=True)

    def run(self, message: str) -> str:
        try:
            wait(self.fail(message))
        except TaskError as exc:
            return f"caught {exc.type_name}: {exc.message}"
        return "not reached"


@workflow("values", "1", DECISIONS)
class Values(Workflow):
    echo = ActivityProxy(EchoBytes)

    def run(self, data: bytes) -> dict[str, Any]:
        return wait(self.echo(data, -0.0))


@workflow("too_big", "1", DECISIONS)
class TooBig(Workflow):
    huge = ActivityProxy(Huge)

    def run(self, size: int) -> int:
        return len(self.huge(size))


@workflow("delayed", "1", DECISIONS)
class Delayed(Workflow):
    """A retried call with a delay: the first attempt times out (heartbeat), the retry waits
    on a timer of ``delay`` seconds first."""

    stall = ActivityProxy(Stall, retry=1, delay=1)

    def run(self, value: int) -> int:
        return self.stall(value) * 10


@workflow("suspended", "1", DECISIONS)
class Suspended(Workflow):
    later = ActivityProxy(Later)

    def run(self, value: int) -> int:
        return self.later(value) + 1


@workflow("parent", "1", DECISIONS)
class Parent(Workflow):
    child = WorkflowProxy(Sequence)

    def run(self, value: int) -> int:
        return self.child(value) + 1


@workflow("restarting", "1", DECISIONS)
class Restarting(Workflow):
    double = ActivityProxy(Double)

    def run(self, value: int, rounds: int) -> Any:
        if rounds:
            return restart(self.double(value), rounds - 1)
        return value


ALL = [
    Double,
    Add,
    Fail,
    EchoBytes,
    Huge,
    Stall,
    Later,
    Sequence,
    FanOut,
    Failing,
    Handling,
    Values,
    TooBig,
    Delayed,
    Suspended,
    Parent,
    Restarting,
]


@activity("slow", "1", ACTIVITIES)
class Slow(Activity):
    def run(self, seconds: float) -> float:
        time.sleep(seconds)
        return seconds


@workflow("slow_flow", "1", DECISIONS)
class SlowFlow(Workflow):
    slow = ActivityProxy(Slow)

    def run(self, seconds: float) -> float:
        return self.slow(seconds)


ALL += [Slow, SlowFlow]


@activity("length", "1", ACTIVITIES)
class Length(Activity):
    def run(self, text: str) -> int:
        return len(text)


@workflow("spread", "1", DECISIONS)
class Spread(Workflow):
    length = ActivityProxy(Length)

    def run(self, text: str, n: int) -> int:
        return sum(wait(r) for r in [self.length(text) for _ in range(n)])


ALL += [Length, Spread]


@workflow("own_transport", "1", DECISIONS, transport="msgpack")
class OwnTransport(Workflow):
    """Chose its transport: ``--transport`` (an engine default) must not override it."""

    double = ActivityProxy(Double)

    def run(self, value: int) -> int:
        return self.double(value)


ALL += [OwnTransport]
