"""The optional C reader of serialized ``Value`` messages (``flowwire.transport.codecs._pbfast``).

It may answer only what the pure-Python reader answers: for every input it returns the same
value, or ``FALLBACK`` (and the Python reader then decides, errors included). It must answer
(not fall back) for the common shapes it exists for.
"""

from __future__ import annotations

import math
import os
from datetime import timedelta
from typing import Any

import pytest
from _extras import reason
from _protobuf_helpers import varint

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire.errors import DecodeError
from flowwire.testing import values_equal
from flowwire.testing.strategies import extended_scalars
from flowwire.transport.codecs import protobuf
from flowwire.transport.codecs._protobuf_decode import decode_value
from flowwire.transport.codecs.protobuf import ProtobufCodec

if not protobuf.C_ACCELERATED:  # pragma: no cover - installs without a C compiler
    if os.environ.get("FLOWWIRE_REQUIRE_C_EXT") == "1":
        raise AssertionError("the C extension flowwire.transport.codecs._pbfast was not built")
    pytest.skip("the optional C reader is not built here", allow_module_level=True)

from _protobuf_helpers import load_order_pb2

from flowwire.transport.codecs import _pbfast  # only where it was built

Order = load_order_pb2().Order

CODEC = ProtobufCodec()
LIMIT = CODEC.max_depth


def _nested_lists(depth: int) -> bytes:
    data = bytes.fromhex("4200")  # an empty list
    for _ in range(depth):
        item = b"\x0a" + varint(len(data)) + data
        data = b"\x42" + varint(len(item)) + item
    return data


def python_read(data: bytes, limit: int = LIMIT) -> Any:
    return decode_value(data, 0, len(data), 0, limit)


# What the C reader covers: base scalars, bytes, lists, string-keyed maps, tuples, sets and
# the extended scalars (through the Python functions the pure-Python reader uses too).
common = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.binary()
    | extended_scalars().filter(lambda v: not isinstance(v, timedelta) or abs(v.days) < 10**5),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=8), inner, max_size=5)
        | st.lists(inner, max_size=4).map(tuple)
        | st.sets(st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5), max_size=4)
        | st.frozensets(st.uuids() | st.dates(), max_size=3)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(common)
def test_common_shapes_are_read_in_c_exactly_as_in_python(value: Any) -> None:
    data = CODEC.encode(value)
    fast = _pbfast.decode(data, LIMIT)
    assert fast is not _pbfast.FALLBACK, f"C fell back on {value!r}"
    assert values_equal(fast, value)
    assert values_equal(fast, python_read(data))
    assert type(fast) is type(value)


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.integers(min_value=2**63, max_value=2**80) | st.builds(Order, id=st.text(max_size=5)),
        lambda inner: (
            st.lists(inner, min_size=1, max_size=3)
            | st.dictionaries(st.text(max_size=5), inner, min_size=1, max_size=3)
        ),
        max_leaves=6,
    )
)
def test_other_kinds_fall_back_and_decode_in_python(value: Any) -> None:
    data = CODEC.encode(value)
    assert _pbfast.decode(data, LIMIT) is _pbfast.FALLBACK
    assert values_equal(CODEC.decode(data), python_read(data))


@settings(max_examples=1500, deadline=None)
@given(st.data())
def test_on_any_bytes_c_answers_what_python_answers_or_falls_back(data: st.DataObject) -> None:
    # Valid encodings with bytes flipped, cut or appended, and raw garbage.
    base = CODEC.encode(data.draw(common, label="value"))
    mutated = data.draw(
        st.one_of(
            st.binary(max_size=64),
            st.integers(0, max(len(base) - 1, 0)).map(lambda i: base[:i]),
            st.tuples(st.integers(0, max(len(base) - 1, 0)), st.integers(0, 255)).map(
                lambda p: base[: p[0]] + bytes((p[1],)) + base[p[0] + 1 :]
            ),
            st.binary(max_size=8).map(lambda extra: base + extra),
        ),
        label="bytes",
    )
    fast = _pbfast.decode(mutated, LIMIT)
    if fast is _pbfast.FALLBACK:
        return
    assert values_equal(fast, python_read(mutated)), mutated.hex()


def _ld(tag: int, body: bytes) -> bytes:
    """A length-delimited field: tag byte, varint length, body."""
    return bytes((tag,)) + varint(len(body)) + body


def _entry(key: bytes, value: bytes) -> bytes:
    return _ld(0x0A, _ld(0x0A, key) + _ld(0x12, value))


INT_5, INT_6 = b"\x18\x0a", b"\x18\x0c"  # int_value 5 and 6, zig-zag encoded


