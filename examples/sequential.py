"""A sequential loop: double a value through an activity until it passes 100.

Each iteration needs the previous result (``value <= 100`` touches it), so the activities run
one after the other; the workflow's ``run`` reads like a plain loop.

    flowwire run examples.sequential:Doubling 3
    python examples/sequential.py 3
"""

from __future__ import annotations

import sys

from flowwire.engines.local import run_workflow
from flowwire.proxy import ActivityProxy
from flowwire.task import Activity, Workflow, activity, workflow


@activity("examples.double", "1", "examples")
class Double(Activity):
    def run(self, x: int) -> int:
        return 2 * x


@workflow("examples.doubling", "1", "examples")
class Doubling(Workflow):
    double = ActivityProxy(Double)

    def run(self, value: int = 1) -> int:
        while value <= 100:  # touching the result waits for the activity
            value = self.double(value)
        return value


if __name__ == "__main__":
    print(run_workflow(Doubling, int(sys.argv[1]) if len(sys.argv) > 1 else 3))
