"""The MessagePack codec: ext types without annotations, strict keys, hostile input."""

from __future__ import annotations

import base64
import dataclasses
import time as clock
import tracemalloc
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgpack
import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given

from flowwire.errors import DecodeError, EncodeError
from flowwire.testing import values_equal, values_for
from flowwire.transport import MsgpackTransport, envelope
from flowwire.transport.codecs.msgpack import MsgpackCodec

pytestmark = pytest.mark.usefixtures("implementation")

T = MsgpackTransport()
HEADER = b"FW\x01\x07msgpack\x00"
NY = ZoneInfo("America/New_York")


def armored(body: bytes) -> str:
    return "~" + base64.b64encode(HEADER + body).decode("ascii")


def body_of(payload: str) -> bytes:
    data = envelope.dearmor(payload)
    assert data.startswith(HEADER), data
    return data[len(HEADER) :]


def round_trip(value: Any) -> Any:
    return T.deserialize_result(T.serialize_result(value))


# -- ext types without annotations -----------------------------------------------------------

EXTENDED = [
    (1, 2, ("nested", b"b")),
    (),
    {1, 2, 3},
    set(),
    frozenset({"a", "b"}),
    frozenset({UUID(int=1), UUID(int=2)}),
    datetime(2024, 1, 2, 3, 4, 5, 678901),
    datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=5, minutes=45))),
    datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
    datetime(2024, 7, 1, 12, tzinfo=ZoneInfo("Europe/Paris")),
    datetime(2024, 4, 7, 1, 45, tzinfo=ZoneInfo("Australia/Lord_Howe")),
    datetime.min,
    datetime.max,
    date(2024, 2, 29),
    date.min,
    date.max,
    time(23, 59, 59, 999999),
    time(0, 0, tzinfo=UTC),
    time(12, 30, tzinfo=timezone(timedelta(hours=-3))),
    timedelta(0),
    timedelta(microseconds=-1),
    timedelta.max,
    timedelta.min,
    timedelta(days=-1, seconds=5, microseconds=7),
    UUID("12345678-1234-5678-1234-567812345678"),
    UUID(int=0),
    UUID(int=2**128 - 1),
    Decimal("1.10"),
    Decimal("-0"),
    Decimal("-0.000"),
    Decimal("1.000E+5"),
    Decimal("1E-30"),
    Decimal("NaN"),
    Decimal("-NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("123456789012345678901234567890.123456789"),
    2**64,
    -(2**63) - 1,
    2**1000,
    -(2**1000),
    2**64 - 1,
    -(2**63),
]


def _case_id(value: Any) -> str:
    """A test id that is the same in every process (a set's repr follows the hash seed, and
    pytest-xdist workers must collect identical ids)."""
    if isinstance(value, set | frozenset):
        return f"{type(value).__name__}({sorted(map(repr, value))})"
    return repr(value)


@pytest.mark.parametrize("value", EXTENDED, ids=_case_id)
def test_extended_values_round_trip_without_annotations(value: Any) -> None:
    back = round_trip(value)
    assert values_equal(back, value), f"{value!r} came back as {back!r}"
    if isinstance(value, datetime):
        assert back.fold == value.fold
    back_args, back_kwargs = T.deserialize_arguments(T.serialize_arguments((value,), {"k": value}))
    assert values_equal(back_args, (value,)) and values_equal(back_kwargs, {"k": value})


@pytest.mark.parametrize("fold", [0, 1])
@pytest.mark.parametrize(
    "wall",
    [datetime(2024, 3, 10, 2, 30), datetime(2024, 11, 3, 1, 30)],
    ids=["dst-gap", "dst-fold"],
)
def test_zoneinfo_gap_and_fold_keep_offset_fold_and_zone(wall: datetime, fold: int) -> None:
    value = wall.replace(tzinfo=NY, fold=fold)
    back = round_trip(value)
    assert back.tzinfo is NY or back.tzinfo == NY
    assert back.utcoffset() == value.utcoffset()
    assert back.fold == fold
    assert back.replace(tzinfo=None) == wall


def test_named_fixed_offset_is_refused_with_path() -> None:
    named = timezone(timedelta(hours=1), "CET")
    with pytest.raises(EncodeError) as info:
        T.serialize_result({"when": [datetime(2024, 1, 1, tzinfo=named)]})
    assert "CET" in str(info.value)
    assert info.value.path == '$["when"][0]'


