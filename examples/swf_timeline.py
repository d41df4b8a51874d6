"""Draw a real execution: run one order of ``examples/swf_orders.py`` on an in-process moto
server, read its history back and write its timeline (``.svg``, ``.html`` or ``.png``)::

    python -m examples.swf_timeline order.html

The same picture, for any execution on SWF, comes from the command line::

    flowwire swf history order-o-7 --domain shop --timeline order.html
"""

from __future__ import annotations

import sys

from examples.swf_orders import Charge, PlaceOrder, Reserve, Ship
from flowwire.engines.swf import SWF, TaskRegistry, WorkerPool, register_all, start
from flowwire.engines.swf.inspect import fetch_history, swf_timeline
from flowwire.testing.moto import MotoServer
from flowwire.tools.timeline import Timeline, write_timeline

ORDER = {
    "id": "o-7",
    "lines": [["sku-1", 2], ["sku-2", 1], ["sku-1", 5], ["sku-2", 4], ["sku-1", 1], ["sku-2", 2]],
}


def run_order() -> Timeline:
    """Run :data:`ORDER` on moto (two deciders, six activity threads) and return the
    timeline of its execution."""
    with MotoServer() as server:
        swf = SWF(server.client("swf"), "shop")
        registry = TaskRegistry([Reserve, Charge, Ship, PlaceOrder])
        register_all(swf, registry.specs())
        with WorkerPool(swf, registry, deciders=2, activity_threads=6, stagger=0.1):
            run = start(swf, PlaceOrder, [ORDER], workflow_id=f"order-{ORDER['id']}")
            run.result(timeout=120)
        events = fetch_history(swf, run.workflow_id, run.run_id)
    return swf_timeline(events, workflow_id=run.workflow_id)


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "order.html"
    timeline = run_order()
    write_timeline(timeline, target)
    print(f"{len(timeline.rows)} rows written to {target}")
