"""Workflows and activities the cancellation tests run."""

from __future__ import annotations

import threading
import time
from typing import Any

from flowwire import (
    Activity,
    ActivityProxy,
    Cancelled,
    RetryPolicy,
    TaskError,
    Workflow,
    WorkflowProxy,
    activity,
    sleep,
    wait,
    workflow,
)

DAY = 86400

#: set by Long.run once it runs (tests wait for it before they cancel)
long_started = threading.Event()
#: the activities that ran, by name (reset by the tests)
ran: list[str] = []


@activity("cancel.clean", "1", "cancel")
class Clean(Activity):
    def run(self, what: str) -> str:
        ran.append(f"clean {what}")
        return f"cleaned {what}"


@activity("cancel.step", "1", "cancel")
class Step(Activity):
    def run(self, n: int) -> int:
        ran.append(f"step {n}")
        return n


@activity("cancel.long", "1", "cancel", heartbeat=30, start_to_close=60)
class Long(Activity):
    """Heartbeats every 10 ms until ``heartbeat()`` answers False (at most 20 s)."""

    def run(self) -> str:
        long_started.set()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not self.heartbeat():
                ran.append("long stopped")
                return "stopped"
            time.sleep(0.01)
        return "never told"


@workflow("cancel.steps", "1", "cancel", workflow_duration=40 * DAY)
class Steps(Workflow):
    """A day's sleep, then a step, ``days`` times; on cancel, cleans up and closes cancelled
    (or, with ``keep_going``, returns what it did)."""

    step = ActivityProxy(Step)
    clean = ActivityProxy(Clean)

    def run(self, days: int, keep_going: bool = False) -> Any:
        done = 0
        try:
            for day in range(days):
                sleep(DAY)
                done = wait(self.step(day))
        except Cancelled:
            wait(self.clean(f"after {done}"))
            if keep_going:
                return f"cancelled after step {done}"
            raise
        return done


@workflow("cancel.stops_long", "1", "cancel", workflow_duration=DAY)
class StopsLong(Workflow):
    """Waits for Long; on cancel, waits for Long to stop and reports how it closed."""

    long = ActivityProxy(Long, retry=RetryPolicy(maximum_attempts=5))

    def run(self) -> str:
        job = self.long()
        try:
            return str(wait(job))
        except Cancelled:
            try:
                return f"finished anyway: {wait(job)}"
            except TaskError as exc:
                return f"stopped: {exc.reason}"


@workflow("cancel.queued", "1", "cancel", workflow_duration=DAY)
class Queued(Workflow):
    """Long and a step at once (with one worker the step waits in the queue)."""

    long = ActivityProxy(Long)
    step = ActivityProxy(Step, error_handling=True)

    def run(self) -> str:
        job, queued = self.long(), self.step(1)
        try:
            return str(wait(job) + str(wait(queued)))
        except Cancelled:
            try:
                wait(queued)
            except TaskError as exc:
                return f"queued step: {exc.reason}"
            return "queued step ran"


@workflow("cancel.child", "1", "cancel", workflow_duration=DAY)
class Child(Workflow):
    """Sleeps an hour; on cancel, cleans up and closes cancelled."""

    clean = ActivityProxy(Clean)

    def run(self, name: str) -> str:
        try:
            sleep(3600)
        except Cancelled as exc:
            wait(self.clean(f"{name}: {exc}"))
            raise
        return f"{name} slept"


@workflow("cancel.parent", "1", "cancel", workflow_duration=DAY)
class Parent(Workflow):
    """Starts a child that is cancelled with it, and one that is not."""

    child = WorkflowProxy(Child)
    free = WorkflowProxy(Child, cancel_with_parent=False)

    def run(self) -> list[str]:
        tied, free = self.child("tied"), self.free("free")
        try:
            return [wait(tied), wait(free)]
        except Cancelled:
            outcomes = []
            for result in (tied, free):
                try:
                    outcomes.append(wait(result))
                except TaskError as exc:
                    outcomes.append(f"{exc.reason}")
            return outcomes


@workflow("cancel.self", "1", "cancel")
class RaisesItself(Workflow):
    """Raises Cancelled with no request: an ordinary failure."""

    def run(self) -> None:
        raise Cancelled("not asked")
