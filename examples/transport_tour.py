"""Send one example call through every registered transport and show what travels.

Run it from the repository root::

    python examples/transport_tour.py

For each transport it prints the payload string a backend would carry, its size in characters,
and checks that the receiving side rebuilds exactly the typed values it was sent.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import flowwire
from flowwire.transport import available_transports


@dataclasses.dataclass(frozen=True)
class Order:
    id: UUID
    amount: Decimal
    placed: datetime
    tags: tuple[str, ...]


def charge(order: Order, attempts: int = 1, *, note: str | None = None) -> Decimal:
    """The signature the receiving worker decodes against (a task's ``run``)."""
    return order.amount


ORDER = Order(
    id=UUID("12345678-1234-5678-1234-567812345678"),
    amount=Decimal("19.99"),
    placed=datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
    tags=("gift", "express"),
)


def main() -> None:
    for name in available_transports():
        try:
            transport = flowwire.get_transport(name)
        except flowwire.ConfigurationError as exc:  # e.g. an optional dependency is missing
            print(f"{name:>10}: skipped ({exc})")
            continue
        payload = transport.serialize_arguments((ORDER,), {"attempts": 2, "note": "first try"})
        args, kwargs = transport.deserialize_arguments(payload, signature=charge)
        assert args == (ORDER,) and kwargs == {"attempts": 2, "note": "first try"}, (args, kwargs)
        result = transport.serialize_result(ORDER.amount)
        assert transport.deserialize_result(result, type_hint=Decimal) == Decimal("19.99")
        shown = payload if len(payload) <= 160 else payload[:157] + "..."
        print(f"{name:>10}: {len(payload):4d} chars  {shown}")
    print("every transport rebuilt the typed arguments exactly")


if __name__ == "__main__":
    main()
