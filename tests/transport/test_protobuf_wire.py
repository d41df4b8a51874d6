"""The hand-written wire format of ProtobufCodec against the generated classes, other
producers' (non-canonical but valid) encodings, and hostile input."""

from __future__ import annotations

import contextlib
import math
import tracemalloc
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from _extras import reason
from _protobuf_helpers import field, load_order_pb2

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire import DecodeError
from flowwire._proto.flowwire.v1 import value_pb2 as pb
from flowwire.testing import strategies
from flowwire.transport.codecs.protobuf import ProtobufCodec
from flowwire.transport.model import _model

pytestmark = pytest.mark.usefixtures("implementation")

order_pb2: Any = load_order_pb2()
codec = ProtobufCodec()


# -- a reference converter through the generated classes (slow, obviously correct) ----------


def to_pb(value: Any) -> pb.Value:
    out = pb.Value()
    cls = type(value)
    if value is None:
        out.null_value = pb.NULL_VALUE
    elif cls is bool:
        out.bool_value = value
    elif cls is int:
        if -(2**63) <= value < 2**63:
            out.int_value = value
        else:
            out.big_int_value = _signed(value)
    elif cls is float:
        out.double_value = value
    elif cls is str:
        out.string_value = value
    elif cls is bytes:
        out.bytes_value = value
    elif cls in (list, tuple, set, frozenset):
        target = {
            list: out.list_value,
            tuple: out.tuple_value,
            set: out.set_value,
            frozenset: out.frozenset_value,
        }[cls]
        target.SetInParent()
        items = _model.sorted_items(value) if cls in (set, frozenset) else value
        target.items.extend(to_pb(v) for v in items)
    elif cls is dict:
        out.map_value.SetInParent()
        for key, item in value.items():
            out.map_value.entries.add(key=key).value.CopyFrom(to_pb(item))
    elif cls is datetime:
        out.datetime_value = _model.format_datetime(value, "$")
    elif cls is date:
        out.date_value = value.isoformat()
    elif cls is time:
        out.time_value = _model.format_time(value, "$")
    elif cls is timedelta:
        micros = _model.timedelta_micros(value)
        if -(2**63) <= micros < 2**63:
            out.timedelta_value = micros
        else:
            out.big_timedelta_value = _signed(micros)
    elif cls is UUID:
        out.uuid_value = value.bytes
    elif cls is Decimal:
        out.decimal_value = str(value)
    else:
        out.message_value.type_name = value.DESCRIPTOR.full_name
        out.message_value.data = value.SerializeToString(deterministic=True)
    return out


def _signed(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 8) // 8, "big", signed=True)


