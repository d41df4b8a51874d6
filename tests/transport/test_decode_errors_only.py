"""Under any annotation, decoding any value raises DecodeError (with a path) and nothing else,
and the compiled fast plans agree with the checked converters wherever they answer."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, NamedTuple, TypedDict
from uuid import UUID

import pytest
from _extras import reason
from _protobuf_helpers import load_order_pb2

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowwire import get_transport
from flowwire.errors import DecodeError, EncodeError, PayloadTooLarge
from flowwire.testing import typed_values, values_equal
from flowwire.testing.strategies import Color, LineItem, Order
from flowwire.transport import builtin_codecs
from flowwire.transport.model import _fast
from flowwire.transport.model._typing import compile_hint, convert

PbOrder = load_order_pb2().Order

# Every property runs with the C plans (where built) and with the pure-Python plans.
pytestmark = pytest.mark.usefixtures("implementation")

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Point(NamedTuple):
    x: int
    y: float = 0.0


class Movie(TypedDict):
    title: str
    year: int


@dataclasses.dataclass
class Node:
    value: int
    children: list[Node] = dataclasses.field(default_factory=list)


HINTS: list[Any] = [
    int, float, str, bytes, bool, None, datetime, date, time, timedelta, UUID, Decimal,
    Color, LineItem, Order, Node, Point, Movie, PbOrder,
    list[int], list[Order], dict[str, Decimal], dict[str, list[tuple[date, Decimal]]],
    tuple[int, ...], tuple[str, float], set[int], frozenset[str], datetime | None,
    Literal["a", 1, Color.RED], int | str, Order | None, LineItem | Movie, list[Node],
]  # fmt: skip


def _huge(bits: int) -> int:
    """An integer of about ``bits`` bits (a negative count: negative), beyond str() limits
    from 14,000 bits; built lazily, because hypothesis prints the elements it samples."""
    return -(2**-bits) - 1 if bits < 0 else 2**bits


_KEYS = st.sampled_from(
    ["sku", "quantity", "price", "id", "placed", "items", "tags", "color", "note", "value",
     "children", "title", "year", "x", "y", "", "$int", "$bytes"]
)  # fmt: skip
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([64, -64, 1400, 17000, -70000]).map(_huge),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(
        ["9" * 5000, "2024-13-40", "2024-03-10T02:30:00-05:00[America/New_York]",
         "2024-03-10T02:30:00[Nowhere/Zone]", "1e999999", "sNaN", "-0", "AAAA", "red"]
    ),
    st.binary(max_size=20),
    st.sampled_from([Decimal("sNaN"), Decimal("NaN"), Decimal("-Infinity"), Decimal("1e-999999")]),
    st.sampled_from([datetime(2024, 1, 1), date(2024, 1, 1), timedelta.max, UUID(int=7)]),
)  # fmt: skip


def _deep(depth: int, dict_: bool) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"value": value} if dict_ else [value]
    return value


HOSTILE = st.one_of(
    st.recursive(
        _LEAVES,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.lists(inner, max_size=3).map(tuple)
            | st.dictionaries(_KEYS, inner, max_size=5)
        ),
        max_leaves=20,
    ),
    st.builds(_deep, st.integers(0, 5000), st.booleans()),
)


@SETTINGS
@given(hint=st.sampled_from(HINTS), value=HOSTILE)
def test_only_decode_error_escapes_a_typed_conversion(hint: Any, value: Any) -> None:
    try:
        convert(value, hint)
    except DecodeError as exc:
        assert exc.path is not None and exc.path.startswith("$")


@pytest.mark.parametrize("codec", builtin_codecs())
@settings(SETTINGS, max_examples=60)
@given(hint=st.sampled_from(HINTS), value=HOSTILE)
def test_only_decode_error_escapes_a_typed_decode(codec: str, hint: Any, value: Any) -> None:
    transport = get_transport(codec, max_payload_chars=None)
    try:
        payload = transport.serialize_result(value)
    except (EncodeError, PayloadTooLarge):
        return
    with contextlib.suppress(DecodeError):
        transport.deserialize_result(payload, type_hint=hint)

    def run(order: Order, *more: LineItem, when: datetime | None = None, **rest: Decimal) -> None:
        raise AssertionError  # pragma: no cover - never called

    try:
        args = transport.serialize_arguments((value, value), {"when": value, "other": value})
    except (EncodeError, PayloadTooLarge):
        return
    try:
        transport.deserialize_arguments(args, signature=run)
    except DecodeError as exc:
        assert exc.path is None or exc.path.startswith(("$.args[", "$.kwargs[", "$"))


def _checked(hint: Any, value: Any) -> tuple[str, Any]:
    conv = compile_hint(hint)
    try:
        return "ok", value if conv is None else _fast.checked(conv, value, "$")
    except DecodeError as exc:
        return "error", exc.path


@SETTINGS
@given(hint=st.sampled_from(HINTS), value=HOSTILE)
def test_fast_plans_agree_with_the_checked_converters_on_hostile_values(
    hint: Any, value: Any
) -> None:
    conv = compile_hint(hint)
    if conv is None:
        return
    expected = _checked(hint, value)
    try:
        got = ("ok", _fast.run(conv, value, "$"))
    except DecodeError as exc:
        got = ("error", exc.path)
    assert got[0] == expected[0]
    if got[0] == "ok":
        assert values_equal(got[1], expected[1])
    else:
        assert got[1] == expected[1]


@pytest.mark.parametrize("codec", builtin_codecs())
@SETTINGS
@given(pair=typed_values())
def test_fast_plans_agree_with_the_checked_converters_on_typed_values(
    codec: str, pair: tuple[Any, Any]
) -> None:
    hint, value = pair
    transport = get_transport(codec, max_payload_chars=None)
    untyped = transport.deserialize_result(transport.serialize_result(value))
    conv = compile_hint(hint)
    fast = _fast.fast_of(conv)
    expected = conv(untyped, "$") if conv is not None else untyped
    if fast is not None:
        try:
            got = fast(untyped)
        except Exception:
            return  # the fast plan gave up: the checked converter decides (tested above)
        assert values_equal(got, expected)
    assert values_equal(expected, value)


def test_a_recursive_type_nested_past_the_recursion_limit_is_a_decode_error() -> None:
    deep: Any = {"value": 0}
    for _ in range(20_000):
        deep = {"value": 1, "children": [deep]}
    with pytest.raises(DecodeError, match="nested too deeply"):
        convert(deep, Node)


def test_the_issue_cases_raise_decode_error_with_their_path() -> None:
    cases: list[tuple[Any, Any, str]] = [
        (float, 10**400, "$"),
        (str, 10**5000, "$"),
        (timedelta, 10**5000, "$"),
        (list[int], _deep(3000, False), "$[0]"),
        (Color, Decimal("sNaN"), "$"),
        (dict[str, float], {"a": 2**2000}, '$["a"]'),
        (PbOrder, _deep(3000, True), "$"),
    ]
    for hint, value, path in cases:
        with pytest.raises(DecodeError) as info:
            convert(value, hint)
        assert info.value.path == path, (hint, info.value)
