"""The workflows and activity the engine benchmark runs (module-level, so engines find them)."""

from __future__ import annotations

import os
import time

from flowwire.proxy import ActivityProxy
from flowwire.result import wait
from flowwire.task import Activity, Workflow, activity, workflow

__all__ = ["FanOut", "Increment", "LoggedIncrement", "LoggedSequential", "Sequential"]


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


@activity("flowwire-bench-logged-increment", "1", "bench")
class LoggedIncrement(Activity):
    """``x + 1``, appending ``x time`` to the file ``$FLOWWIRE_BENCH_LOG`` (the recovery
    benchmark reads when each step ran, across processes)."""

    def run(self, x: int) -> int:
        with open(os.environ["FLOWWIRE_BENCH_LOG"], "a", encoding="ascii") as log:
            log.write(f"{x} {time.time()!r}\n")
        return x + 1


@workflow("flowwire-bench-logged-sequential", "1", "bench")
class LoggedSequential(Workflow):
    """:class:`Sequential` with :class:`LoggedIncrement` steps."""

    increment = ActivityProxy(LoggedIncrement)

    def run(self, n: int) -> int:
        x = 0
        for _ in range(n):
            x = wait(self.increment(x))
        return x
