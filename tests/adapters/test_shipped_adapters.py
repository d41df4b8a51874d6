"""The shipped adapters: pydantic v2 models, attrs classes and msgspec.Struct, in every codec.

Each test skips, naming the extra, when its library is not installed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

import pytest
from _extras import requires

from flowwire import get_transport
from flowwire.errors import DecodeError, EncodeError
from flowwire.testing import check_adapter, values_equal
from flowwire.transport import builtin_codecs

CODECS = builtin_codecs()


class Status(Enum):
    PLACED = "placed"
    PAID = "paid"


# -- pydantic ----------------------------------------------------------------------------------


def pydantic_models() -> tuple[type, type]:
    pydantic = requires("pydantic")

    class Line(pydantic.BaseModel):
        sku: str
        price: Decimal
        qty: int = 1

    class Order(pydantic.BaseModel):
        id: str
        when: datetime
        status: Status
        lines: list[Line]
        note: str | None = None
        tags: dict[str, str] = pydantic.Field(default_factory=dict)
        total: Decimal = pydantic.Field(alias="grandTotal", default=Decimal(0))

    return Line, Order


@pytest.mark.parametrize("codec", CODECS)
def test_pydantic_models_round_trip(codec: str) -> None:
    line, order = pydantic_models()
    value = order(
        id="ord-1",
        when=datetime(2024, 3, 10, 3, 30, tzinfo=ZoneInfo("America/New_York")),
        status=Status.PAID,
        lines=[line(sku="a", price=Decimal("1.50")), line(sku="b", price=Decimal("-0"), qty=3)],
        grandTotal=Decimal("1.50"),
    )
    transport = get_transport(codec)
    back = transport.deserialize_result(transport.serialize_result(value), type_hint=order)
    assert back == value and values_equal(back, value)
    assert back.when.tzinfo == ZoneInfo("America/New_York")


def test_pydantic_models_are_property_tested_in_one_line() -> None:
    _, order = pydantic_models()
    check_adapter(order, max_examples=20)


@pytest.mark.parametrize("codec", CODECS)
def test_pydantic_validators_run_on_decode(codec: str) -> None:
    pydantic = requires("pydantic")

    class Checked(pydantic.BaseModel):
        id: str
        when: datetime

        @pydantic.field_validator("id")
        @classmethod
        def id_is_known(cls, value: str) -> str:
            if not value.startswith("ord-"):
                raise ValueError("ids start with ord-")
            return value

    transport = get_transport(codec)
    payload = transport.serialize_result({"id": "bad", "when": datetime(2024, 1, 1, tzinfo=UTC)})
    with pytest.raises(DecodeError, match="ids start with ord-") as info:
        transport.deserialize_result(payload, type_hint=list[Checked] | Checked)
    assert info.value.path == "$"


def test_pydantic_extra_fields_are_refused_rather_than_lost() -> None:
    pydantic = requires("pydantic")

    class Open(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="allow")
        a: int

    with pytest.raises(EncodeError, match="extra fields 'b'"):
        get_transport("json").serialize_result(Open(a=1, b=2))


# -- attrs -------------------------------------------------------------------------------------


try:
    import attrs
except ImportError:  # pragma: no cover - the test below skips, naming the extra
    attrs = None  # type: ignore[assignment]
else:

    @attrs.define
    class AttrsLine:
        sku: str
        price: Decimal = attrs.field(converter=Decimal)

    @attrs.define
    class AttrsOrder:
        id: str
        lines: list[AttrsLine] = attrs.field(factory=list)
        _secret: str = "s"
        status: Status = Status.PLACED
        when: datetime | None = attrs.field(default=None, kw_only=True)
        computed: int = attrs.field(init=False, default=0)


def attrs_classes() -> tuple[type, type]:
    requires("attrs")
    return AttrsLine, AttrsOrder


@pytest.mark.parametrize("codec", CODECS)
def test_attrs_classes_round_trip(codec: str) -> None:
    line, order = attrs_classes()
    value = order("o", [line("a", Decimal("2.10"))], secret="x", when=datetime(2024, 1, 1))
    value.computed = 7
    transport = get_transport(codec)
    back = transport.deserialize_result(transport.serialize_result(value), type_hint=order)
    assert back == value and back.computed == 7


def test_attrs_classes_are_property_tested_in_one_line() -> None:
    _, order = attrs_classes()
    check_adapter(order, max_examples=20)


# -- msgspec -----------------------------------------------------------------------------------


try:
    import msgspec
except ImportError:  # pragma: no cover - the test below skips, naming the extra
    msgspec = None  # type: ignore[assignment]
else:

    class StructLine(msgspec.Struct):
        sku: str
        price: Decimal

    class StructOrder(msgspec.Struct, kw_only=True):
        id: str
        status: Status
        lines: list[StructLine] = []
        when: datetime | None = None


def msgspec_structs() -> tuple[type, type]:
    requires("msgspec")
    return StructLine, StructOrder


@pytest.mark.parametrize("codec", CODECS)
def test_msgspec_structs_round_trip(codec: str) -> None:
    line, order = msgspec_structs()
    value = order(id="o", status=Status.PAID, lines=[line("a", Decimal("1E+3"))])
    transport = get_transport(codec)
    back = transport.deserialize_result(transport.serialize_result(value), type_hint=order)
    assert back == value and str(back.lines[0].price) == "1E+3"


def test_msgspec_structs_are_property_tested_in_one_line() -> None:
    _, order = msgspec_structs()
    check_adapter(order, max_examples=20)
