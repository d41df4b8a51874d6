"""Errors chained through task arguments, with and without ``error_handling``.

``Tolerant`` (``error_handling=True``): the failed ``parse`` result is passed on to
``enrich``, which is therefore never scheduled; touching its result raises ``TaskError``,
which ``run`` catches and turns into a fallback value.

``Strict`` (the default, ``error_handling=False``): the same failure fails the workflow; the
error names the activity that failed (``flowwire run`` exits with status 1).

    flowwire run examples.errors:Tolerant '"not a number"'
    flowwire run examples.errors:Strict '"not a number"'      # fails, on purpose
    python examples/errors.py
"""

from __future__ import annotations

from typing import Any

from flowwire.engines.local import run_workflow
from flowwire.errors import TaskError
from flowwire.proxy import ActivityProxy
from flowwire.result import wait
from flowwire.task import Activity, Workflow, activity, workflow


@activity("examples.parse", "1", "examples")
class Parse(Activity):
    def run(self, text: str) -> int:
        return int(text)  # ValueError for anything but an integer


@activity("examples.enrich", "1", "examples")
class Enrich(Activity):
    def run(self, number: int) -> dict[str, Any]:
        return {"number": number, "even": number % 2 == 0}


@workflow("examples.tolerant", "1", "examples")
class Tolerant(Workflow):
    parse = ActivityProxy(Parse, error_handling=True)
    enrich = ActivityProxy(Enrich, error_handling=True)

    def run(self, text: str = "not a number") -> dict[str, Any]:
        enriched = self.enrich(self.parse(text))  # a failed parse propagates to enrich
        try:
            return wait(enriched)
        except TaskError as exc:
            return {"error": exc.type_name, "message": exc.message, "task": exc.task}


@workflow("examples.strict", "1", "examples")
class Strict(Workflow):
    parse = ActivityProxy(Parse)
    enrich = ActivityProxy(Enrich)

    def run(self, text: str = "not a number") -> dict[str, Any]:
        return self.enrich(self.parse(text))


if __name__ == "__main__":
    print(run_workflow(Tolerant, "not a number"))
    print(run_workflow(Tolerant, "42"))
    try:
        run_workflow(Strict, "not a number")
    except TaskError as exc:
        print(f"Strict failed as expected: {exc}")