def from_pb(value: pb.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "null_value":
        return None
    if kind in ("big_int_value",):
        return int.from_bytes(value.big_int_value, "big", signed=True)
    if kind in ("list_value", "tuple_value", "set_value", "frozenset_value"):
        items = [from_pb(v) for v in getattr(value, kind).items]
        return {"list_value": list, "tuple_value": tuple, "set_value": set}.get(kind, frozenset)(
            items
        )
    if kind == "map_value":
        return {e.key: from_pb(e.value) for e in value.map_value.entries}
    if kind == "datetime_value":
        return _model.parse_datetime(value.datetime_value, "$")
    if kind == "date_value":
        return date.fromisoformat(value.date_value)
    if kind == "time_value":
        return _model.parse_time(value.time_value, "$")
    if kind == "timedelta_value":
        return timedelta(microseconds=value.timedelta_value)
    if kind == "big_timedelta_value":
        return timedelta(microseconds=int.from_bytes(value.big_timedelta_value, "big", signed=True))
    if kind == "uuid_value":
        return UUID(bytes=value.uuid_value)
    if kind == "decimal_value":
        return Decimal(value.decimal_value)
    if kind == "message_value":
        return value.message_value.data
    return getattr(value, kind)


# The generated parser allows 100 nested messages: a list costs two, a map three.
interop_values = strategies.values_for("protobuf", max_leaves=30)


@given(interop_values)
def test_bytes_equal_the_generated_classes(value: Any) -> None:
    assert codec.encode(value) == to_pb(value).SerializeToString(deterministic=True)


@given(interop_values)
def test_decodes_what_the_generated_classes_write(value: Any) -> None:
    assert strategies.values_equal(codec.decode(to_pb(value).SerializeToString()), value)


@given(interop_values)
def test_generated_classes_read_what_the_codec_writes(value: Any) -> None:
    parsed = pb.Value.FromString(codec.encode(value))
    assert strategies.values_equal(from_pb(parsed), value)


@given(strategies.arguments(extended=True))
def test_arguments_equal_the_generated_classes(
    call: tuple[tuple[Any, ...], dict[str, Any]],
) -> None:
    args, kwargs = call
    message = pb.Arguments(args=[to_pb(a) for a in args])
    for key, item in kwargs.items():
        message.kwargs.add(key=key).value.CopyFrom(to_pb(item))
    expected = message.SerializeToString(deterministic=True)
    assert codec.encode_arguments(list(args), kwargs) == expected
    got_args, got_kwargs = codec.decode_arguments(expected)
    assert strategies.values_equal(got_args, list(args))
    assert strategies.values_equal(got_kwargs, kwargs)


def test_embedded_message_matches_the_generated_classes() -> None:
    order = order_pb2.Order(id="o-1", items=[order_pb2.LineItem(sku="a", quantity=3)])
    data = codec.encode([order])
    assert data == to_pb([order]).SerializeToString()
    parsed = pb.Value.FromString(data).list_value.items[0].message_value
    assert parsed.type_name == "flowwire.testdata.v1.Order"
    assert order_pb2.Order.FromString(parsed.data) == order


def test_type_name_is_never_used() -> None:
    """A type name naming code to import changes nothing: only the bytes come back."""
    message = pb.Value()
    message.message_value.type_name = "os.system"
    message.message_value.data = b"\x0a\x01x"
    assert codec.decode(message.SerializeToString()) == b"\x0a\x01x"


# -- valid encodings other producers may write -----------------------------------------------


STR_A = field(6, b"a")  # Value{string_value: "a"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # map entry with the value before the key
        (field(9, field(1, field(2, STR_A) + field(1, b"k"))), {"k": "a"}),
        # an unknown varint field before the kind, and unknown fields in every message
        (b"\xa8\x1f\x05" + STR_A, "a"),
        (field(8, field(1, STR_A) + b"\x10\x01" + field(1, STR_A)), ["a", "a"]),
        (
            field(
                9,
                b"\x18\x07" + field(1, field(1, b"k") + b"\x25\x00\x00\x00\x00" + field(2, STR_A)),
            ),
            {"k": "a"},
        ),
        # a key given twice: the last one wins, as in protobuf
        (field(9, field(1, field(1, b"x") + field(1, b"k") + field(2, STR_A))), {"k": "a"}),
        # the empty key is omitted by proto3 writers
        (field(9, field(1, field(2, STR_A))), {"": "a"}),
        # lengths written with more varint bytes than needed
        (b"\x32\x81\x00a", "a"),
        (b"\x42\x85\x00" + field(1, STR_A), ["a"]),
        # a small integer in the big form, and the big form's sign
        (field(4, b"\x05"), 5),
        (field(4, b"\xff"), -1),
        (field(4, b"\x00\x80"), 128),
        # bool as any non-zero varint
        (b"\x10\x05", True),
        (b"\x10\x80\x01", True),
        # multi-byte zig-zag ints
        (b"\x18\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 2**63 - 1),
        (b"\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", -(2**63)),
        # an embedded message without a type name
        (field(20, field(2, b"\x08\x01")), b"\x08\x01"),
        (field(20, b""), b""),
        # empty containers
        (b"\x42\x00", []),
        (b"\x4a\x00", {}),
        (b"\x52\x00", ()),
        (b"\x62\x00", frozenset()),
        # as Google's runtime reads them (test_protobuf_runtime.py checks this generally):
        (STR_A + b"\x18\x02", 1),  # a later kind replaces an earlier one
        (b"\x08\x01", None),  # null_value is an open enum
        (field(8, b"\x08\x01") + STR_A, "a"),  # items of another wire type: unknown
        (b"\x30\x01" + STR_A, "a"),  # a known field of another wire type: unknown
        (b"\x0b\x0c" + STR_A, "a"),  # an unknown (empty) group
    ],
)
def test_valid_non_canonical_encodings(data: bytes, expected: Any) -> None:
    assert strategies.values_equal(codec.decode(data), expected)
    assert pb.Value.FromString(data).WhichOneof("kind")  # and protobuf agrees it is valid


