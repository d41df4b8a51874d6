"""A typed protobuf message for the benchmarks, built at import time without generated code.

The schema mirrors the ``Order`` test message (``tests/transport/protos/order.proto``): an order
with line items, a status enum, a string map, an optional note and an opaque attachment. It lives
in its own package (``flowwire.bench.v1``) of the default descriptor pool, so it never clashes
with the generated test classes (``flowwire.testdata.v1``).
"""

from __future__ import annotations

import warnings
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, symbol_database

__all__ = ["Order", "make_order"]

_F = descriptor_pb2.FieldDescriptorProto


def _field(msg: Any, name: str, number: int, ftype: int, **extra: Any) -> None:
    label = extra.pop("label", _F.LABEL_OPTIONAL)
    msg.field.add(name=name, number=number, type=ftype, label=label, **extra)


def _build() -> Any:
    fdp = descriptor_pb2.FileDescriptorProto(
        name="flowwire/bench/v1/order.proto", package="flowwire.bench.v1", syntax="proto3"
    )
    status = fdp.enum_type.add(name="OrderStatus")
    for number, name in enumerate(("UNSPECIFIED", "PLACED", "PAID", "SHIPPED")):
        status.value.add(name=f"ORDER_STATUS_{name}", number=number)

    money = fdp.message_type.add(name="Money")
    _field(money, "currency", 1, _F.TYPE_STRING)
    _field(money, "minor_units", 2, _F.TYPE_INT64)

    item = fdp.message_type.add(name="LineItem")
    _field(item, "sku", 1, _F.TYPE_STRING)
    _field(item, "quantity", 2, _F.TYPE_UINT32)
    _field(item, "unit_price", 3, _F.TYPE_MESSAGE, type_name=".flowwire.bench.v1.Money")

    order = fdp.message_type.add(name="Order")
    entry = order.nested_type.add(name="LabelsEntry")
    entry.options.map_entry = True
    _field(entry, "key", 1, _F.TYPE_STRING)
    _field(entry, "value", 2, _F.TYPE_STRING)
    _field(order, "id", 1, _F.TYPE_STRING)
    _field(
        order,
        "items",
        2,
        _F.TYPE_MESSAGE,
        type_name=".flowwire.bench.v1.LineItem",
        label=_F.LABEL_REPEATED,
    )
    _field(order, "status", 3, _F.TYPE_ENUM, type_name=".flowwire.bench.v1.OrderStatus")
    _field(
        order,
        "labels",
        4,
        _F.TYPE_MESSAGE,
        type_name=".flowwire.bench.v1.Order.LabelsEntry",
        label=_F.LABEL_REPEATED,
    )
    _field(order, "note", 5, _F.TYPE_STRING, proto3_optional=True, oneof_index=0)
    order.oneof_decl.add(name="_note")
    _field(order, "attachment", 6, _F.TYPE_BYTES)

    pool = descriptor_pool.Default()  # peers such as Temporal look message types up there
    try:
        pool.FindFileByName(fdp.name)
    except KeyError:
        pool.Add(fdp)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("flowwire.bench.v1.Order"))
    db = symbol_database.Default()
    with warnings.catch_warnings():  # RegisterMessage is deprecated, but Temporal reads _classes
        warnings.simplefilter("ignore")
        db.RegisterMessage(cls)
    return cls


#: The generated-at-import-time message class ``flowwire.bench.v1.Order``.
Order: Any = _build()


def make_order(items: int = 12) -> Any:
    """A realistic order: ``items`` line items, three labels, a note and a 256-byte attachment."""
    order = Order(id="ord-2024-000123", status=2, note="leave at the front desk")
    for i in range(items):
        line = order.items.add(sku=f"SKU-{1000 + i * 7}", quantity=1 + i % 4)
        line.unit_price.currency = "EUR"
        line.unit_price.minor_units = 499 + 250 * i
    order.labels.update({"channel": "web", "region": "eu-west-1", "priority": "normal"})
    order.attachment = bytes(range(256))
    return order
