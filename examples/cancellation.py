"""Cancelling an order that waits for its payment: the workflow releases the stock it reserved,
then closes as cancelled.

Run it (on the in-memory engine with a virtual clock, in milliseconds)::

    $ python examples/cancellation.py
    cancelled after 2 hours (cancellation requested)
    clean-up first: released (reserved order 17)

The same workflow is cancelled on the durable engine with ``flowwire cancel --db FILE ID`` (or
``LocalEngine(db=...).cancel(ID)``), and on Amazon SWF with ``WorkflowRun.cancel()`` or
``flowwire swf cancel ID``.
"""

from __future__ import annotations

from datetime import timedelta

from flowwire import (
    Activity,
    ActivityProxy,
    Cancelled,
    LocalEngine,
    Workflow,
    activity,
    first,
    timer,
    wait,
    wait_signal,
    workflow,
)
from flowwire.history import TaskCompleted


@activity("examples.cancellation.reserve", "1", "examples-cancellation")
class Reserve(Activity):
    def run(self, order: str) -> str:
        return f"reserved {order}"


@activity("examples.cancellation.release", "1", "examples-cancellation")
class Release(Activity):
    def run(self, reservation: str) -> str:
        return f"released ({reservation})"


@workflow("examples.cancellation.order", "1", "examples-cancellation", workflow_duration=86400 * 3)
class Order(Workflow):
    """Reserves the stock of ``order`` and waits a day at most for the signal ``paid``."""

    reserve = ActivityProxy(Reserve)
    release = ActivityProxy(Release)

    def run(self, order: str) -> str:
        reservation = self.reserve(order)
        try:
            paid = wait_signal("paid")
            if first(paid, timer(timedelta(days=1))) is not paid:
                return f"expired {order}: {wait(self.release(reservation))}"
            return f"paid {order} ({reservation})"
        except Cancelled:
            wait(self.release(reservation))  # clean up, then close as cancelled
            raise


def main() -> None:
    from flowwire.testing import VirtualClock

    clock = VirtualClock()
    engine = LocalEngine(clock=clock)
    # the customer gives up two (virtual) hours after ordering
    clock.after(timedelta(hours=2), lambda: engine.cancel("examples.cancellation.order-1"))
    try:
        engine.run(Order, "order 17")
    except Cancelled as exc:
        print(f"cancelled after {clock.elapsed / 3600:g} hours ({exc.details})")
    history = engine.histories["examples.cancellation.order-1"]
    [released] = [e for e in history if isinstance(e, TaskCompleted) and e.key == "release-0-0"]
    print(f"clean-up first: {engine.transport_for(Release).deserialize_result(released.result)}")


if __name__ == "__main__":
    main()
