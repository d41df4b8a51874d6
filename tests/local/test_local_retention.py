"""What a run keeps alive while it runs: closed activity attempts are not among it.

Counted, not timed (performance lives in bench/engine_bench.py): every object a run keeps is
one more for the garbage collector to traverse at each collection, so the kernel must let an
attempt go once it closed, not hold it until its first timeout check falls due (minutes
later). The workflow counts the live attempt records itself, after every result arrived.
"""

from __future__ import annotations

import gc

from flowwire.engines.local import LocalEngine
from flowwire.proxy import ActivityProxy
from flowwire.replay import Execution
from flowwire.result import wait
from flowwire.runtime.kernel import RunState
from flowwire.runtime.store import AttemptRecord
from flowwire.task import Activity, Workflow, activity, workflow

SEEN: dict[str, int] = {}


def live_attempts() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is AttemptRecord)


@activity("retention.inc", "1", "tl")
class Inc(Activity):
    def run(self, x: int) -> int:
        return x + 1


@workflow("retention.fan-out", "1", "tl")
class FanOut(Workflow):
    inc = ActivityProxy(Inc)

    def run(self, n: int) -> int:
        SEEN["before"] = live_attempts()
        results = [self.inc(i) for i in range(n)]
        total: int = sum(wait(r) for r in results)
        SEEN["after"] = live_attempts()  # all closed; the deciding cycle holds its own (<= 2)
        return total


def test_closed_attempts_are_not_kept_alive_while_the_run_goes_on() -> None:
    assert LocalEngine([Inc], max_workers=2).run(FanOut, 50) == sum(range(1, 51))
    assert SEEN["after"] - SEEN["before"] <= 2, SEEN  # was 50: each held by its timeout check


@workflow("retention.sequential", "1", "tl")
class Sequential(Workflow):
    inc = ActivityProxy(Inc)

    def run(self, n: int) -> int:
        x = 0
        for _ in range(n):
            x = wait(self.inc(x))
        return x


def test_a_closed_run_is_not_kept_alive_until_its_duration_would_end() -> None:
    """A run's ``workflow_duration`` deadline (and its pending timers) name the run by its id:
    once it closed, its state, live execution and their history are garbage, not held by a
    deadline that falls due in a year."""
    engine = LocalEngine([Inc])
    assert engine.run(Sequential, 20) == 20
    gc.collect()
    assert sum(1 for o in gc.get_objects() if type(o) is RunState) == 0
    assert sum(1 for o in gc.get_objects() if type(o) is Execution) == 0
    (history,) = engine.histories.values()
    assert len(history) == 41  # the store keeps it: started, 20 x (scheduled, completed)
