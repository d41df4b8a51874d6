"""One workflow, three codecs: each task type chooses how its data travels.

* the workflow and ``summarize`` use the default JSON transport (readable text);
* ``thumbnail`` uses MessagePack, which carries ``bytes`` compactly;
* ``price`` uses the Protobuf transport with a typed message (``Invoice``, generated from
  ``examples/protos/invoice.proto``), rebuilt from the ``run`` annotations on both sides.

The local engine moves every payload as a string, exactly as SWF would, so this exercises the
real wire formats.

    flowwire run examples.mixed_codecs:Billing '"ACME"' 3
    python examples/mixed_codecs.py
"""

from __future__ import annotations

import hashlib
from typing import Any

from flowwire.engines.local import run_workflow
from flowwire.proxy import ActivityProxy
from flowwire.result import wait
from flowwire.task import Activity, Workflow, activity, workflow

try:
    from examples.protos.invoice_pb2 import Invoice, Line
except ImportError:  # run as a script: python examples/mixed_codecs.py
    from protos.invoice_pb2 import Invoice, Line  # type: ignore[no-redef]


@activity("examples.price", "1", "examples", transport="protobuf")
class Price(Activity):
    """Typed protobuf messages in and out."""

    def run(self, invoice: Invoice) -> Invoice:
        priced = Invoice()
        priced.CopyFrom(invoice)
        priced.total_cents = sum(line.quantity * line.unit_cents for line in invoice.lines)
        return priced


@activity("examples.thumbnail", "1", "examples", transport="msgpack")
class Thumbnail(Activity):
    """Binary data: MessagePack carries bytes natively."""

    def run(self, image: bytes) -> bytes:
        return hashlib.sha256(image).digest()[:8]


@activity("examples.summarize", "1", "examples")
class Summarize(Activity):
    def run(self, customer: str, total_cents: int, thumbnail: bytes) -> dict[str, Any]:
        return {"customer": customer, "total": total_cents / 100, "thumbnail": thumbnail.hex()}


@workflow("examples.billing", "1", "examples")
class Billing(Workflow):
    price = ActivityProxy(Price)
    thumbnail = ActivityProxy(Thumbnail)
    summarize = ActivityProxy(Summarize)

    def run(self, customer: str = "ACME", quantity: int = 3) -> dict[str, Any]:
        invoice = Invoice(
            customer=customer, lines=[Line(sku="widget", quantity=quantity, unit_cents=250)]
        )
        priced = self.price(invoice)
        thumb = self.thumbnail(b"\x89PNG" + customer.encode())
        return self.summarize(customer, wait(priced).total_cents, thumb)


if __name__ == "__main__":
    print(run_workflow(Billing, "ACME", 3))
