"""flowwire's protobuf reader reads what Google's runtime reads (issue 16), both the pure-Python
reader and the C one: a differential test on generated wire bytes (repeated message fields,
repeated scalars, unknown fields and groups, known fields of another wire type, invalid UTF-8,
long varints), plus the cases of the issue spelled out."""

from __future__ import annotations

import math
from typing import Any

import pytest
from _extras import reason
from google.protobuf.message import DecodeError as PbDecodeError

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import example, given, settings
from hypothesis import strategies as st

from flowwire._proto.flowwire.v1 import value_pb2 as pb
from flowwire.errors import DecodeError
from flowwire.testing import values_equal
from flowwire.transport.codecs.protobuf import ProtobufCodec
from flowwire.transport.model import _model

pytestmark = pytest.mark.usefixtures("implementation")

codec = ProtobufCodec()


class NoValue(Exception):
    """What the runtime read has no flowwire value: flowwire must raise DecodeError."""


def runtime_value(value: Any) -> Any:
    """The flowwire value of a ``Value`` as the runtime parsed it (the value-model mapping)."""
    kind = value.WhichOneof("kind")
    if kind is None:
        raise NoValue("no kind")
    if kind == "null_value":
        return None
    if kind in ("list_value", "tuple_value", "set_value", "frozenset_value"):
        items = [runtime_value(v) for v in getattr(value, kind).items]
        if kind == "list_value":
            return items
        if kind == "tuple_value":
            return tuple(items)
        try:
            return set(items) if kind == "set_value" else frozenset(items)
        except TypeError:
            return items
    if kind == "map_value":
        out = {}
        for entry in value.map_value.entries:
            if entry.key in out:
                raise NoValue("duplicate key")
            out[entry.key] = runtime_value(entry.value)
        return out
    if kind == "message_value":
        return value.message_value.data
    try:
        return _scalar(value, kind)
    except (DecodeError, ValueError, ArithmeticError) as exc:
        raise NoValue(str(exc)) from exc


def _scalar(value: Any, kind: str) -> Any:
    raw = getattr(value, kind)
    if kind == "big_int_value" or kind == "big_timedelta_value":
        if not raw:
            raise NoValue("big integer with no bytes")
        number = int.from_bytes(raw, "big", signed=True)
        return number if kind == "big_int_value" else _model.timedelta_from_micros(number, "$")
    if kind == "timedelta_value":
        return _model.timedelta_from_micros(raw, "$")
    if kind == "datetime_value":
        return _model.parse_datetime(raw, "$")
    if kind == "date_value":
        return _model.parse_date(raw, "$")
    if kind == "time_value":
        return _model.parse_time(raw, "$")
    if kind == "uuid_value":
        if len(raw) != 16:
            raise NoValue("uuid")
        from uuid import UUID

        return UUID(bytes=raw)
    if kind == "decimal_value":
        from decimal import Decimal

        return Decimal(raw)
    return raw


def assert_reads_like_the_runtime(data: bytes) -> None:
    try:
        expected = runtime_value(pb.Value.FromString(data))
    except (PbDecodeError, NoValue, RecursionError):
        with pytest.raises(DecodeError):
            codec.decode(data)
        return
    got = codec.decode(data)
    assert values_equal(got, expected) or _nan_equal(got, expected), (data.hex(), got, expected)


def _nan_equal(a: Any, b: Any) -> bool:
    return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)


# -- the wire, generated -----------------------------------------------------------------------


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tag(field: int, wire: int) -> bytes:
    return varint(field << 3 | wire)


def ld(field: int, payload: bytes) -> bytes:
    return tag(field, 2) + varint(len(payload)) + payload


_texts = st.one_of(
    st.text(max_size=6).map(str.encode),
    st.sampled_from([b"\xff", b"a\xc3", b"\xed\xa0\x80"]),  # not UTF-8
)
_varints = st.one_of(
    st.integers(0, 300),
    st.integers(0, 2**64 - 1),
    st.sampled_from([b"\xff" * 9 + b"\x7f", b"\x80" * 9 + b"\x01", b"\xff" * 10 + b"\x01"]),
)


def _varint_bytes(n: int | bytes) -> bytes:
    return n if isinstance(n, bytes) else varint(n)


def _unknown(depth: int) -> st.SearchStrategy[bytes]:
    number = st.integers(21, 40)
    leaf = st.one_of(
        st.builds(lambda f, n: tag(f, 0) + _varint_bytes(n), number, _varints),
        st.builds(lambda f, p: ld(f, p), number, st.binary(max_size=6)),
        st.builds(lambda f, p: tag(f, 1) + p, number, st.binary(min_size=8, max_size=8)),
        st.builds(lambda f, p: tag(f, 5) + p, number, st.binary(min_size=4, max_size=4)),
    )
    if depth <= 0:
        return leaf
    group = st.builds(
        lambda f, inner: tag(f, 3) + b"".join(inner) + tag(f, 4),
        number,
        st.lists(st.deferred(lambda: _unknown(depth - 1)), max_size=2),
    )
    return leaf | group


