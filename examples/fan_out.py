"""Fan-out / fan-in: square many numbers concurrently, then sum them with ``parallel_reduce``.

All ``square`` calls are scheduled in the first decision. ``parallel_reduce`` adds results
pairwise as soon as two are available, so the additions run concurrently too (a reduction tree
shaped by finish order) instead of waiting for the slowest square.

    flowwire run examples.fan_out:SumOfSquares 100
    python examples/fan_out.py 100
"""

from __future__ import annotations

import sys

from flowwire.engines.local import run_workflow
from flowwire.proxy import ActivityProxy
from flowwire.result import parallel_reduce
from flowwire.task import Activity, Workflow, activity, workflow


@activity("examples.fan_out.square", "1", "examples")
class Square(Activity):
    def run(self, x: int) -> int:
        return x * x


@activity("examples.fan_out.add", "1", "examples")
class Add(Activity):
    def run(self, x: int, y: int) -> int:
        return x + y


@workflow("examples.sum_of_squares", "1", "examples")
class SumOfSquares(Workflow):
    square = ActivityProxy(Square)
    add = ActivityProxy(Add)

    def run(self, n: int = 10) -> int:
        squares = [self.square(i) for i in range(1, n + 1)]  # fan-out: all scheduled at once
        return parallel_reduce(self.add, squares)  # fan-in


if __name__ == "__main__":
    print(run_workflow(SumOfSquares, int(sys.argv[1]) if len(sys.argv) > 1 else 10))
