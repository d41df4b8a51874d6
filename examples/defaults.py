"""One default overridden at each level: registration, proxy, call, engine.

docs/workflows.md ("Default configuration") runs this on the local engine;
tests/swf/test_swf_call_options.py runs it on SWF (moto) and checks that both engines record
the same options::

    python examples/defaults.py
"""

from __future__ import annotations

from typing import Any

from flowwire import Activity, ActivityProxy, LocalEngine, Workflow, activity, workflow
from flowwire.history import TaskScheduled


# registration: the type's defaults; task_list and schedule_to_start stay as registered
@activity("examples.defaults.charge", "1", "payments", schedule_to_start=60)
class Charge(Activity):
    def run(self, amount: int) -> str:
        return f"charged {amount}"


@workflow("examples.defaults.checkout", "1", "payments")
class Checkout(Workflow):
    # proxy: every call through it waits at most 200 s in all, instead of the registered 420
    charge = ActivityProxy(Charge, schedule_to_close=200)

    def run(self, amount: int) -> str:
        # call: this one call may run 30 s, instead of the registered 300
        return self.charge.options(start_to_close=30)(amount) + ""


def scheduled(history: list[Any]) -> list[TaskScheduled]:
    """The ``TaskScheduled`` events of a history: what each task was scheduled with."""
    return [event for event in history if isinstance(event, TaskScheduled)]


if __name__ == "__main__":
    # engine: classes that chose no transport use the engine's, here msgpack instead of JSON
    engine = LocalEngine([Charge], transport="msgpack")
    print(engine.run(Checkout, 12))
    (history,) = engine.histories.values()
    print(scheduled(history)[0].options)