def test_nested_containers_keep_their_types() -> None:
    value = {"t": (1, [2, (3, {4, 5})], frozenset({(1, 2)})), "s": {Decimal("1.0")}}
    back = round_trip(value)
    assert values_equal(back, value)
    assert type(back["t"][1][1]) is tuple and type(back["t"][1][1][1]) is set


@given(values_for("msgpack", max_leaves=12))
def test_msgpack_domain_round_trips(value: Any) -> None:
    assert values_equal(round_trip(value), value)


# -- the wire format, byte by byte -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "body"),
    [
        ((1, 2), b"\xc7\x03\x02\x92\x01\x02"),
        ({3}, b"\xd5\x03\x91\x03"),  # fixext 2
        (frozenset({3}), b"\xd5\x04\x91\x03"),
        (2**64, b"\xc7\x09\x01\x01" + bytes(8)),
        (-(2**63) - 1, b"\xc7\x09\x01\xff\x7f" + b"\xff" * 7),
        (date(2024, 1, 2), b"\xc7\x0a\x06" + b"2024-01-02"),
        (time(1, 2, 3), b"\xd7\x07" + b"01:02:03"),  # fixext 8
        (timedelta(seconds=1), b"\xc7\x03\x08\x0f\x42\x40"),
        (timedelta(microseconds=-1), b"\xd4\x08\xff"),
        (timedelta(microseconds=128), b"\xd5\x08\x00\x80"),  # minimal, sign bit kept
        (UUID(int=1), b"\xd8\x09" + (1).to_bytes(16, "big")),
        (Decimal("1.50"), b"\xd6\x0a" + b"1.50"),
        (
            datetime(2024, 1, 2, 3, 4, 5, tzinfo=NY),
            b"\xc7\x2b\x05" + b"2024-01-02T03:04:05-05:00[America/New_York]",
        ),
        ([b"\x00", -0.0], b"\x92\xc4\x01\x00\xcb\x80" + bytes(7)),
    ],
    ids=repr,
)
def test_encoder_writes_the_documented_ext_bytes(value: Any, body: bytes) -> None:
    assert body_of(T.serialize_result(value)) == body
    assert values_equal(T.deserialize_result(armored(body)), value)


# -- malformed and unknown ext data ----------------------------------------------------------


@pytest.mark.parametrize("code", [0, 11, 42, 127, -2, -128])
def test_unknown_ext_code_raises_decode_error(code: int) -> None:
    data = b"\xd6" + code.to_bytes(1, "big", signed=True) + b"\x00\x00\x00\x00"  # fixext 4
    with pytest.raises(DecodeError) as info:
        T.deserialize_result(armored(data))
    assert f"unknown msgpack ext type {code}" in str(info.value)


@pytest.mark.parametrize(
    "data",
    [b"\xd6\xff\x00\x00\x00\x01", b"\xd7\xff" + bytes(8), b"\xc7\x0c\xff" + bytes(12)],
    ids=["timestamp32", "timestamp64", "timestamp96"],
)
def test_msgpack_timestamp_ext_never_leaks_a_foreign_type(data: bytes) -> None:
    # Ext -1 is MessagePack's own timestamp, which msgpack-python decodes before ext_hook runs.
    # Refusing it or reading it as an aware datetime are both fine; msgpack.Timestamp is not.
    try:
        back = T.deserialize_result(armored(data))
    except DecodeError:
        return
    assert type(back) is datetime and back.tzinfo is not None, f"got {type(back)!r}"


