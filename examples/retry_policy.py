"""A retry policy: a flaky payment service is tried again after 1 s, then 2 s; a declined card
is not tried again, and the workflow reads the decline's code from the error.

docs/errors.md ("Retry policies") shows this file; tests/local/test_retry_engines.py runs it on
the in-memory and the durable engine and tests/swf/test_swf_retry.py on SWF (moto), and each
reads the delays back from the timers the history recorded::

    python examples/retry_policy.py
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flowwire import (
    Activity,
    ActivityProxy,
    ApplicationError,
    LocalEngine,
    RetryPolicy,
    TaskError,
    Workflow,
    activity,
    wait,
    workflow,
)
from flowwire.history import TimerStarted

#: attempts per card, so the flaky service can fail the first two of each
attempts: Counter[str] = Counter()


class CardDeclined(ApplicationError):
    """The bank said no: asking again gives the same answer."""


@activity("examples.retry.charge", "1", "payments", start_to_close=30)
class Charge(Activity):
    def run(self, card: str, amount: int) -> str:
        attempts[card] += 1
        if card.startswith("stolen"):
            raise CardDeclined(f"card {card} declined", code="stolen_card", amount=amount)
        if attempts[card] <= 2:  # the payment service is down for the first two attempts
            raise ConnectionError("payment service unavailable")
        return f"charged {amount} to {card}"


# Four attempts at most, 1 s after the first failure, then 2 s, 4 s; a decline is final.
PAYMENTS = RetryPolicy(
    maximum_attempts=4,
    initial_interval=1,
    backoff_coefficient=2,
    maximum_interval=10,
    non_retryable_errors=[CardDeclined],
)


@workflow("examples.retry.checkout", "1", "payments")
class Checkout(Workflow):
    charge = ActivityProxy(Charge, retry=PAYMENTS, error_handling=True)

    def run(self, card: str, amount: int) -> dict[str, Any]:
        try:
            return {"receipt": wait(self.charge(card, amount))}
        except TaskError as exc:  # the last attempt's error, with its details
            return {"declined": exc.type_name, "code": exc.attributes.get("code")}


def delays(history: list[Any]) -> list[int | None]:
    """The retry delays a history recorded: the durations of its timers, in order."""
    return [event.seconds for event in history if isinstance(event, TimerStarted)]


if __name__ == "__main__":
    engine = LocalEngine([Charge])
    print(engine.run(Checkout, "4242", 12))
    (history,) = engine.histories.values()
    print("retried after", delays(history), "seconds")
    engine = LocalEngine([Charge])
    print(engine.run(Checkout, "stolen-1", 12))
    (history,) = engine.histories.values()
    print("retried after", delays(history), "seconds")
