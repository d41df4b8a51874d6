"""ProtobufCodec and ProtobufTransport: exact round trips, errors with paths, limits."""

from __future__ import annotations

import dataclasses
import enum
import importlib.util
import math
from collections import namedtuple
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from _extras import reason
from _protobuf_helpers import load_order_pb2

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire import ConfigurationError, DecodeError, EncodeError, get_transport
from flowwire.testing import strategies
from flowwire.transport import builtin_codecs
from flowwire.transport.codecs.protobuf import ProtobufCodec, ProtobufTransport

pytestmark = pytest.mark.usefixtures("implementation")

order_pb2: Any = load_order_pb2()
codec = ProtobufCodec()


def round_trip(value: Any) -> Any:
    return codec.decode(codec.encode(value))


# -- exact round trips -----------------------------------------------------------------------

EXACT = [
    None,
    True,
    False,
    0,
    -1,
    63,
    -64,
    1023,
    1024,
    2**63 - 1,
    -(2**63),
    2**63,
    -(2**63) - 1,
    2**64,
    10**100,
    -(10**100),
    0.0,
    -0.0,
    1.5,
    math.inf,
    -math.inf,
    5e-324,
    "",
    "héllo wörld ✓ 𝄞",
    "x" * 125,
    "x" * 126,
    "x" * 5000,
    b"",
    b"\x00\xff" * 100,
    [],
    [[[]]],
    {},
    {"": None},
    {"b": 1, "a": 2, "c": {"z": [1, "2", 3.0, None, True]}},
    (),
    (1, "a", (2.5,)),
    set(),
    {1, 2, 3},
    {"a", "b"},
    frozenset(),
    frozenset({date(2024, 1, 1), date(1999, 12, 31)}),
    datetime(2024, 3, 10, 2, 30, 15, 123456),
    datetime(2024, 3, 10, 2, 30, tzinfo=UTC),
    datetime(2024, 3, 10, 2, 30, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(2024, 11, 3, 1, 30, tzinfo=ZoneInfo("America/New_York")),
    datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
    date(1, 1, 1),
    date(9999, 12, 31),
    time(0, 0),
    time(23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=2))),
    timedelta(0),
    timedelta(days=-1, microseconds=1),
    timedelta.max,
    timedelta.min,
    UUID("12345678-1234-5678-1234-567812345678"),
    Decimal("1.10"),
    Decimal("-0"),
    Decimal("1E+30"),
    Decimal("NaN"),
    Decimal("-sNaN"),
    Decimal("-Infinity"),
    Decimal("3.14159265358979323846264338327950288419716939937510"),
]


def _case_id(value: Any) -> str:
    """A test id that is the same in every process (a set's repr follows the hash seed, and
    pytest-xdist workers must collect identical ids)."""
    shown = sorted(map(repr, value)) if isinstance(value, set | frozenset) else repr(value)
    return f"{type(value).__name__}:{shown!s:.30}"


@pytest.mark.parametrize("value", EXACT, ids=_case_id)
def test_exact_round_trip(value: Any) -> None:
    assert strategies.values_equal(round_trip(value), value)


def test_nan_keeps_its_bits() -> None:
    out = round_trip([math.nan, -math.nan])
    assert all(math.isnan(x) for x in out)
    assert math.copysign(1.0, out[1]) == -1.0


def test_key_order_is_kept() -> None:
    value = {str(k): k for k in (5, 3, 9, 1, 7)}
    assert list(round_trip(value)) == ["5", "3", "9", "1", "7"]


def test_memoryview_and_bytearray_inputs_decode() -> None:
    data = codec.encode({"a": [1, 2]})
    assert codec.decode(bytearray(data)) == {"a": [1, 2]}
    assert codec.decode(memoryview(data)) == {"a": [1, 2]}


@given(strategies.values_for("protobuf"))
def test_property_round_trip(value: Any) -> None:
    assert strategies.values_equal(round_trip(value), value)


@given(strategies.values_for("protobuf", max_leaves=60))
@settings(max_examples=50)
def test_property_large_values_round_trip(value: Any) -> None:
    """Bigger values take the multi-byte length paths."""
    assert strategies.values_equal(round_trip(value), value)