@pytest.mark.parametrize(
    "data",
    [
        _ld(0x4A, _entry(b"a", INT_5) + _entry(b"a", INT_6)),  # a duplicate key
        _ld(0x4A, _ld(0x0A, _ld(0x12, INT_5) + _ld(0x0A, b"a"))),  # value before key
        _ld(0x4A, _ld(0x0A, _ld(0x0A, b"a"))),  # an entry without a value
        _ld(0x32, b"\xff"),  # a string that is not UTF-8
        _ld(0x4A, _entry(b"\xff", INT_5)),  # a key that is not UTF-8
        b"\x08\x01",  # null_value 1
        INT_5 + INT_6,  # two kinds in one Value
        b"",  # no kind at all
        _ld(0x42, b"\x12\x00"),  # a list with an unknown field number 2
        b"\x18" + b"\x80" * 9 + b"\x02",  # a varint over 64 bits
        b"\x29\x00\x00\x00",  # a truncated double
        _ld(0x42, _ld(0x0A, INT_5))[:-1],  # a truncated list
        b"\x22\x01\x01",  # big_int_value (field 4): a kind only the Python reader reads
        b"\x9a\x01\x01x",  # decimal_value "x": the Python reader names the problem
        b"\x6a\x05night",  # datetime_value "night"
        b"\x92\x01\x03abc",  # uuid_value of 3 bytes
        _ld(0x5A, _ld(0x0A, _ld(0x42, b""))),  # a set of an (unhashable) list
    ],
)
def test_irregular_input_is_left_to_the_python_reader(data: bytes) -> None:
    assert _pbfast.decode(data, LIMIT) is _pbfast.FALLBACK


def test_the_codec_still_raises_decode_error_with_the_path() -> None:
    data = _ld(0x4A, _entry(b"a", INT_5) + _entry(b"a", INT_6))
    with pytest.raises(DecodeError, match="duplicate keys"):
        CODEC.decode(data)
    nested = CODEC.encode({"k": ["ok", "ok"]}).replace(b"\x32\x02ok", b"\x32\x02o\xff", 1)
    with pytest.raises(DecodeError) as info:
        CODEC.decode(nested)
    assert info.value.path == '$["k"][0]'


@pytest.mark.parametrize("limit", [0, 1, 5, 100])
def test_max_depth_is_the_codecs(limit: int) -> None:
    deep: Any = 1
    for _ in range(limit + 1):
        deep = [deep]
    data = ProtobufCodec(max_depth=limit + 1).encode(deep)
    assert _pbfast.decode(data, limit) is _pbfast.FALLBACK
    with pytest.raises(DecodeError, match=f"max_depth={limit}"):
        ProtobufCodec(max_depth=limit).decode(data)
    assert values_equal(_pbfast.decode(data, limit + 1), deep)


def test_c_recursion_is_bounded_whatever_max_depth_says() -> None:
    data = _nested_lists(5_000)
    assert _pbfast.decode(data, 10_000_000) is _pbfast.FALLBACK  # no crash, just "not mine"


def test_floats_keep_their_bits() -> None:
    for value in (math.nan, -0.0, math.inf, -math.inf, 5e-324, 1.7976931348623157e308):
        fast = _pbfast.decode(CODEC.encode(value), LIMIT)
        assert math.copysign(1, fast) == math.copysign(1, value)
        assert (math.isnan(fast) and math.isnan(value)) or fast == value


def test_bad_arguments_are_a_type_error() -> None:
    with pytest.raises(TypeError):
        _pbfast.decode(memoryview(b"\x08\x00"), LIMIT)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _pbfast.decode(b"\x08\x00")  # type: ignore[call-arg]


def python_arguments(data: bytes) -> Any:
    return CODEC._decode_arguments(data, False)


arguments = st.tuples(
    st.lists(common, max_size=4),
    st.dictionaries(st.text(max_size=8), common, max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(arguments)
def test_arguments_are_read_in_c_exactly_as_in_python(call: Any) -> None:
    args, kwargs = call
    data = CODEC.encode_arguments(args, kwargs)
    fast = _pbfast.decode_arguments(data, LIMIT)
    assert fast is not _pbfast.FALLBACK, f"C fell back on {call!r}"
    assert values_equal(fast[0], args) and values_equal(fast[1], kwargs)
    expected = python_arguments(data)
    assert values_equal(list(fast[0]), expected[0]) and values_equal(fast[1], expected[1])


@settings(max_examples=800, deadline=None)
@given(st.data())
def test_on_any_arguments_bytes_c_answers_what_python_answers_or_falls_back(
    data: st.DataObject,
) -> None:
    base = CODEC.encode_arguments(*data.draw(arguments, label="call"))
    mutated = data.draw(
        st.one_of(
            st.binary(max_size=64),
            st.integers(0, max(len(base) - 1, 0)).map(lambda i: base[:i]),
            st.tuples(st.integers(0, max(len(base) - 1, 0)), st.integers(0, 255)).map(
                lambda p: base[: p[0]] + bytes((p[1],)) + base[p[0] + 1 :]
            ),
        ),
        label="bytes",
    )
    fast = _pbfast.decode_arguments(mutated, LIMIT)
    if fast is _pbfast.FALLBACK:
        return
    try:
        expected = python_arguments(mutated)
    except Exception as exc:  # pragma: no cover - a disagreement: show it
        raise AssertionError(f"C read {fast!r}, Python raised {exc!r}: {mutated.hex()}") from exc
    assert values_equal(fast[0], expected[0]) and values_equal(fast[1], expected[1])


def test_irregular_arguments_are_left_to_the_python_reader() -> None:
    entry = _entry(b"a", INT_5)
    for data in (
        bytes((0x12,)) + entry[1:] + bytes((0x12,)) + entry[1:],  # a duplicate keyword
        b"\x1a\x00",  # an unknown field 3
        b"\x0a\x05" + INT_5,  # a truncated argument
    ):
        assert _pbfast.decode_arguments(data, LIMIT) is _pbfast.FALLBACK
