"""The same value decodes equal whichever built-in codec carried it, and every transport reads
payloads written by the others (a fleet can mix codecs while it migrates)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowwire import get_transport
from flowwire.errors import EncodeError, TaskError
from flowwire.testing import arguments, typed_values, values, values_equal
from flowwire.testing.strategies import Color, LineItem, Order
from flowwire.transport import CodecTransport, builtin_codecs

pytestmark = pytest.mark.usefixtures("implementation")

CODECS = builtin_codecs()
PAIRS = [f"{w}->{r}" for w, r in itertools.product(CODECS, CODECS)]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def transports(names: str) -> list[CodecTransport]:
    out = []
    for name in names.split("->"):
        t = get_transport(name, max_payload_chars=None)
        assert isinstance(t, CodecTransport)
        out.append(t)
    return out


@pytest.mark.parametrize("codec", CODECS[1:])
@SETTINGS
@given(pair=typed_values())
def test_typed_values_decode_equal_in_every_codec(codec: str, pair: tuple[Any, Any]) -> None:
    hint, value = pair
    (reference,) = transports("json")
    (other,) = transports(codec)
    from_json = reference.deserialize_result(reference.serialize_result(value), type_hint=hint)
    from_other = other.deserialize_result(other.serialize_result(value), type_hint=hint)
    assert values_equal(from_json, value), f"json: {value!r} as {hint!r} -> {from_json!r}"
    assert values_equal(from_other, from_json), f"{codec}: {from_other!r} != {from_json!r}"


@pytest.mark.parametrize("codec", CODECS[1:])
@SETTINGS
@given(value=values(max_leaves=15))
def test_base_model_values_decode_identically(codec: str, value: Any) -> None:
    (reference,) = transports("json")
    (other,) = transports(codec)
    from_json = reference.deserialize_result(reference.serialize_result(value))
    from_other = other.deserialize_result(other.serialize_result(value))
    assert values_equal(from_json, value)
    assert values_equal(from_other, from_json)


@pytest.mark.parametrize("pair", PAIRS)
@SETTINGS
@given(value=values(max_leaves=12))
def test_reader_decodes_the_writers_base_model_results(pair: str, value: Any) -> None:
    writer, reader = transports(pair)
    assert values_equal(reader.deserialize_result(writer.serialize_result(value)), value)


@pytest.mark.parametrize("pair", PAIRS)
@SETTINGS
@given(call=arguments())
def test_reader_decodes_the_writers_arguments(
    pair: str, call: tuple[tuple[Any, ...], dict[str, Any]]
) -> None:
    writer, reader = transports(pair)
    args, kwargs = call
    for serialize in (writer.serialize_arguments, writer.serialize_restart_arguments):
        back_args, back_kwargs = reader.deserialize_arguments(serialize(args, kwargs))
        assert values_equal(back_args, tuple(args))
        assert values_equal(back_kwargs, kwargs)


@pytest.mark.parametrize("pair", PAIRS)
@SETTINGS
@given(pair_=typed_values())
def test_reader_rebuilds_the_writers_typed_values(pair: str, pair_: tuple[Any, Any]) -> None:
    writer, reader = transports(pair)
    hint, value = pair_
    back = reader.deserialize_result(writer.serialize_result(value), type_hint=hint)
    assert values_equal(back, value), f"{value!r} as {hint!r} -> {back!r}"


def place(order: Order, *lines: LineItem, when: datetime, color: Color = Color.RED) -> None: ...


ORDER = Order(
    id=UUID(int=42),
    placed=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
    items=[LineItem("sku-1", 2, Decimal("9.99")), LineItem("sku-2", 1, Decimal("-0.00"))],
    tags=frozenset({"gift", "rush"}),
    color=Color.BLUE,
    note=None,
)


@pytest.mark.parametrize("pair", PAIRS)
def test_signature_decoding_across_codecs(pair: str) -> None:
    writer, reader = transports(pair)
    payload = writer.serialize_arguments(
        (ORDER, LineItem("x", 0, Decimal("1E+3"))), {"when": ORDER.placed, "color": Color.GREEN}
    )
    args, kwargs = reader.deserialize_arguments(payload, signature=place)
    assert values_equal(args, (ORDER, LineItem("x", 0, Decimal("1E+3"))))
    assert kwargs == {"when": ORDER.placed, "color": Color.GREEN}


@pytest.mark.parametrize("pair", PAIRS)
def test_errors_across_codecs(pair: str) -> None:
    writer, reader = transports(pair)
    try:
        raise KeyError("sku-9")
    except KeyError as exc:
        reason, details = writer.serialize_error(exc)
    err = reader.deserialize_error(reason, details)
    assert isinstance(err, TaskError)
    assert (err.type_name, err.message) == ("KeyError", "'sku-9'")
    assert err.traceback and "KeyError" in err.traceback


@pytest.mark.parametrize("codec", CODECS)
@SETTINGS
@given(value=st.lists(st.sampled_from(list(Color)), max_size=4))
def test_enums_decode_equal(codec: str, value: list[Color]) -> None:
    (t,) = transports(codec)
    assert t.deserialize_result(t.serialize_result(value), type_hint=list[Color]) == value


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("fold", [0, 1])
@pytest.mark.parametrize(
    "wall",
    [datetime(2024, 3, 10, 2, 30), datetime(2024, 11, 3, 1, 30), datetime(2024, 6, 1, 12)],
    ids=["dst-gap", "dst-fold", "summer"],
)
def test_zoned_datetimes_across_codecs(pair: str, wall: datetime, fold: int) -> None:
    writer, reader = transports(pair)
    value = wall.replace(tzinfo=ZoneInfo("America/New_York"), fold=fold)
    back = reader.deserialize_result(writer.serialize_result([value]), type_hint=list[datetime])
    assert values_equal(back, [value])
    assert back[0].utcoffset() == value.utcoffset()
    if value.replace(fold=0).utcoffset() != value.replace(fold=1).utcoffset():
        assert back[0].fold == value.fold  # fold only matters in a gap or an overlap


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize(
    ("args", "kwargs", "path"),
    [
        ((1, {"price": object()}), {}, '$.args[1]["price"]'),
        ((), {"when": {2: "x"}}, '$.kwargs["when"]'),
        (([[b"ok", {3: 1}]],), {}, "$.args[0][0][1]"),
    ],
)
def test_encode_error_paths_are_the_same_in_every_codec(
    codec: str, args: tuple[Any, ...], kwargs: dict[str, Any], path: str
) -> None:
    (t,) = transports(codec)
    for serialize in (t.serialize_arguments, t.serialize_restart_arguments):
        with pytest.raises(EncodeError) as info:
            serialize(args, kwargs)
        assert info.value.path == path


@pytest.mark.parametrize("pair", PAIRS)
def test_a_forwarded_task_error_keeps_its_remote_identity(pair: str) -> None:
    writer, reader = transports(pair)
    remote = TaskError(
        "card declined",
        task="activity 'charge' v1 (charge-3)",
        type_name="PaymentError",
        traceback="Traceback (remote)...",
        reason="PaymentError: card declined",
    )
    reason, details = writer.serialize_error(remote)
    assert reason == "PaymentError: card declined"
    err = reader.deserialize_error(reason, details)
    assert (err.type_name, err.message, err.task) == (
        "PaymentError",
        "card declined",
        "activity 'charge' v1 (charge-3)",
    )
    assert err.reason == reason


@pytest.mark.parametrize("codec", CODECS)
def test_error_without_details_or_with_foreign_details(codec: str) -> None:
    (t,) = transports(codec)
    assert t.deserialize_error("Boom: x", "").message == "Boom: x"
    foreign = t.deserialize_error("r", '{"type": "E", "message": 5, "traceback": ["x"]}')
    assert (foreign.type_name, foreign.message, foreign.traceback) == ("E", "r", None)
    assert t.deserialize_error("r", "[1, 2]").message == "r"


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("\ud800", "$"),
        ({"a": ["ok", "x\udfff"]}, '$["a"][1]'),
        ([{"k": ("\ud83d",)}], '$[0]["k"][0]'),
    ],
    ids=["top", "nested", "in-tuple"],
)
def test_lone_surrogates_raise_encode_error_with_the_path(
    codec: str, value: Any, path: str
) -> None:
    # A str with a lone surrogate has no UTF-8 form: every codec refuses it, naming where it is.
    (t,) = transports(codec)
    with pytest.raises(EncodeError) as info:
        t.serialize_result(value)
    assert info.value.path == path
    assert "surrogate" in str(info.value)