_scalar_fields = st.one_of(
    st.builds(lambda n: tag(1, 0) + _varint_bytes(n), st.integers(0, 3)),
    st.builds(lambda n: tag(2, 0) + _varint_bytes(n), _varints),
    st.builds(lambda n: tag(3, 0) + _varint_bytes(n), _varints),
    st.builds(lambda p: ld(4, p), st.binary(max_size=3)),
    st.builds(lambda p: tag(5, 1) + p, st.binary(min_size=8, max_size=8)),
    st.builds(lambda p: ld(6, p), _texts),
    st.builds(lambda p: ld(7, p), st.binary(max_size=4)),
    st.builds(lambda p: ld(13, p), st.sampled_from([b"2024-01-01T00:00:00", b"x", b"\xff"])),
    st.builds(lambda p: ld(14, p), st.sampled_from([b"2024-01-01", b"2024-13-01"])),
    st.builds(lambda p: ld(15, p), st.sampled_from([b"01:30:00", b"01:30:00[fold=1]"])),
    st.builds(lambda n: tag(16, 0) + _varint_bytes(n), _varints),
    st.builds(lambda p: ld(18, p), st.binary(min_size=15, max_size=16)),
    st.builds(lambda p: ld(19, p), st.sampled_from([b"1.50", b"-0", b"NaN", b"x"])),
)
# a known field number with another wire type (the runtime skips it as unknown)
_wrong_wire = st.one_of(
    st.builds(
        lambda f, n: tag(f, 0) + varint(n),
        st.sampled_from([6, 7, 8, 9, 13]),
        _varints.filter(lambda n: isinstance(n, int)),
    ),
    st.builds(lambda f, p: ld(f, p), st.sampled_from([1, 2, 3, 5, 16]), st.binary(max_size=4)),
    st.builds(
        lambda f, p: tag(f, 5) + p, st.sampled_from([3, 6, 8]), st.binary(min_size=4, max_size=4)
    ),
)


def _values(depth: int) -> st.SearchStrategy[bytes]:
    """A serialized Value: a few fields, kinds repeated or replaced, unknowns in between."""
    fields = [_scalar_fields, _wrong_wire, _unknown(1)]
    if depth > 0:
        inner = st.deferred(lambda: _values(depth - 1))
        lists = st.builds(
            lambda f, parts: ld(f, b"".join(parts)),
            st.sampled_from([8, 10, 11, 12]),
            st.lists(st.builds(lambda v: ld(1, v), inner) | _unknown(0), max_size=3),
        )
        entry_part = st.one_of(
            st.builds(lambda k: ld(1, k), st.sampled_from([b"a", b"b", b"", b"\xff"])),
            st.builds(lambda v: ld(2, v), inner),
            _unknown(0),
        )
        entries = st.builds(lambda parts: ld(1, b"".join(parts)), st.lists(entry_part, max_size=4))
        maps = st.builds(
            lambda parts: ld(9, b"".join(parts)), st.lists(entries | _unknown(0), max_size=3)
        )
        message_part = st.one_of(
            st.builds(lambda n: ld(1, n), _texts),
            st.builds(lambda d: ld(2, d), st.binary(max_size=4)),
            _unknown(0),
        )
        messages = st.builds(
            lambda parts: ld(20, b"".join(parts)), st.lists(message_part, max_size=3)
        )
        fields += [lists, maps, messages]
    return st.lists(st.one_of(*fields), min_size=0, max_size=4).map(b"".join)


@settings(max_examples=1500, deadline=None)
@given(_values(3))
@example(bytes.fromhex("4a150a130a0161120642040a021802120642040a021804"))  # the map
def test_generated_wire_reads_like_the_runtime(data: bytes) -> None:
    assert_reads_like_the_runtime(data)


@settings(max_examples=300, deadline=None)
@given(_values(2), st.data())
def test_mutated_wire_reads_like_the_runtime(data: bytes, draw: st.DataObject) -> None:
    # byte-level mutations of a generated Value: a flip, a cut, a duplicated slice
    if not data:
        return
    i = draw.draw(st.integers(0, len(data) - 1))
    j = draw.draw(st.integers(i, len(data)))
    mutation = draw.draw(st.sampled_from(["flip", "cut", "repeat"]))
    if mutation == "flip":
        data = data[:i] + bytes([data[i] ^ draw.draw(st.integers(1, 255))]) + data[i + 1 :]
    elif mutation == "cut":
        data = data[:i] + data[j:]
    else:
        data = data[:j] + data[i:j] + data[j:]
    assert_reads_like_the_runtime(data)


# -- the cases of the issue, spelled out --------------------------------------------------------


