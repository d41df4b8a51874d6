"""A dependency graph: two chains of activities, summed at the end.

``square(a) -> increment`` and ``increment(b) -> square`` do not depend on each other, so the
engine runs the two chains concurrently; ``add`` waits for both. Nothing in ``run`` says so:
concurrency follows from which results each call needs.

    flowwire run examples.dependencies:Dependencies 2 3
    python examples/dependencies.py
"""

from __future__ import annotations

from flowwire.engines.local import run_workflow
from flowwire.proxy import ActivityProxy
from flowwire.task import Activity, Workflow, activity, workflow


@activity("examples.square", "1", "examples")
class Square(Activity):
    def run(self, x: int) -> int:
        return x * x


@activity("examples.increment", "1", "examples")
class Increment(Activity):
    def run(self, x: int) -> int:
        return x + 1


@activity("examples.add", "1", "examples")
class Add(Activity):
    def run(self, x: int, y: int) -> int:
        return x + y


@workflow("examples.dependencies", "1", "examples")
class Dependencies(Workflow):
    square = ActivityProxy(Square)
    increment = ActivityProxy(Increment)
    add = ActivityProxy(Add)

    def run(self, a: int = 2, b: int = 3) -> int:
        left = self.increment(self.square(a))  # chain 1: a*a + 1
        right = self.square(self.increment(b))  # chain 2: (b + 1)^2, concurrently with chain 1
        return self.add(left, right)  # scheduled once both chains finished


if __name__ == "__main__":
    print(run_workflow(Dependencies, 2, 3))  # (2*2 + 1) + (3 + 1)^2 = 21