def test_arguments_in_any_field_order() -> None:
    a1, a2 = field(1, STR_A), field(1, field(50, b"") + b"\x18\x02")
    kw = field(2, field(1, b"k") + field(2, b"\x08\x00"))
    assert codec.decode_arguments(a1 + kw + a2) == (["a", 1], {"k": None})
    assert codec.decode_arguments(kw + a1) == (["a"], {"k": None})
    assert codec.decode_arguments(b"") == ([], {})
    assert codec.decode_arguments(b"\x18\x01" + a1) == (["a"], {})  # unknown field skipped


# -- malformed and hostile input: DecodeError, nothing else ---------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "no kind"),
        (b"\xa8\x1f\x05", "no kind"),
        (b"\x30\x01", "no kind"),  # a string field as a varint: unknown, so no kind
        (b"\x32\x05ab", "declares 5 bytes"),
        (b"\x3a\xff\xff\xff\xff\x0f", "only 0 are left"),
        (b"\x3a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "varint"),
        (b"\x18", "truncated varint"),
        (b"\x29\x00\x00", "truncated"),
        (b"\x0b", "group 1 is not closed"),
        (b"\x0c", "without its start"),
        (b"\x00\x00", "field number 0"),
        (field(4, b""), "no bytes"),
        (field(18, b"\x00" * 15), "16 bytes"),
        (field(19, b"1.2.3"), "decimal"),
        (field(13, b"2024-13-01T00:00:00"), "datetime"),
        (field(13, b"2024-01-01T00:00:00[Nowhere/City]"), "zone"),
        (field(14, b"2024-1-1"), "date"),
        (field(15, b"25:00"), "time"),
        (field(17, (10**20).to_bytes(9, "big", signed=True)), "timedelta"),
        (field(6, b"\xff\xfe"), "UTF-8"),
        (field(6, b"\xed\xa0\x80"), "UTF-8"),  # an encoded surrogate
        (field(9, field(1, field(1, b"k") + field(2, STR_A)) * 2), "duplicate keys"),
        (field(9, field(1, field(1, b"k"))), "has no value"),
        (field(9, field(1, b"\x12\x05" + STR_A)), "declares 5 bytes"),
        (b"\x0f", "wire type 7"),
    ],
)
def test_malformed_input(data: bytes, words: str) -> None:
    with pytest.raises(DecodeError) as info:
        codec.decode(data)
    assert words in str(info.value)


def test_decode_errors_name_the_path() -> None:
    data = field(
        9,
        field(
            1,
            field(1, b"outer") + field(2, field(8, field(1, STR_A) + field(1, field(6, b"\xff")))),
        ),
    )
    with pytest.raises(DecodeError) as info:
        codec.decode(data)
    assert info.value.path == '$["outer"][1]'
    bad_kwarg = field(2, field(1, b"when") + field(2, field(13, b"nope")))
    with pytest.raises(DecodeError) as info:
        codec.decode_arguments(bad_kwarg)
    assert info.value.path == '$.kwargs["when"]'


def _deep_lists(depth: int) -> bytes:
    value = b"\x08\x00"
    for _ in range(depth):
        value = field(8, field(1, value))
    return value


def test_nesting_bomb_is_refused_by_max_depth() -> None:
    with pytest.raises(DecodeError, match="max_depth=100"):
        codec.decode(_deep_lists(5000))


def test_nesting_beyond_the_python_stack_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        ProtobufCodec(max_depth=10**6).decode(_deep_lists(20_000))


