"""The live engine's cost per step does not grow with the length of the history.

The cost is counted, not timed: the number of Python function calls a run makes, in every
thread, is the same from one run to the next on any machine, loaded or not. A 1,000-step
workflow makes about 9.7x the calls of a 100-step one (the fixed cost of a run is shared);
a full replay at every decision would make it about 50x. Timings live in bench/engine_bench.py.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

import pytest

from flowwire.decision import Decision
from flowwire.engines.local import LocalEngine
from flowwire.history import Event
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


def calls_made(steps: int) -> int:
    """The Python function calls one run of ``steps`` steps makes, counted in every thread."""
    calls = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    engine = LocalEngine([Inc])
    threading.setprofile(profile)  # the engine's threads start inside run()
    sys.setprofile(profile)
    try:
        assert engine.run(Steps, steps) == steps
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    return calls


def test_thousand_steps_cost_about_ten_times_hundred_steps() -> None:
    calls_made(20)  # first-run imports and caches are not a step's cost
    small = calls_made(100)
    large = calls_made(1000)
    assert 9 * small < large < 12 * small, (
        f"100 steps: {small:,} calls, 1000 steps: {large:,} calls"
    )


def test_the_count_sees_a_step_cost_that_grows_with_the_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bound above can fail: a decider that looks at the whole history at every decision."""
    from flowwire.replay import Execution

    decide = Execution.decide

    def look(event: object) -> None:
        pass

    def rereading(self: Execution, events: Sequence[Event]) -> list[Decision]:
        for event in events:  # the whole history so far
            look(event)
        return decide(self, events)

    monkeypatch.setattr(Execution, "decide", rereading)
    calls_made(20)
    small = calls_made(100)
    large = calls_made(1000)
    assert large > 12 * small
