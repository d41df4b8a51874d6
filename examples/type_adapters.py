"""Teach the value model a type of your own, then carry it in every codec.

``Money`` is a plain class (not a dataclass): a type adapter says how it lowers to model
values (a tuple of a Decimal and a str) and lifts back. Run it::

    python examples/type_adapters.py
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flowwire import TypeAdapter, get_transport, register_adapter
from flowwire.transport import builtin_codecs


class Money:
    def __init__(self, amount: Decimal, currency: str) -> None:
        if len(currency) != 3:
            raise ValueError(f"currency must have 3 letters, got {currency!r}")
        self.amount, self.currency = amount, currency

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and (other.amount, other.currency) == (
            self.amount,
            self.currency,
        )

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"


register_adapter(
    TypeAdapter.of(
        Money,
        shape=tuple[Decimal, str],  # what lower() returns, and what lift() receives
        lower=lambda money: (money.amount, money.currency),
        lift=lambda pair: Money(*pair),
    )
)


@dataclass
class Invoice:
    number: str
    total: Money
    lines: list[Money]


def main() -> None:
    invoice = Invoice("INV-7", Money(Decimal("12.50"), "EUR"), [Money(Decimal("12.50"), "EUR")])
    for codec in tuple(builtin_codecs()):
        transport = get_transport(codec)
        payload = transport.serialize_result(invoice)
        back = transport.deserialize_result(payload, type_hint=Invoice)
        assert back == invoice
        print(f"{codec:8} {len(payload):4} characters -> {back.total!r}")
    print(get_transport("json").serialize_result(invoice))
    try:  # a lift that refuses the value: a DecodeError naming where it sits
        get_transport("json").deserialize_result(
            '{"number": "x", "total": ["1", "EURO"], "lines": []}', type_hint=Invoice
        )
    except ValueError as exc:
        print(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
