"""A workflow that survives ``kill -9``: run it durably, kill it, run it again, it resumes.

::

    $ flowwire run --db flow.db examples.durable_steps:Steps 10 --id demo &
    $ kill -9 %1                  # after a few steps
    $ flowwire run --db flow.db examples.durable_steps:Steps 10 --id demo
    55

Each ``Step`` waits ``pause`` seconds and adds its number. When ``$FLOWWIRE_EXAMPLE_LOG`` names
a file, each step appends ``step N`` to it as it finishes, so you can see that a step whose
completion was committed never runs again; only the step in flight when the process died is
run a second time (its attempt is lost, and retried).
"""

from __future__ import annotations

import os
import time

from flowwire import Activity, ActivityProxy, Workflow, activity, wait, workflow


@activity("examples.durable.step", "1", "examples-durable", start_to_close=60)
class Step(Activity):
    """Waits ``pause`` seconds, then returns ``total + number``."""

    def run(self, total: int, number: int, pause: float) -> int:
        time.sleep(pause)
        log = os.environ.get("FLOWWIRE_EXAMPLE_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as file:
                file.write(f"step {number}\n")
        return total + number


@workflow("examples.durable.steps", "1", "examples-durable")
class Steps(Workflow):
    """``n`` steps one after the other; the result is ``1 + 2 + ... + n``."""

    step = ActivityProxy(Step)

    def run(self, n: int, pause: float = 0.2) -> int:
        total = 0
        for number in range(1, n + 1):
            total = wait(self.step(total, number, pause))
        return total
