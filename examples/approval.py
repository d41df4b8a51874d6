"""A human approval: the approver's signal, or 48 hours, whichever comes first.

Run it (both outcomes, on the in-memory engine with a virtual clock, in milliseconds)::

    $ python examples/approval.py
    approved after 3 hours: approved order 17 (notified: ops@example.com)
    no answer in 48 hours: expired order 17 (reminded: ops@example.com)

The same workflow runs on the durable engine (``flowwire worker --db``, then ``flowwire
signal --db FILE ID approval true``) and on Amazon SWF (``WorkflowRun.signal``) unchanged.
"""

from __future__ import annotations

from datetime import timedelta

from flowwire import (
    Activity,
    ActivityProxy,
    LocalEngine,
    Workflow,
    activity,
    first,
    timer,
    wait_signal,
    workflow,
)


@activity("examples.approval.notify", "1", "examples-approval")
class Notify(Activity):
    """Tells the approver (here: returns what it would send)."""

    def run(self, who: str, message: str) -> str:
        return f"{message}: {who}"


@workflow("examples.approval.request", "1", "examples-approval", workflow_duration=7 * 86400)
class Approval(Workflow):
    """Asks ``approver`` to approve ``order``; waits for the signal ``approval`` (a bool)
    for ``hours`` hours at most."""

    notify = ActivityProxy(Notify)

    def run(self, order: str, approver: str, hours: float = 48) -> str:
        sent = self.notify(approver, "notified")
        answer = wait_signal("approval", returns=bool)
        if first(answer, timer(timedelta(hours=hours))) is not answer:
            reminded = self.notify(approver, "reminded")
            return f"expired {order} ({reminded})"
        return f"{'approved' if answer else 'rejected'} {order} ({sent})"


def main() -> None:
    from flowwire.testing import VirtualClock

    clock = VirtualClock()
    engine = LocalEngine(clock=clock)
    # the approver answers three (virtual) hours after the request
    clock.after(
        timedelta(hours=3),
        lambda: engine.signal("examples.approval.request-1", "approval", True),
    )
    result = engine.run(Approval, "order 17", "ops@example.com")
    print(f"approved after {clock.elapsed / 3600:g} hours: {result}")

    clock = VirtualClock()
    result = LocalEngine(clock=clock).run(Approval, "order 17", "ops@example.com")
    print(f"no answer in {clock.elapsed / 3600:g} hours: {result}")


if __name__ == "__main__":
    main()
