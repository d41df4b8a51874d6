"""The JSON codec: plain text for plain values, the tagged form and its escapes otherwise."""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire.errors import DecodeError, EncodeError
from flowwire.testing import values, values_equal
from flowwire.transport import JSONTransport, envelope
from flowwire.transport.codecs.json import JSON_DEPTH_LIMIT, JSONCodec

pytestmark = pytest.mark.usefixtures("implementation")

T = JSONTransport()


def body_of(payload: str) -> bytes:
    """The codec body of an armored JSON payload (after the bare envelope header)."""
    assert payload.startswith("~"), payload
    data = envelope.dearmor(payload)
    header = b"FW\x01\x04json\x00"
    assert data.startswith(header), data
    return data[len(header) :]


def armored(body: bytes) -> str:
    return "~" + base64.b64encode(b"FW\x01\x04json\x00" + body).decode("ascii")


# -- plain text ------------------------------------------------------------------------------


def test_plain_values_are_exact_readable_json_text() -> None:
    assert T.serialize_result({"a": 1, "b": [1.5, "x", None, True]}) == (
        '{"a":1,"b":[1.5,"x",null,true]}'
    )
    assert T.serialize_arguments(("hello", 42), {"flag": True}) == (
        '{"args":["hello",42],"kwargs":{"flag":true}}'
    )
    assert T.serialize_restart_arguments([], {}) == '{"args":[],"kwargs":{}}'
    assert T.serialize_result('é\u2028"q"') == json.dumps('é\u2028"q"', ensure_ascii=False)
    assert T.serialize_result(None) == "null"


@given(values(max_leaves=10))
def test_payloads_without_escapes_are_standard_json(value: Any) -> None:
    payload = T.serialize_result(value)
    if payload.startswith("~"):
        return  # needs escapes: checked below
    assert values_equal(json.loads(payload), value)


def test_extended_values_are_lowered_in_plain_text() -> None:
    @dataclasses.dataclass
    class Price:
        amount: Decimal
        tags: tuple[str, ...]

    text = T.serialize_result(Price(Decimal("1.10"), ("a", "b")))
    assert text == '{"amount":"1.10","tags":["a","b"]}'
    assert T.deserialize_result(text, type_hint=Price) == Price(Decimal("1.10"), ("a", "b"))


def test_key_order_is_kept() -> None:
    value = {"z": 1, "a": 2, "m": {"y": 1, "b": 2}}
    text = T.serialize_result(value)
    assert text == '{"z":1,"a":2,"m":{"y":1,"b":2}}'
    back = T.deserialize_result(text)
    assert list(back) == ["z", "a", "m"] and list(back["m"]) == ["y", "b"]


def test_negative_zero_round_trips_in_plain_text() -> None:
    text = T.serialize_result([-0.0, 0.0])
    assert text == "[-0.0,0.0]"
    back = T.deserialize_result(text)
    assert values_equal(back, [-0.0, 0.0])
    assert math.copysign(1.0, back[0]) == -1.0


@pytest.mark.parametrize("value", [2**64 - 1, -(2**63), 2**63])
def test_64_bit_ints_stay_plain(value: int) -> None:
    assert T.serialize_result(value) == str(value)
    assert T.deserialize_result(str(value)) == value


# -- escapes ---------------------------------------------------------------------------------


def test_bytes_escape_exact_body() -> None:
    payload = T.serialize_result(b"\x00\xff")
    assert body_of(payload) == b'${"$bytes":"AP8="}'
    assert T.deserialize_result(payload) == b"\x00\xff"


@pytest.mark.parametrize(
    ("value", "tag"), [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf")]
)
def test_nonfinite_float_escapes(value: float, tag: str) -> None:
    payload = T.serialize_result(value)
    assert body_of(payload) == b'${"$float":"' + tag.encode() + b'"}'
    assert values_equal(T.deserialize_result(payload), value)


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, 10**40, -(10**40)])
def test_ints_beyond_64_bits_use_the_int_escape(value: int) -> None:
    payload = T.serialize_result([value])
    assert body_of(payload) == b'$[{"$int":"' + str(value).encode() + b'"}]'
    assert T.deserialize_result(payload) == [value]


def test_user_object_with_one_dollar_key_is_wrapped() -> None:
    value = [b"real", {"$bytes": "x"}, {"$float": "nan"}, {"$x": 1, "y": 2}]
    payload = T.serialize_result(value)
    assert body_of(payload) == (
        b'$[{"$bytes":"cmVhbA=="},{"$dict":{"$bytes":"x"}},{"$dict":{"$float":"nan"}},'
        b'{"$x":1,"y":2}]'
    )
    back = T.deserialize_result(payload)
    assert back == value
    assert type(back[1]) is dict


