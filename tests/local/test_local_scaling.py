"""The live engine's cost per step does not grow with the length of the history.

A full replay at every decision makes a 1,000-step workflow cost 60-85x a 100-step one on
the reference machine; the live engine stays near 10x. The bound here is loose (30x) so a
loaded CI machine does not flake, yet an O(n^2) regression fails it.
"""

from __future__ import annotations

import time

from flowwire.engines.local import LocalEngine
from flowwire.proxy import ActivityProxy
from flowwire.result import wait
from flowwire.task import Activity, Workflow, activity, workflow


@activity("scaling.inc", "1", "tl")
class Inc(Activity):
    def run(self, x: int) -> int:
        return x + 1


@workflow("scaling.sequential", "1", "tl")
class Steps(Workflow):
    inc = ActivityProxy(Inc)

    def run(self, steps: int) -> int:
        value = 0
        for _ in range(steps):
            value = wait(self.inc(value))
        return value


def best_of(steps: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        engine = LocalEngine([Inc])
        started = time.perf_counter()
        assert engine.run(Steps, steps) == steps
        best = min(best, time.perf_counter() - started)
    return best


def test_thousand_steps_cost_about_ten_times_hundred_steps() -> None:
    best_of(20, 1)  # warm up
    small = best_of(100, 5)
    large = best_of(1000, 3)
    assert large / small < 30, f"100 steps: {small:.4f}s, 1000 steps: {large:.4f}s"
