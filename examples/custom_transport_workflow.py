"""A workflow whose activity speaks the custom CBOR codec of ``examples/cbor_transport.py``.

Importing this module registers the codec as ``"cbor"``, so the name works in
``transport="cbor"`` and on the command line. From the directory that holds ``examples/``::

    flowwire run examples.custom_transport_workflow:Checkout '["1.10", "2.20"]' --transport cbor
    python -m examples.custom_transport_workflow

Needs ``pip install cbor2``. ``examples/`` is not installed by pip: copy
``examples/cbor_transport.py`` and this file into an ``examples/`` directory of your own.
"""

from __future__ import annotations

from decimal import Decimal

from examples.cbor_transport import register
from flowwire.engines.local import run_workflow
from flowwire.proxy import ActivityProxy
from flowwire.task import Activity, Workflow, activity, workflow

register()  # "cbor" is a registered name from here on (registering twice is allowed)


@activity("examples.cbor-total", "1", "examples", transport="cbor")
class Total(Activity):
    def run(self, prices: list[Decimal]) -> Decimal:
        return sum(prices, Decimal(0))


@workflow("examples.cbor-checkout", "1", "examples")
class Checkout(Workflow):
    total = ActivityProxy(Total)  # decodes the activity's results with Total's transport

    def run(self, prices: list[Decimal]) -> str:
        total = self.total(prices)
        return f"total {total}"


if __name__ == "__main__":
    print(run_workflow(Checkout, [Decimal("1.10"), Decimal("2.20")], transport="cbor"))