@given(st.text(), st.text(min_size=120, max_size=300))
def test_property_long_keys_and_values(key: str, text: str) -> None:
    value = {key * 3: text, "k": [text, {text: key}]}
    assert strategies.values_equal(round_trip(value), value)


@given(strategies.arguments(extended=True))
def test_property_arguments_round_trip(call: tuple[tuple[Any, ...], dict[str, Any]]) -> None:
    args, kwargs = call
    got_args, got_kwargs = codec.decode_arguments(codec.encode_arguments(list(args), kwargs))
    assert strategies.values_equal(got_args, list(args))
    assert strategies.values_equal(got_kwargs, kwargs)


def test_large_bodies_and_multi_byte_lengths() -> None:
    value = {"items": [f"item {i}" for i in range(5000)], "n": list(range(-70, 2000))}
    data = codec.encode(value)
    assert len(data) > 2**16  # lengths of three varint bytes
    assert round_trip(value) == value


def test_encoding_is_deterministic() -> None:
    value = {"s": {3, 1, 2}, "f": frozenset({"b", "a"}), "d": {"x": 1}}
    assert codec.encode(value) == codec.encode(dict(value))
    assert codec.encode({3, 1, 2}) == codec.encode({2, 3, 1})


# -- lowered types -----------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    GREEN = 2


@dataclasses.dataclass
class Point:
    x: int
    y: Decimal


Pair = namedtuple("Pair", "left right")


class Text(str):
    pass


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Color.RED, "red"),
        (Color.GREEN, 2),
        (Point(1, Decimal("2.50")), {"x": 1, "y": Decimal("2.50")}),
        (Pair(1, "b"), (1, "b")),
        (Text("t"), "t"),
        ({Text("k"): 1}, {"k": 1}),
        (bytearray(b"ab"), b"ab"),
        (memoryview(b"cd"), b"cd"),
        (frozenset({Point(1, Decimal(1)).x}), frozenset({1})),
    ],
)
def test_lowered_values(value: Any, expected: Any) -> None:
    assert strategies.values_equal(round_trip(value), expected)


def test_set_of_unhashable_lowered_items_decodes_as_list() -> None:
    @dataclasses.dataclass(frozen=True)
    class Item:
        n: int

    assert round_trip({Item(1)}) == [{"n": 1}]


def test_protobuf_message_is_carried_as_bytes() -> None:
    order = order_pb2.Order(id="o-1", status=order_pb2.ORDER_STATUS_PAID, note="")
    order.labels["b"] = "2"
    order.labels["a"] = "1"
    assert round_trip(order) == order.SerializeToString(deterministic=True)
    assert round_trip({"order": order}) == {"order": order.SerializeToString(deterministic=True)}


# -- encode errors name the path -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "path", "words"),
    [
        ({"a": {1: 2}}, '$["a"]', "keys must be str"),
        ([1, [2, "\ud800"]], "$[1][1]", "UTF-8"),
        ({"\udc80": 1}, "$", "UTF-8"),
        ({"x": [object()]}, '$["x"][0]', "not part of the value model"),
        ((1, {complex(1, 2)}), "$[1][0]", "not part of the value model"),
        ({"when": datetime(2024, 1, 1, tzinfo=timezone(timedelta(0), "Z"))}, '$["when"]', "name"),
        ({"t": [time(1, tzinfo=ZoneInfo("UTC"))]}, '$["t"][0]', "tzinfo"),
    ],
)
def test_encode_error_paths(value: Any, path: str, words: str) -> None:
    with pytest.raises(EncodeError) as info:
        codec.encode(value)
    assert info.value.path == path
    assert words in str(info.value)


def test_encode_arguments_error_paths() -> None:
    with pytest.raises(EncodeError) as info:
        codec.encode_arguments([1, {"q": [object()]}], {})
    assert info.value.path == '$.args[1]["q"][0]'
    with pytest.raises(EncodeError) as info:
        codec.encode_arguments([], {"when": {"q": {1: 1}}})
    assert info.value.path == '$.kwargs["when"]["q"]'


# -- depth -----------------------------------------------------------------------------------


def nested(depth: int, inner: Any = 0) -> Any:
    value = inner
    for n in range(depth):
        value = [value] if n % 2 else {"k": value}
    return value