def check_decode(decode: Any, data: bytes) -> None:
    """Decoding returns, or raises a DecodeError the decoder itself diagnosed (the catch-all
    guard, which names a foreign exception type, must never be needed)."""
    try:
        decode(data)
    except DecodeError as exc:
        assert "could not be decoded" not in str(exc), exc


SAMPLES = [
    {"a": [1, -2, 3.5, None, True, "x" * 130], "b": {"c": b"\x00\x01", "d": (1, {2, 3})}},
    [datetime(2024, 1, 1), date(2024, 2, 2), timedelta(seconds=5), UUID(int=1), Decimal("1.5")],
    {"k" * 200: ["v" * 300, 2**70, -(2**80)]},
]


@pytest.mark.parametrize("value", SAMPLES)
def test_every_truncation_is_a_decode_error(value: Any) -> None:
    data = codec.encode(value)
    for cut in range(len(data)):
        with pytest.raises(DecodeError):
            codec.decode(data[:cut])
    args = codec.encode_arguments([value], {"v": value})
    for cut in range(len(args)):
        # a cut at a field boundary is a valid, shorter Arguments message
        with contextlib.suppress(DecodeError):
            codec.decode_arguments(args[:cut])


@pytest.mark.parametrize("value", SAMPLES)
def test_bit_flips_raise_only_decode_errors(value: Any) -> None:
    data = bytearray(codec.encode(value))
    for bit in range(len(data) * 8):
        data[bit // 8] ^= 1 << (bit % 8)
        check_decode(codec.decode, bytes(data))
        data[bit // 8] ^= 1 << (bit % 8)


@given(st.binary(max_size=200))
@settings(max_examples=300)
def test_random_bytes_raise_only_decode_errors(data: bytes) -> None:
    for decode in (codec.decode, codec.decode_arguments):
        check_decode(decode, data)


@given(interop_values, st.data())
@settings(max_examples=100)
def test_mutated_encodings_raise_only_decode_errors(value: Any, data: st.DataObject) -> None:
    encoded = bytearray(codec.encode(value))
    for _ in range(data.draw(st.integers(1, 4))):
        if not encoded:
            break
        at = data.draw(st.integers(0, len(encoded) - 1))
        encoded[at] = data.draw(st.integers(0, 255))
    check_decode(codec.decode, bytes(encoded))


def test_huge_declared_lengths_do_not_allocate() -> None:
    # 16 bytes claiming a 2**62-byte string, list and map: refused before anything is read
    for tag in (b"\x32", b"\x3a", b"\x42", b"\x4a", b"\x22"):
        with pytest.raises(DecodeError, match="are left"):
            codec.decode(tag + b"\x80\x80\x80\x80\x80\x80\x80\x80\x40" + b"\x00" * 6)


def test_small_hostile_payloads_allocate_little() -> None:
    """Declared sizes are never trusted: a few bytes claiming gigabytes allocate kilobytes."""
    huge = b"\xff\xff\xff\xff\x0f"  # 4 GiB
    payloads = [tag + huge + b"\x00" * 8 for tag in (b"\x32", b"\x3a", b"\x42", b"\x4a", b"\x22")]
    payloads += [field(8, field(1, b"\x32" + huge)), field(9, field(1, b"\x0a" + huge))]
    payloads += [b"\x42\x0a" + b"\x0a\x02\x08\x00" * 2 + b"\x0a" + huge]
    tracemalloc.start()
    try:
        for data in payloads:
            with pytest.raises(DecodeError):
                codec.decode(data)
            with pytest.raises(DecodeError):
                codec.decode_arguments(b"\x0a" + huge + data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024, peak


def test_many_small_items() -> None:
    item = field(1, b"\x08\x00")
    assert codec.decode(field(8, item * 1000)) == [None] * 1000


def test_nan_payload_bits_survive() -> None:
    data = b"\x29" + bytes.fromhex("010000000000f87f")
    value = codec.decode(data)
    assert math.isnan(value)
    assert codec.encode(value) == data