def _list(*items: bytes) -> bytes:
    return ld(8, b"".join(ld(1, item) for item in items))


ONE, TWO = tag(3, 0) + varint(2), tag(3, 0) + varint(4)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # a map entry's value given twice: merged
        (ld(9, ld(1, ld(1, b"a") + ld(2, _list(ONE)) + ld(2, _list(TWO)))), {"a": [1, 2]}),
        (_list(ONE) + _list(TWO), [1, 2]),  # list_value twice: merged
        (ONE + TWO, 2),  # a scalar kind twice: the last wins
        (_list(ONE) + ONE, 1),  # another kind: replaces
        (ONE + _list(TWO), [2]),
        (tag(30, 3) + ONE + tag(30, 4) + ONE, 1),  # an unknown group: skipped
        (tag(30, 3) + tag(31, 3) + tag(31, 4) + tag(30, 4) + TWO, 2),  # nested groups
        (tag(6, 0) + varint(1) + ONE, 1),  # a known field of another wire type: unknown
        (tag(3, 0) + b"\xff" * 9 + b"\x7f", -(2**63)),  # bits beyond 64 dropped
        (tag(1, 0) + varint(7), None),  # null_value is an open enum
        (ld(20, ld(2, b"x") + ld(2, b"y")), b"y"),  # message_value merged: data last wins
        # field number 0 inside an unknown group: skipped like any field (found by the
        # mutation test below, once in a full run: the reader refused it)
        (tag(21, 3) + ld(21, bytes(8)) + b"\x00\x00\x00\x00" + tag(21, 4) + ONE, 1),
        (tag(30, 3) + tag(0, 0) + varint(5) + tag(0, 2) + b"\x01a" + tag(30, 4) + ONE, 1),
        (tag(30, 3) + tag(0, 1) + bytes(8) + tag(0, 5) + bytes(4) + tag(30, 4) + ONE, 1),
        (tag(30, 3) + tag(0, 3) + tag(0, 4) + tag(30, 4) + ONE, 1),  # a group numbered 0
        (_list(tag(30, 3) + tag(0, 0) + b"\x00" + tag(30, 4) + ONE), [1]),  # in an item
    ],
)
def test_reads_like_the_runtime(data: bytes, expected: Any) -> None:
    assert runtime_value(pb.Value.FromString(data)) == expected  # the runtime's reading
    assert values_equal(codec.decode(data), expected)


@pytest.mark.parametrize(
    "data",
    [
        tag(30, 3) + ONE,  # a group never closed
        tag(30, 4) + ONE,  # the end of a group never opened
        tag(30, 3) + tag(31, 4) + ONE,  # a group closed by another number
        ld(6, b"\xff") + ld(6, b"a"),  # an earlier string is not UTF-8
        tag(3, 0) + b"\xff" * 10 + b"\x01",  # a varint of 11 bytes
        tag(0, 0) + b"\x00" + ONE,  # field number 0 in a message
        _list(tag(0, 0) + b"\x00" + ONE),  # in an item
        tag(30, 3) + tag(0, 4) + tag(30, 4) + ONE,  # a group ended by number 0
    ],
)
def test_refuses_what_the_runtime_refuses(data: bytes) -> None:
    with pytest.raises(PbDecodeError):
        pb.Value.FromString(data)
    with pytest.raises(DecodeError):
        codec.decode(data)


# -- Arguments ----------------------------------------------------------------------------------


def runtime_arguments(message: Any) -> tuple[list[Any], dict[str, Any]]:
    args = [runtime_value(v) for v in message.args]
    kwargs: dict[str, Any] = {}
    for entry in message.kwargs:
        if entry.key in kwargs:
            raise NoValue("duplicate keyword")
        kwargs[entry.key] = runtime_value(entry.value)
    return args, kwargs


_arguments_part = st.one_of(
    st.builds(lambda v: ld(1, v), _values(1)),
    st.builds(
        lambda k, v: ld(2, ld(1, k) + ld(2, v)), st.sampled_from([b"a", b"b", b""]), _values(1)
    ),
    _unknown(1),
    _wrong_wire,
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_arguments_part, max_size=4).map(b"".join))
def test_generated_arguments_read_like_the_runtime(data: bytes) -> None:
    try:
        message = pb.Arguments.FromString(data)
        expected = runtime_arguments(message)
        if not message.args and not message.kwargs and data:
            # flowwire's one deviation: nothing but fields Arguments does not have is a
            # Value (a result payload) read as arguments, refused
            raise NoValue("no args and no kwargs")
    except (PbDecodeError, NoValue, RecursionError):
        with pytest.raises(DecodeError):
            codec.decode_arguments(data)
        return
    args, kwargs = codec.decode_arguments(data)
    assert values_equal(args, expected[0]) and values_equal(kwargs, expected[1]), data.hex()