def test_dollar_dict_itself_is_wrapped() -> None:
    value = {"k": b"", "inner": {"$dict": {"a": 1}}}
    back = T.deserialize_result(T.serialize_result(value))
    assert back == value


def test_escape_with_two_keys_is_not_an_escape() -> None:
    assert T.deserialize_result(armored(b'${"$bytes":"AA==","other":1}')) == {
        "$bytes": "AA==",
        "other": 1,
    }


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'${"$bytes":"***"}', "$bytes is not valid base64"),
        (b'${"$float":"NaN"}', "'$float'"),
        (b'${"$int":"12x"}', "invalid integer text in $int"),
        (b'${"$dict":[1]}', "'$dict'"),
        (b'${"$tuple":[1]}', "unknown or malformed JSON escape '$tuple'"),
        (b'${"$bytes":1}', "'$bytes'"),
        (b"?1", "unknown JSON body form"),
        (b"", "empty JSON body"),
        (b"=[1,", "malformed JSON body"),
    ],
)
def test_malformed_escapes_raise_decode_error(body: bytes, fragment: str) -> None:
    with pytest.raises(DecodeError) as info:
        T.deserialize_result(armored(body))
    assert fragment in str(info.value)


def test_escape_errors_name_the_path_inside_objects_and_arrays() -> None:
    with pytest.raises(DecodeError) as info:
        T.deserialize_result(armored(b'${"a":{"$bytes":"***"}}'))
    assert info.value.path == '$["a"]'
    with pytest.raises(DecodeError) as info:
        T.deserialize_result(armored(b'$[1,{"$bytes":"***"}]'))
    assert info.value.path == "$[1]"


def test_plain_body_inside_an_envelope_interprets_no_escapes() -> None:
    assert T.deserialize_result(armored(b'={"$bytes":"AA=="}')) == {"$bytes": "AA=="}


# -- foreign plain JSON ----------------------------------------------------------------------


@dataclasses.dataclass
class Line:
    sku: str
    quantity: int
    price: Decimal


def test_foreign_plain_json_decodes() -> None:
    text = """
      {"kwargs": {"when": "2024-03-10T02:30:00-05:00", "blob": "AP8="},
       "args": [ {"sku": "a-1", "quantity": 3, "price": "9.99"} ]}
    """

    def run(line: Line, *, when: datetime, blob: bytes) -> None: ...

    args, kwargs = T.deserialize_arguments(text, signature=run)
    assert args == (Line("a-1", 3, Decimal("9.99")),)
    assert kwargs == {
        "when": datetime(2024, 3, 10, 2, 30, tzinfo=timezone(timedelta(hours=-5))),
        "blob": b"\x00\xff",
    }


def test_foreign_plain_json_escape_lookalikes_are_plain_objects() -> None:
    assert T.deserialize_result('{"$bytes": "AP8="}') == {"$bytes": "AP8="}
    assert T.deserialize_result('[{"$float": "nan"}, {"$int": "1"}]') == [
        {"$float": "nan"},
        {"$int": "1"},
    ]
    args, kwargs = T.deserialize_arguments('{"args": [{"$bytes": "AP8="}], "kwargs": {}}')
    assert args == ({"$bytes": "AP8="},) and kwargs == {}


def test_foreign_base64_that_is_not_base64_names_the_path() -> None:
    def run(blob: bytes) -> None: ...

    with pytest.raises(DecodeError) as info:
        T.deserialize_arguments('{"args": ["not base64!"], "kwargs": {}}', signature=run)
    assert info.value.path == "$.args[0]"


def test_plain_json_with_leading_whitespace_decodes() -> None:
    assert T.deserialize_result(" \n\t[1]") == [1]


# -- nonfinite floats hidden inside extended values ------------------------------------------


@dataclasses.dataclass
class Reading:
    value: float
    label: str = "x"


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        (Reading(math.nan), Reading),
        (Reading(-math.inf), Reading),
        ((1.0, math.nan), tuple[float, float]),
        ({math.inf}, set[float]),
        (frozenset({-math.inf}), frozenset[float]),
        ([{"r": (Reading(math.nan),)}], list[dict[str, tuple[Reading, ...]]]),
    ],
)
def test_nonfinite_inside_extended_values_is_never_null(value: Any, hint: Any) -> None:
    payload = T.serialize_result(value)
    assert payload.startswith("~"), f"{value!r} was written as plain text {payload!r}"
    assert b"null" not in body_of(payload)
    assert values_equal(T.deserialize_result(payload, type_hint=hint), value)


