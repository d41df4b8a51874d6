"""The smallest workflow: one activity that returns its input.

Run it from the repository root::

    flowwire run examples.echo:Echo '"hello"'
    python examples/echo.py hello
"""

from __future__ import annotations

import sys
from typing import Any

from flowwire.engines.local import run_workflow
from flowwire.proxy import ActivityProxy
from flowwire.task import Activity, Workflow, activity, workflow


@activity("examples.echo", "1", "examples")
class EchoActivity(Activity):
    """Returns what it was given."""

    def run(self, value: Any) -> Any:
        return value


@workflow("examples.echo_workflow", "1", "examples")
class Echo(Workflow):
    """Calls the echo activity and returns its result."""

    echo = ActivityProxy(EchoActivity)

    def run(self, value: Any = "hello") -> Any:
        return self.echo(value)


if __name__ == "__main__":
    print(run_workflow(Echo, *sys.argv[1:]))
