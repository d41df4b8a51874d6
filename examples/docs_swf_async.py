"""An activity finished from outside: a charge the call centre confirms by phone
(docs/swf.md, "Async completion").

``ChargeByPhone`` leaves its task open and hands the task token to the call centre (here a
queue); :func:`settle` is what the call centre's program runs later, in any process.
``tests/docs/test_swf_page.py`` runs both against a moto server.
"""

from __future__ import annotations

import queue

from flowwire.engines.swf import SWF, AsyncCompletion
from flowwire.errors import TaskError
from flowwire.proxy import ActivityProxy
from flowwire.result import SuspendTask, wait
from flowwire.task import Activity, Workflow, activity, workflow

#: Stands for the call centre's work queue: ``(order id, amount, task token)``.
CALL_CENTRE: queue.Queue[tuple[str, float, str]] = queue.Queue()


@activity("payments.charge_by_phone", "1", "payments", heartbeat=600, start_to_close=86400)
class ChargeByPhone(Activity):
    def run(self, order_id: str, amount: float) -> str:
        CALL_CENTRE.put((order_id, amount, self.token))
        raise SuspendTask  # the task stays open until settle() finishes it


@workflow("payments.phone_order", "1", "payments")
class PhoneOrder(Workflow):
    charge = ActivityProxy(ChargeByPhone, error_handling=True)

    def run(self, order_id: str, amount: float) -> str:
        try:
            return f"paid: {wait(self.charge(order_id, amount))}"
        except TaskError as exc:
            return f"not paid: {exc.message}"


def settle(swf: SWF, token: str, receipt: str | None) -> bool:
    """Finish the charge: with its receipt, or as failed when the card was declined.

    Returns ``False`` when the task is no longer wanted (timed out or cancelled).
    """
    completion = AsyncCompletion(swf, transport=ChargeByPhone.transport)
    if not completion.heartbeat(token):  # False once the task timed out
        return False
    if receipt is None:
        completion.fail(token, "card declined")
    else:
        completion.complete(token, receipt)
    return True
