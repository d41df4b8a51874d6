"""A workflow whose activity lives in another module: ``flowwire run --scan`` must find it."""

from __future__ import annotations

from flowwire.proxy import ActivityProxy
from flowwire.task import Workflow, workflow


@workflow("tests.by_name", "1", "tl")
class ByName(Workflow):
    double = ActivityProxy("examples.double", "1")

    def run(self, value: int) -> int:
        return self.double(value) + 1
