"""msgspec on the typed payload, with its own ``msgspec.Struct`` mirror of the Order (its
fastest form): ``msgspec.json.Encoder().encode`` / ``Decoder(Order).decode``. Typed payloads
only; ``prepare`` turns the benchmark's dataclass into the Struct once, before timing, and
``normalize`` turns the decoded Struct back for the round-trip check."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from flowwire.benchmark import typed_order as typed

NAME = "msgspec Struct"
LIBRARY = "msgspec"
NOTE = "msgspec.json Encoder().encode / Decoder(Order Struct).decode"
KINDS = frozenset({"typed"})


class Money(msgspec.Struct):
    currency: str
    amount: Decimal


class LineItem(msgspec.Struct):
    sku: str
    quantity: int
    unit_price: Money


class Address(msgspec.Struct):
    street: str
    city: str
    postcode: str
    country: str


class Order(msgspec.Struct):
    id: str
    placed_at: datetime
    status: typed.Status
    customer: str
    shipping: Address
    items: list[LineItem]
    total: Money
    labels: dict[str, str] = {}
    note: str | None = None


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Order)


def prepare(value: Any) -> Any:
    return msgspec.convert(msgspec.to_builtins(value, builtin_types=(datetime, Decimal)), Order)


def normalize(value: Any) -> Any:
    return msgspec.convert(
        msgspec.to_builtins(value, builtin_types=(datetime, Decimal)), typed.Order
    )


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


def decode(data: Any, type_hint: Any = None) -> Any:
    return _decoder.decode(data)
