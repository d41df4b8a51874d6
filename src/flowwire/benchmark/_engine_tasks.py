"""The workflows and activity the engine benchmark runs (module-level, so engines find them)."""

from __future__ import annotations

from flowwire.proxy import ActivityProxy
from flowwire.result import wait
from flowwire.task import Activity, Workflow, activity, workflow

__all__ = ["FanOut", "Increment", "Sequential"]


@activity("flowwire-bench-increment", "1", "bench")
class Increment(Activity):
    """A trivial activity: ``x + 1``."""

    def run(self, x: int) -> int:
        return x + 1


@workflow("flowwire-bench-sequential", "1", "bench")
class Sequential(Workflow):
    """``n`` activities one after the other: each needs the previous result."""

    increment = ActivityProxy(Increment)

    def run(self, n: int) -> int:
        x = 0
        for _ in range(n):
            x = wait(self.increment(x))
        return x


@workflow("flowwire-bench-fan-out", "1", "bench")
class FanOut(Workflow):
    """``n`` independent activities scheduled at once, summed at the end."""

    increment = ActivityProxy(Increment)

    def run(self, n: int) -> int:
        results = [self.increment(i) for i in range(n)]
        return sum(wait(r) for r in results)
