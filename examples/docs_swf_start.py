"""Register, serve and start the order workflow from Python (docs/swf.md, "From Python").

Against SWF (credentials from the standard AWS configuration)::

    python -m examples.docs_swf_start

``tests/docs/test_swf_page.py`` runs :func:`place_order` against a moto server.
"""

from __future__ import annotations

from typing import Any

from examples.swf_orders import PlaceOrder
from flowwire.engines.swf import SWF, TaskRegistry, WorkerPool, register_all, start
from flowwire.scanner import scan


def place_order(swf: SWF, order: dict[str, Any]) -> Any:
    """Register the order workflow's types, serve them, run one order and return its result."""
    registry = TaskRegistry(scan("examples.swf_orders"))
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=2, activity_threads=8):
        run = start(swf, PlaceOrder, [order], workflow_id=f"order-{order['id']}", tags=["shop"])
        return run.result(timeout=600)


if __name__ == "__main__":
    swf = SWF.connect("shop", region="eu-west-1")
    print(place_order(swf, {"id": "o-1", "lines": [["sku-1", 2]]}))
