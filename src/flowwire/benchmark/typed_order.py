"""The typed payload of the benchmarks: an ``Order`` of nested dataclasses with a datetime,
Decimal amounts and an enum, as application code passes to ``run(self, order: Order)``.

Public so that comparison benchmarks can mirror it in their own types (the repository's
``bench/peers/msgspec_struct.py``); the field names, types and values are the same, so every
candidate carries the same information.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

__all__ = ["Address", "LineItem", "Money", "Order", "Status", "make_typed_order"]


class Status(Enum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"


@dataclass
class Money:
    currency: str
    amount: Decimal


@dataclass
class LineItem:
    sku: str
    quantity: int
    unit_price: Money


@dataclass
class Address:
    street: str
    city: str
    postcode: str
    country: str


@dataclass
class Order:
    id: str
    placed_at: datetime
    status: Status
    customer: str
    shipping: Address
    items: list[LineItem]
    total: Money
    labels: dict[str, str] = field(default_factory=dict)
    note: str | None = None


def make_typed_order(items: int = 12) -> Order:
    """An order with ``items`` line items (the protobuf payload's shape), two labels, no note."""
    lines = [
        LineItem(f"SKU-{1000 + i * 7}", 1 + i % 4, Money("EUR", Decimal(499 + 250 * i).scaleb(-2)))
        for i in range(items)
    ]
    total = sum((line.unit_price.amount * line.quantity for line in lines), Decimal("0.00"))
    return Order(
        id="ord-2024-000123",
        placed_at=datetime(2024, 6, 11, 9, 30, 15, 123456, tzinfo=UTC),
        status=Status.PAID,
        customer="Ada Lovelace",
        shipping=Address("12 Main Street", "Berlin", "10115", "DE"),
        items=lines,
        total=Money("EUR", total),
        labels={"channel": "web", "region": "eu-west-1"},
    )