@pytest.mark.parametrize(
    ("code", "data", "fragment"),
    [
        (5, b"\xff\xfe", "ext type 5"),
        (5, b"yesterday", "malformed datetime"),
        (5, b"2024-01-01T00:00:00[America/New_York]", "no UTC offset"),
        (5, b"2024-01-01T00:00:00+01:00[Mars/Olympus_Mons]", "unknown time zone"),
        (5, b"2024-03-10T02:30:00-07:00[America/New_York]", "does not occur in zone"),
        (6, b"2024-1-1", "malformed date"),
        (6, b"\x80", "ext type 6"),
        (7, b"25:00", "malformed time"),
        (8, b"\x7f" + b"\xff" * 15, "out of range"),
        (9, b"\x00" * 15, "16 bytes"),
        (9, b"\x00" * 17, "16 bytes"),
        (10, b"1.2.3", "ext type 10"),
        (10, b"\xff", "ext type 10"),
        (2, b"\x92\x01", "MessagePack"),
        (3, b"\x91\x90", "ext type 3"),
        (2, b"\x91\x81\x01\x02", "MessagePack"),
    ],
)
def test_malformed_ext_data_raises_decode_error(code: int, data: bytes, fragment: str) -> None:
    with pytest.raises(DecodeError) as info:
        T.deserialize_result(armored(msgpack.packb(msgpack.ExtType(code, data))))
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "body",
    [b"\x92\x01", msgpack.packb(msgpack.ExtType(2, b"\x92\x01")), b"\x91\xc1"],
    ids=["top-level", "inside-a-tuple-ext", "reserved-byte-0xc1"],
)
def test_truncated_body_error_says_what_is_wrong(body: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        T.deserialize_result(armored(body))
    message = str(info.value)
    assert message.startswith("malformed MessagePack payload")
    assert message.rstrip(": ") != "malformed MessagePack payload"


def test_malformed_nested_ext_does_not_claim_the_root_path() -> None:
    # The hook cannot know where the ext sits; a wrong path ("$") is worse than none.
    body = msgpack.packb([1, {"d": msgpack.ExtType(6, b"2024-13-01")}])
    with pytest.raises(DecodeError) as info:
        T.deserialize_result(armored(body))
    assert info.value.path in (None, '$[1]["d"]')


def test_garbage_after_the_value_is_refused() -> None:
    with pytest.raises(DecodeError):
        T.deserialize_result(armored(b"\x01\x02"))


# -- map keys --------------------------------------------------------------------------------


@dataclasses.dataclass
class Holder:
    mapping: dict[Any, Any]


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({1: "a"}, "$"),
        ({"a": [{"b": {2: 1}}]}, '$["a"][0]["b"]'),
        ({"a": ({2: 1},)}, '$["a"][0]'),
        ([{b"k": 1}], "$[0]"),
        ({"a": {None: 1}}, '$["a"]'),
        (Holder({1: "a"}), '$["mapping"]'),
        ([Holder({"x": {2: "b"}})], '$[0]["mapping"]["x"]'),
    ],
)
def test_non_str_keys_raise_encode_error_with_path(value: Any, path: str) -> None:
    with pytest.raises(EncodeError) as info:
        T.serialize_result(value)
    assert info.value.path == path
    assert "keys must be strings" in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        msgpack.packb({1: 2}),
        msgpack.packb({"a": {b"k": 1}}, use_bin_type=True),
        msgpack.packb(msgpack.ExtType(2, msgpack.packb([{3: 1}]))),
        msgpack.packb({"a": {None: 1}}),
    ],
)
def test_non_str_keys_raise_decode_error(body: bytes) -> None:
    with pytest.raises(DecodeError):
        T.deserialize_result(armored(body))


def test_non_str_keys_in_large_payloads_are_found_by_the_walk() -> None:
    # Over 64 KiB of packed bytes the keys are walked instead of checked through orjson.
    big = "x" * 70_000
    transport = MsgpackTransport(max_payload_chars=None)
    for value, path in (
        ({"text": big, "m": {3: 1}}, '$["m"]'),
        ([big, [{"ok": 1}, {4.5: 1}]], "$[1][1]"),
    ):
        with pytest.raises(EncodeError) as info:
            transport.serialize_result(value)
        assert info.value.path == path
    ok = {"text": big, "m": {"3": 1}}
    assert transport.deserialize_result(transport.serialize_result(ok)) == ok


@pytest.mark.parametrize("padding", [0, 5_000])
def test_depth_over_max_depth_is_refused_whether_the_output_is_short_or_long(padding: int) -> None:
    # Short outputs bound the depth by their length, long ones by counting brackets.
    transport = MsgpackTransport(max_depth=10)
    deep: Any = ["p" * padding]
    for _ in range(10):
        deep = [deep]
    with pytest.raises(EncodeError, match="max_depth=10"):
        transport.serialize_result(deep)
    assert values_equal(transport.deserialize_result(transport.serialize_result(deep[0])), deep[0])


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    # Text full of brackets only makes the bracket count a looser bound: the walk then decides.
    transport = MsgpackTransport(max_depth=3)
    value = {"a": ["[{" * 500, {"b": "]}" * 500}]}
    assert transport.deserialize_result(transport.serialize_result(value)) == value


