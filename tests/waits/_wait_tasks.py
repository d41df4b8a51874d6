"""Workflows the timer and signal tests run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flowwire import (
    Activity,
    ActivityProxy,
    Workflow,
    WorkflowProxy,
    activity,
    finish_order,
    send_signal,
    sleep,
    timer,
    wait,
    wait_signal,
    workflow,
)

DAY = 86400


@activity("waits.add", "1", "waits")
class Add(Activity):
    def run(self, a: int, b: int) -> int:
        return a + b


@workflow("waits.month", "1", "waits", workflow_duration=40 * DAY)
class Month(Workflow):
    """Sleeps a day 30 times, adding one each day (an activity per day)."""

    add = ActivityProxy(Add)

    def run(self, days: int = 30) -> int:
        total = 0
        for _ in range(days):
            sleep(timedelta(days=1))
            total = wait(self.add(total, 1))
        return total


@workflow("waits.collect", "1", "waits", workflow_duration=DAY)
class Collect(Workflow):
    """Sleeps ``pause`` seconds, then takes ``count`` signals ``item`` in arrival order."""

    def run(self, count: int, pause: float = 0) -> list[Any]:
        if pause:
            sleep(pause)
        return [wait(wait_signal("item")) for _ in range(count)]


@workflow("waits.race", "1", "waits", workflow_duration=DAY)
class Race(Workflow):
    """Three timers and a signal, in the order they finish."""

    def run(self) -> list[str]:
        items = {
            "t30": timer(30),
            "t10": timer(10),
            "signal": wait_signal("go"),
            "t20": timer(timedelta(seconds=20)),
        }
        names = {id(v): k for k, v in items.items()}
        return [names[id(r)] for r in finish_order(items.values())]


@workflow("waits.bad_duration", "1", "waits")
class BadDuration(Workflow):
    def run(self, seconds: Any) -> None:
        sleep(float(seconds) if isinstance(seconds, str) else seconds)


@workflow("waits.bad_signal", "1", "waits")
class BadSignal(Workflow):
    def run(self, name: str) -> None:
        wait_signal(name)


@workflow("waits.child", "1", "waits", workflow_duration=DAY)
class Child(Workflow):
    """Signals ``done`` with ``value`` to the execution ``parent``."""

    def run(self, parent: str, value: int) -> str:
        sent = send_signal(parent, "done", value)
        try:
            wait(sent)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return "sent"


@workflow("waits.parent", "1", "waits", workflow_duration=DAY)
class Parent(Workflow):
    """Starts a child that signals it back (to ``me``), and one that signals ``nobody``."""

    child = WorkflowProxy(Child)

    def run(self, me: str) -> list[Any]:
        good = self.child(me, 42)
        bad = self.child("nobody", 1)
        return [wait(wait_signal("done")), wait(good), wait(bad)]
