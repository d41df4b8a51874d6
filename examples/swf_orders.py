"""An order workflow on Amazon SWF: reserve stock for every line concurrently, charge the card
(retried on timeout), then ship.

Self-contained against an in-process moto server (no AWS account needed)::

    python examples/swf_orders.py --moto

Against SWF (credentials and region from the standard AWS configuration), in three shells::

    flowwire swf register examples.swf_orders --domain shop
    flowwire swf worker examples.swf_orders --domain shop --threads 4
    flowwire swf start examples.swf_orders:PlaceOrder '{"id": "o-1", "lines": [["sku-1", 2]]}' \\
        --domain shop --wait
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from flowwire.engines.swf import SWF, TaskRegistry, WorkerPool, register_all, start
from flowwire.errors import ConfigurationError
from flowwire.proxy import ActivityProxy
from flowwire.result import wait
from flowwire.task import Activity, Workflow, activity, workflow

PRICES = {"sku-1": 2.5, "sku-2": 10.0}


@activity("orders.reserve", "1", "orders-activities", start_to_close=60)
class Reserve(Activity):
    """Reserves ``quantity`` units of ``sku``; returns the line's price."""

    def run(self, sku: str, quantity: int) -> float:
        time.sleep(0.2)  # the stock service takes a moment to answer
        if sku not in PRICES:
            raise KeyError(f"unknown sku {sku!r}")
        return PRICES[sku] * quantity


@activity("orders.charge", "1", "orders-activities", heartbeat=30, start_to_close=120)
class Charge(Activity):
    """Charges ``amount``; heartbeats while the payment provider answers."""

    def run(self, order_id: str, amount: float) -> str:
        if not self.heartbeat():  # timed out or cancelled: stop, the result would be ignored
            return ""
        return f"receipt-{order_id}-{amount:.2f}"


@activity("orders.ship", "1", "orders-activities")
class Ship(Activity):
    def run(self, order_id: str, receipt: str) -> dict[str, str]:
        return {"order": order_id, "receipt": receipt, "status": "shipped"}


@workflow("orders.place", "1", "orders-decisions", workflow_duration=3600)
class PlaceOrder(Workflow):
    reserve = ActivityProxy(Reserve)
    charge = ActivityProxy(Charge, retry=2, delay=5)
    ship = ActivityProxy(Ship)

    def run(self, order: dict[str, Any]) -> dict[str, str]:
        prices = [self.reserve(sku, quantity) for sku, quantity in order["lines"]]  # concurrent
        total = sum(wait(price) for price in prices)
        receipt = self.charge(order["id"], total)
        return wait(self.ship(order["id"], receipt))


def main() -> None:
    parser = argparse.ArgumentParser(description="run one order on SWF (or moto)")
    parser.add_argument("--moto", action="store_true", help="use an in-process moto server")
    parser.add_argument("--domain", default="shop")
    parser.add_argument("--region", default=None)
    args = parser.parse_args()
    order = {"id": "o-1", "lines": [["sku-1", 2], ["sku-2", 1]]}
    try:
        if args.moto:
            from flowwire.testing.moto import MotoServer

            with MotoServer() as server:
                run_once(SWF(server.client("swf"), args.domain), order)
        else:
            run_once(SWF.connect(args.domain, region=args.region), order)
    except ConfigurationError as exc:  # a missing extra, no region...: one line, no traceback
        sys.exit(f"swf_orders: {exc}")


def run_once(swf: SWF, order: dict[str, Any]) -> None:
    registry = TaskRegistry([Reserve, Charge, Ship, PlaceOrder])
    register_all(swf, registry.specs())  # idempotent
    with WorkerPool(swf, registry, deciders=2, activity_threads=4, stagger=1.0):
        run = start(swf, PlaceOrder, [order], workflow_id=f"order-{order['id']}")
        print(json.dumps(run.result(timeout=120)))


if __name__ == "__main__":
    main()