def test_max_depth_on_encode_and_decode() -> None:
    shallow = ProtobufCodec(max_depth=5)
    assert shallow.decode(shallow.encode(nested(5))) == nested(5)
    with pytest.raises(EncodeError, match="max_depth=5"):
        shallow.encode(nested(6))
    deep_bytes = ProtobufCodec(max_depth=6).encode(nested(6))
    with pytest.raises(DecodeError, match="max_depth=5"):
        shallow.decode(deep_bytes)


def test_default_depth_matches_the_other_codecs() -> None:
    assert ProtobufCodec().max_depth == get_transport("json").codec.max_depth  # type: ignore[attr-defined]
    value = nested(100)
    assert round_trip(value) == value
    with pytest.raises(EncodeError):
        codec.encode(nested(101))


def test_depth_beyond_the_python_stack_is_an_error_not_a_crash() -> None:
    huge = ProtobufCodec(max_depth=10**6)
    value = nested(50_000)
    with pytest.raises(EncodeError, match="too deeply"):
        huge.encode(value)


def test_negative_max_depth_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="max_depth"):
        ProtobufCodec(max_depth=-1)


# -- the transport ----------------------------------------------------------------------------


def test_registry_builds_the_protobuf_transport() -> None:
    transport = get_transport("protobuf")
    assert isinstance(transport, ProtobufTransport)
    assert transport.codec.name == "protobuf"


def test_transport_options_reach_the_codec() -> None:
    transport = ProtobufTransport(max_depth=3, max_payload_chars=1000)
    assert isinstance(transport.codec, ProtobufCodec)
    assert transport.codec.max_depth == 3
    with pytest.raises(EncodeError):
        transport.serialize_result(nested(4))


def test_transport_rebuilds_typed_protobuf_messages() -> None:
    transport = ProtobufTransport()
    order = order_pb2.Order(id="o-7", items=[order_pb2.LineItem(sku="s", quantity=2)])

    def run(order: order_pb2.Order, when: datetime, *, tags: frozenset[str]) -> None: ...

    when = datetime(2024, 5, 1, 12, tzinfo=ZoneInfo("Europe/Paris"))
    payload = transport.serialize_arguments([order, when], {"tags": frozenset({"x"})})
    args, kwargs = transport.deserialize_arguments(payload, signature=run)
    assert args == (order, when) and type(args[0]) is order_pb2.Order
    assert kwargs == {"tags": frozenset({"x"})}
    result = transport.deserialize_result(
        transport.serialize_result([order, order]), type_hint=list[order_pb2.Order]
    )
    assert result == [order, order]


def test_transport_round_trips_extended_types_without_annotations() -> None:
    transport = ProtobufTransport()
    value = {"t": (1, 2), "d": Decimal("1.50"), "u": UUID(int=7), "s": {1, 2}}
    assert transport.deserialize_result(transport.serialize_result(value)) == value
    args, kwargs = transport.deserialize_arguments(transport.serialize_arguments((1,), value))
    assert args == (1,) and kwargs == value


@given(strategies.typed_values())
@settings(max_examples=60)
def test_property_typed_values_through_the_transport(pair: tuple[Any, Any]) -> None:
    hint, value = pair
    transport = ProtobufTransport(max_payload_chars=None)
    got = transport.deserialize_result(transport.serialize_result(value), type_hint=hint)
    assert strategies.values_equal(got, value)


def test_same_value_decodes_equal_from_every_codec() -> None:
    value = {"a": [1, 2.5, None, "x", b"\x00"], "big": 2**70, "nan": -0.0}
    results = [
        get_transport(name).deserialize_result(get_transport(name).serialize_result(value))
        for name in tuple(builtin_codecs())
    ]
    assert all(strategies.values_equal(r, value) for r in results)


def test_docs_worked_example_matches_the_code() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "transport" / "protobuf.md"
    payload = ProtobufTransport().serialize_arguments(("hello", 42), {"flag": True})
    assert payload in page.read_text(), payload


def test_bench_script_runs_and_checks_itself() -> None:
    """bench/protobuf_value.py asserts that its naive reference writes the codec's bytes."""
    path = Path(__file__).resolve().parents[2] / "bench" / "protobuf_value.py"
    spec = importlib.util.spec_from_file_location("bench_protobuf_value", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    medians = module.run(1, quick=True)
    assert set(medians) >= {"record protobuf encode", "1MiB protobuf decode"}
    assert all(seconds > 0 for seconds in medians.values())