def test_none_next_to_nonfinite_stays_none() -> None:
    value = [None, math.nan, {"a": None}]
    back = T.deserialize_result(T.serialize_result(value))
    assert values_equal(back, value)


@dataclasses.dataclass(eq=False)
class Weird:
    """A model value (a dataclass) that claims to equal everything, None included."""

    v: int = 1

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


@pytest.mark.parametrize(
    "value",
    [
        {"a": None, "b": [math.nan]},  # one top-level None, one nested NaN
        {"a": None, "b": {"c": math.inf}},
        {"a": None, "s": "null", "f": math.nan},  # "null" in a string must not hide the NaN
        {"args": [None, math.nan], "kwargs": {}},
        {"args": [None], "kwargs": {"x": None, "y": [-math.inf]}},
        [None, None, [math.nan]],
        (None, {"k": math.nan}),
        {"a": None, "w": {"x": math.nan}, "z": None},
    ],
)
def test_none_near_the_top_never_hides_a_nested_nonfinite(value: Any) -> None:
    payload = T.serialize_result(value)
    assert payload.startswith("~"), payload
    assert values_equal(
        T.deserialize_result(payload), value if type(value) is not tuple else list(value)
    )


def test_the_none_count_compares_identity_not_equality() -> None:
    # Weird() == None is True; a count by equality would take it for the None that accounts
    # for the NaN's null, and write the NaN as null.
    for value in ([Weird(), math.nan], {"w": Weird(), "f": [math.nan]}):
        payload = T.serialize_result(value)
        assert payload.startswith("~"), payload
        back = T.deserialize_result(payload)
        assert back[-1] != back[-1] if type(back) is list else back["f"][0] != back["f"][0]


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.sampled_from([None, math.nan, math.inf, -math.inf, 1.5, "null", "xnullx", 0]),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(["a", "null", "b"]), inner, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_none_nan_and_null_text_mixed_anywhere_round_trip(value: Any) -> None:
    for args in (value, {"args": [value, None], "kwargs": {"k": value}}):
        payload = T.serialize_result(args)
        assert values_equal(T.deserialize_result(payload), args)
    back = T.deserialize_arguments(T.serialize_arguments([value, None], {"k": value}))
    assert values_equal(back, ((value, None), {"k": value}))


def test_nan_nested_deep_is_never_silently_null() -> None:
    value: Any = [math.nan]
    for _ in range(120):
        value = [value]
    transport = JSONTransport(max_depth=JSON_DEPTH_LIMIT)  # the most JSON takes: 126
    try:
        payload = transport.serialize_result(value)
    except EncodeError:
        return  # refusing is fine; writing null is not
    back = transport.deserialize_result(payload)
    for _ in range(121):
        back = back[0]
    assert isinstance(back, float) and math.isnan(back), f"NaN came back as {back!r}"


# -- codec-level API -------------------------------------------------------------------------


def test_codec_encode_prefixes_the_body_form() -> None:
    codec = JSONCodec()
    assert codec.encode([1]) == b"=[1]"
    assert codec.encode([b"x"]) == b'$[{"$bytes":"eA=="}]'
    assert codec.decode(b"=[1]") == [1]
    assert codec.encode_text([1]) == "[1]"
    assert codec.encode_text([b"x"]) is None
    assert codec.decode_text("[1]") == [1]
    with pytest.raises(DecodeError, match="malformed JSON payload"):
        codec.decode_text("[1")


def test_non_str_keys_raise_encode_error_with_path() -> None:
    with pytest.raises(EncodeError) as info:
        T.serialize_result({"a": [{"b": {2: 1}}]})
    assert info.value.path == '$["a"][0]["b"]'
    with pytest.raises(EncodeError) as info:
        T.serialize_result({"a": [b"x", {3: 1}]})
    assert info.value.path == '$["a"][1]'


@given(st.binary(max_size=64), st.text(max_size=16))
def test_bytes_next_to_escape_lookalikes_round_trip(blob: bytes, text: str) -> None:
    value = {"data": blob, "n": [{"$bytes": text}, {"$dict": text}]}
    assert values_equal(T.deserialize_result(T.serialize_result(value)), value)
