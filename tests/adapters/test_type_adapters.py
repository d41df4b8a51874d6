"""User type adapters: by exact type and by predicate, in every codec, with their errors."""

from __future__ import annotations

import dataclasses
import functools
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import strategies as st

from flowwire import get_transport
from flowwire.errors import ConfigurationError, DecodeError, EncodeError
from flowwire.testing import check_adapter, values_equal
from flowwire.testing._hinted import register_strategy
from flowwire.transport import builtin_codecs
from flowwire.transport.model.adapters import TypeAdapter, register_adapter, unregister_adapter

CODECS = builtin_codecs()


class Money:
    """Not a dataclass: only an adapter can carry it."""

    def __init__(self, amount: Decimal, currency: str) -> None:
        if len(currency) != 3:
            raise ValueError(f"currency must have 3 letters, got {currency!r}")
        self.amount = amount
        self.currency = currency

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Money)
            and str(other.amount) == str(self.amount)
            and other.currency == self.currency
        )

    def __repr__(self) -> str:
        return f"Money({self.amount!r}, {self.currency!r})"


class Vector:
    """A family of classes handled by one predicate adapter (anything with ``coords``)."""

    def __init__(self, *coords: float) -> None:
        self.coords = coords

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and values_equal(other.coords, self.coords)  # type: ignore[attr-defined]


class Vector3(Vector):
    pass


class Coordinates(TypeAdapter):
    name = "coordinates"

    def matches(self, cls: type) -> bool:
        return issubclass(cls, Vector)

    def shape(self, cls: type) -> Any:
        return list[float]

    def lower(self, value: Any) -> Any:
        return list(value.coords)

    def lift(self, cls: type, value: Any) -> Any:
        return cls(*value)


@dataclasses.dataclass
class Invoice:
    total: Money
    lines: list[Money]
    at: Vector3 | None = None


MONEY = TypeAdapter.of(
    Money,
    shape=tuple[Decimal, str],
    lower=lambda m: (m.amount, m.currency),
    lift=lambda v: Money(*v),
)


@pytest.fixture
def adapters() -> Iterator[None]:
    register_adapter(MONEY)
    coordinates = register_adapter(Coordinates())
    register_strategy(
        Money,
        st.builds(
            Money,
            st.decimals(allow_nan=False, places=2),
            st.sampled_from(["EUR", "USD", "JPY"]),
        ),
    )
    register_strategy(Vector3, st.lists(st.floats(), max_size=3).map(lambda c: Vector3(*c)))
    yield
    unregister_adapter(MONEY)
    unregister_adapter(coordinates)


@pytest.mark.usefixtures("adapters")
@pytest.mark.parametrize("codec", CODECS)
def test_an_exact_and_a_predicate_adapter_round_trip_nested(codec: str) -> None:
    transport = get_transport(codec)
    invoice = Invoice(
        Money(Decimal("10.50"), "EUR"),
        [Money(Decimal("0.5"), "EUR"), Money(Decimal("-0"), "EUR")],
        Vector3(1.0, float("nan"), -0.0),
    )
    back = transport.deserialize_result(transport.serialize_result(invoice), type_hint=Invoice)
    assert values_equal(back, invoice)
    assert type(back.at) is Vector3


@pytest.mark.usefixtures("adapters")
def test_adapted_types_are_property_tested_in_one_line() -> None:
    check_adapter(Money, max_examples=25)
    check_adapter(Invoice, max_examples=15)


@pytest.mark.usefixtures("adapters")
@pytest.mark.parametrize("codec", CODECS)
def test_a_lift_that_fails_is_a_decode_error_at_the_path(codec: str) -> None:
    transport = get_transport(codec)
    payload = transport.serialize_result({"total": ["1", "EURO"], "lines": []})
    with pytest.raises(DecodeError) as info:
        transport.deserialize_result(payload, type_hint=Invoice)
    assert info.value.path == '$["total"]'
    assert "currency must have 3 letters" in str(info.value)


@pytest.mark.usefixtures("adapters")
@pytest.mark.parametrize("codec", CODECS)
def test_a_lower_that_fails_is_an_encode_error_at_the_path(codec: str) -> None:
    broken = Money(Decimal(1), "EUR")
    del broken.amount
    with pytest.raises(EncodeError) as info:
        get_transport(codec).serialize_result({"x": [broken]})
    assert "Money" in str(info.value) and 'x"][0]' in info.value.path


@pytest.mark.parametrize("codec", CODECS)
def test_a_class_without_an_adapter_names_the_remedy(codec: str) -> None:
    with pytest.raises(EncodeError, match="register a type adapter"):
        get_transport(codec).serialize_result(Money(Decimal(1), "EUR"))
    with pytest.raises(ConfigurationError, match="register a type adapter"):
        get_transport(codec).deserialize_result(
            get_transport(codec).serialize_result(1), type_hint=Money
        )


class Flag(Enum):
    ON = 1


@pytest.mark.parametrize("cls", [int, str, datetime, Decimal, tuple, Flag])
def test_built_in_types_cannot_be_replaced(cls: type) -> None:
    with pytest.raises(ConfigurationError, match="built-in type"):
        register_adapter(TypeAdapter.of(cls, shape=str, lower=str, lift=str))


@dataclasses.dataclass
class Private:
    visible: int
    _hidden: int = 0


@dataclasses.dataclass
class Cached:
    n: int

    @functools.cached_property
    def double(self) -> int:
        return 2 * self.n


@pytest.mark.parametrize("codec", CODECS)
def test_dataclass_fields_orjson_would_drop_or_add_are_carried_exactly(codec: str) -> None:
    transport = get_transport(codec)
    value = Private(1, 2)
    assert (
        transport.deserialize_result(transport.serialize_result(value), type_hint=Private) == value
    )
    cached = Cached(3)
    assert cached.double == 6  # now an instance attribute that is not a field
    back = transport.deserialize_result(transport.serialize_result(cached), type_hint=Cached)
    assert back == cached


def test_the_shipped_adapters_load_only_when_their_library_is_used() -> None:
    code = (
        "import dataclasses, sys\n"
        "from flowwire import JSONTransport\n"
        "@dataclasses.dataclass\n"
        "class A:\n"
        "    x: int\n"
        "t = JSONTransport()\n"
        "assert t.deserialize_result(t.serialize_result(A(1)), type_hint=A) == A(1)\n"
        "loaded = [m for m in ('pydantic', 'attr', 'msgspec') if m in sys.modules]\n"
        "loaded += [m for m in sys.modules if m.startswith('flowwire.transport._adapt_')]\n"
        "print(loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.parametrize("codec", CODECS)
def test_encoding_and_decoding_keep_no_class_alive(codec: str) -> None:
    import gc
    import weakref

    def make() -> type:
        @dataclasses.dataclass
        class Passing:
            n: int
            kind: Flag = Flag.ON

        return Passing

    cls = make()
    transport = get_transport(codec)
    back = transport.deserialize_result(transport.serialize_result(cls(1)), type_hint=cls)
    assert back == cls(1)
    ref = weakref.ref(cls)
    del cls, back
    gc.collect()
    assert ref() is None