@dataclasses.dataclass
class Reentrant:
    """Encodes another value on the same codec while it is being lowered."""

    a: int

    def __getattribute__(self, name: str) -> Any:
        if name == "a":
            inner = CODEC.encode({"inner": [1, 2, 3]})
            assert CODEC.decode(inner) == {"inner": [1, 2, 3]}
        return object.__getattribute__(self, name)


CODEC = MsgpackCodec()


def test_an_encode_inside_an_encode_gets_its_own_packer() -> None:
    value = {"before": "x" * 40, "r": Reentrant(7), "after": [1, 2]}
    assert CODEC.decode(CODEC.encode(value)) == {"before": "x" * 40, "r": {"a": 7}, "after": [1, 2]}


def test_threads_encoding_at_once_never_mix_their_bytes() -> None:
    import threading

    errors: list[str] = []

    def work(n: int) -> None:
        for i in range(300):
            value = {"thread": n, "i": i, "items": list(range(n + i % 7)), "t": (n, "x")}
            back = CODEC.decode(CODEC.encode(value))
            if back != value:
                errors.append(f"thread {n}: {back!r} != {value!r}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.parametrize(
    "body",
    [
        # a bytes key with no other bin marker byte in sight, and with one
        msgpack.packb({b"k": 1}, use_bin_type=True),  # bin 8 (0xc4)
        msgpack.packb({b"k" * 300: 1}, use_bin_type=True),  # bin 16 (0xc5), no 0xc4
        msgpack.packb({b"k" * 70_000: 1}, use_bin_type=True),  # bin 32 (0xc6) only
        msgpack.packb({"v": b"\xc4", "m": {b"k": 1}}, use_bin_type=True),
    ],
)
def test_bytes_keys_are_refused_whatever_else_the_payload_holds(body: bytes) -> None:
    with pytest.raises(DecodeError, match="bytes key"):
        T.deserialize_result(armored(body))


def test_a_bin_marker_byte_in_text_does_not_change_the_value() -> None:
    value = {"name": "\u0104\u0105\u0106", "n": 0xC4C5C6}  # UTF-8 c4 84, c4 85, c4 86
    assert b"\xc4" in body_of(T.serialize_result(value))
    assert round_trip(value) == value


# -- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"\xdd\xff\xff\xff\xff",  # array32 of 4 billion items
        b"\xdf\xff\xff\xff\xff",  # map32
        b"\xc6\xff\xff\xff\xff",  # bin32 of 4 GiB
        b"\xdb\xff\xff\xff\xff",  # str32
        b"\xc9\xff\xff\xff\xff\x02",  # ext32 tuple
        b"\x91" * 64 + b"\xdd\xff\xff\xff\xff",
        msgpack.packb(msgpack.ExtType(2, b"\xdd\xff\xff\xff\xff")),
    ],
)
def test_small_hostile_payload_fails_fast_without_allocating(body: bytes) -> None:
    payload = armored(body)
    tracemalloc.start()
    started = clock.perf_counter()
    try:
        with pytest.raises(DecodeError):
            T.deserialize_result(payload)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert clock.perf_counter() - started < 1.0
    assert peak < 1_000_000, f"decoding {len(body)} bytes peaked at {peak:,} bytes"


def test_deeply_nested_arrays_raise_decode_error() -> None:
    with pytest.raises(DecodeError):
        T.deserialize_result(armored(b"\x91" * 100_000 + b"\xc0"))


def test_deeply_nested_ext_tuples_raise_decode_error_not_recursion_error() -> None:
    data = msgpack.packb(None)
    for _ in range(3000):
        data = msgpack.packb(msgpack.ExtType(2, b"\x91" + data))
    with pytest.raises(DecodeError) as info:
        T.deserialize_result(armored(data))
    assert "nesting deeper than max_depth=100" in str(info.value)


@pytest.mark.parametrize("kind", [list, tuple, set], ids=lambda k: k.__name__)
def test_deep_values_raise_encode_error_not_recursion_error(kind: type) -> None:
    value: Any = 0
    for _ in range(5000):
        value = kind([value]) if kind is not set else frozenset([value])
    with pytest.raises(EncodeError, match="nesting"):
        T.serialize_result(value)


def test_depth_counter_recovers_after_failures() -> None:
    codec = MsgpackCodec(max_depth=5)
    value: Any = 0
    for _ in range(10):
        value = (value,)
    for _ in range(3):
        with pytest.raises(EncodeError):
            codec.encode(value)
    shallow = ((1,),)
    assert codec.decode(codec.encode(shallow)) == shallow
