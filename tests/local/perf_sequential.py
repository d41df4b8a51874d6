"""Replay cost of the local engine: sequential workflows of 100, 500 and 1,000 steps, live and
full replay, plus a fan-out of 1,000 trivial activities. Not collected by pytest; run::

    python tests/local/perf_sequential.py
"""

from __future__ import annotations

import statistics
import time

from flowwire.engines.local import LocalEngine
from flowwire.proxy import ActivityProxy
from flowwire.result import wait
from flowwire.task import Activity, Workflow, activity, workflow


@activity("perf.inc", "1", "perf")
class Inc(Activity):
    def run(self, x: int) -> int:
        return x + 1


@workflow("perf.sequential", "1", "perf")
class Sequential(Workflow):
    inc = ActivityProxy(Inc)

    def run(self, steps: int) -> int:
        value = 0
        for _ in range(steps):
            value = wait(self.inc(value))  # each step waits for the previous one
        return value


@workflow("perf.fan_out", "1", "perf")
class FanOut(Workflow):
    inc = ActivityProxy(Inc)

    def run(self, width: int) -> int:
        results = [self.inc(i) for i in range(width)]
        return sum(wait(r) for r in results)


def timed(workflow: type[Workflow], arg: int, *, live: bool, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        engine = LocalEngine([Inc], live=live)
        started = time.perf_counter()
        engine.run(workflow, arg)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    timed(Sequential, 50, live=True, rounds=1)  # warm up
    for live in (True, False):
        label = "live       " if live else "full replay"
        t100 = timed(Sequential, 100, live=live, rounds=5)
        t500 = timed(Sequential, 500, live=live, rounds=3 if live else 1)
        t1000 = timed(Sequential, 1000, live=live, rounds=3 if live else 1)
        print(
            f"{label}: 100 steps {t100:.3f}s, 500 steps {t500:.3f}s, 1000 steps {t1000:.3f}s "
            f"(1000/100 = {t1000 / t100:.1f}x)"
        )
    fan = timed(FanOut, 1000, live=True, rounds=3)
    print(f"fan-out of 1000 activities: {fan:.3f}s = {1000 / fan:,.0f} activities/s")


if __name__ == "__main__":
    main()
