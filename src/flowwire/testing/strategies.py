"""Hypothesis strategies for the value model (extra ``testing``).

* :func:`values`: values of the base model, the domain every codec must round-trip exactly
  without annotations (``extended=True`` adds the extended types, nested).
* :func:`values_for`: the domain a given built-in codec round-trips *without* annotations.
* :func:`typed_values`: ``(annotation, value)`` pairs that every codec must rebuild exactly
  when decoding with the annotation.
* :func:`arguments`: ``(args, kwargs)`` pairs for a task call.
* :func:`instances`: values of any annotation the value model knows, adapted classes
  (pydantic, attrs, msgspec, your own type adapters) included.
* :func:`values_equal`: exact equality (types, NaN, the sign of zero, Decimal exponents, key
  order), the comparison round-trip tests need.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from flowwire.errors import ConfigurationError
from flowwire.testing._optional import MissingModule

try:
    from hypothesis import strategies as st
except ImportError as exc:  # the module still imports: values_equal needs no hypothesis
    st = MissingModule("hypothesis", "testing", exc)  # type: ignore[assignment]

__all__ = [
    "EXTENDED_TYPES",
    "Color",
    "LineItem",
    "Order",
    "arguments",
    "extended_scalars",
    "instances",
    "orders",
    "scalars",
    "typed_values",
    "values",
    "values_equal",
    "values_for",
]

_ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")


class Color(enum.Enum):
    """A sample enum for typed round trips."""

    RED = "red"
    GREEN = 2
    BLUE = (0, 0, 255)


@dataclasses.dataclass(frozen=True)
class LineItem:
    """A sample dataclass for typed round trips."""

    sku: str
    quantity: int
    price: Decimal


@dataclasses.dataclass
class Order:
    """A sample dataclass with nested extended types."""

    id: UUID
    placed: datetime
    items: list[LineItem]
    tags: frozenset[str] = frozenset()
    color: Color = Color.RED
    note: str | None = None


def _floats() -> st.SearchStrategy[float]:
    return st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
        [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, 1.7976931348623157e308]
    )


def _ints() -> st.SearchStrategy[int]:
    return (
        st.integers()
        | st.integers(min_value=-(2**200), max_value=2**200)
        | st.sampled_from([2**63 - 1, -(2**63), 2**63, 2**64 - 1, 2**64, -(2**63) - 1])
    )


def scalars() -> st.SearchStrategy[Any]:
    """Scalars of the base model: None, bool, int (any size), float (NaN, inf, -0.0), str, bytes."""
    return st.one_of(st.none(), st.booleans(), _ints(), _floats(), st.text(), st.binary())


def _timezones() -> st.SearchStrategy[Any]:
    offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
        lambda m: timezone(timedelta(minutes=m))
    )
    return st.one_of(st.just(UTC), offsets, st.sampled_from(_ZONES).map(ZoneInfo))


def _datetimes() -> st.SearchStrategy[datetime]:
    return st.datetimes() | st.datetimes(timezones=_timezones())


def extended_scalars() -> st.SearchStrategy[Any]:
    """Hashable extended scalars: datetime, date, time, timedelta, UUID, Decimal."""
    return st.one_of(
        _datetimes(),
        st.dates(),
        st.times() | st.times(timezones=st.just(UTC)),
        st.timedeltas(),
        st.uuids(),
        st.decimals(allow_nan=True, allow_infinity=True),
    )


def values(*, extended: bool = False, max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Nested values of the base model (and, with ``extended``, tuples, sets, frozensets and
    extended scalars anywhere inside)."""
    leaves = scalars() | extended_scalars() if extended else scalars()

    def children(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        options = [
            st.lists(inner, max_size=5),
            st.dictionaries(st.text(max_size=8), inner, max_size=5),
        ]
        if extended:
            hashable = st.one_of(
                st.integers(),
                st.text(max_size=8),
                st.dates(),
                st.uuids(),
                st.timedeltas(),
                st.decimals(allow_nan=False),
            )
            options += [
                st.lists(inner, max_size=4).map(tuple),
                st.sets(st.integers() | st.text(max_size=8), max_size=5),
                st.frozensets(hashable, max_size=4),
            ]
        return st.one_of(*options)

    return st.recursive(leaves, children, max_leaves=max_leaves)


#: The types ``values(extended=True)`` adds to the base model.
EXTENDED_TYPES = frozenset({tuple, set, frozenset, datetime, date, time, timedelta, UUID, Decimal})


def values_for(codec: str, *, max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """The values a registered codec round-trips exactly with no annotation, read from its
    :class:`~flowwire.transport.CodecTraits`: the base model, plus tuples, sets, frozensets
    and extended scalars when the codec carries all of :data:`EXTENDED_TYPES` natively
    (msgpack and protobuf do, json does not). Raises ConfigurationError for a name that is
    not registered."""
    from flowwire.transport.registry import codec_traits

    try:
        traits = codec_traits(codec)
    except ConfigurationError as exc:
        raise ConfigurationError(f"no known domain for codec {codec!r}: {exc}") from exc
    return values(extended=traits.native >= EXTENDED_TYPES, max_leaves=max_leaves)


def _line_items() -> st.SearchStrategy[LineItem]:
    return st.builds(
        LineItem,
        sku=st.text(min_size=1, max_size=12),
        quantity=st.integers(min_value=0, max_value=10**6),
        price=st.decimals(allow_nan=False, allow_infinity=False, places=2),
    )


def orders() -> st.SearchStrategy[Order]:
    """Sample :class:`Order` dataclasses (nested dataclasses, enums, UUIDs, Decimals, zones)."""
    return st.builds(
        Order,
        id=st.uuids(),
        placed=_datetimes(),
        items=st.lists(_line_items(), max_size=4),
        tags=st.frozensets(st.text(max_size=6), max_size=3),
        color=st.sampled_from(Color),
        note=st.none() | st.text(max_size=20),
    )


def instances(hint: Any) -> st.SearchStrategy[Any]:
    """Values of the annotation ``hint`` that every codec must rebuild exactly under it: any
    type of the value model, and classes taught to it by a type adapter (records field by
    field; others through ``hypothesis.strategies.from_type`` or ``register_strategy``)."""
    from flowwire.testing._hinted import for_hint

    return for_hint(hint)


def typed_values(*, types: Sequence[Any] = ()) -> st.SearchStrategy[tuple[Any, Any]]:
    """``(annotation, value)`` pairs: every codec must return ``value`` exactly when decoding
    with ``annotation``. ``types`` adds annotations of your own (adapted classes, ...), with
    values from :func:`instances`."""
    pairs: list[st.SearchStrategy[tuple[Any, Any]]] = [
        *(st.tuples(st.just(t), instances(t)) for t in types),
        st.tuples(st.just(datetime), _datetimes()),
        st.tuples(st.just(date), st.dates()),
        st.tuples(st.just(time), st.times()),
        st.tuples(st.just(timedelta), st.timedeltas()),
        st.tuples(st.just(UUID), st.uuids()),
        st.tuples(st.just(Decimal), st.decimals(allow_nan=True, allow_infinity=True)),
        st.tuples(st.just(Color), st.sampled_from(Color)),
        st.tuples(st.just(LineItem), _line_items()),
        st.tuples(st.just(Order), orders()),
        st.tuples(st.just(list[Order]), st.lists(orders(), max_size=3)),
        st.tuples(
            st.just(dict[str, Decimal]),
            st.dictionaries(st.text(max_size=6), st.decimals(allow_nan=False), max_size=4),
        ),
        st.tuples(st.just(tuple[int, ...]), st.lists(_ints(), max_size=5).map(tuple)),
        st.tuples(st.just(tuple[str, float]), st.tuples(st.text(), _floats())),
        st.tuples(st.just(set[int]), st.sets(st.integers(), max_size=6)),
        st.tuples(st.just(frozenset[str]), st.frozensets(st.text(max_size=6), max_size=6)),
        st.tuples(st.just(datetime | None), st.none() | _datetimes()),
        st.tuples(
            st.just(list[tuple[date, Decimal]]),
            st.lists(st.tuples(st.dates(), st.decimals(allow_nan=False)), max_size=3),
        ),
    ]
    return st.one_of(*pairs)


def arguments(
    *, extended: bool = False
) -> st.SearchStrategy[tuple[tuple[Any, ...], dict[str, Any]]]:
    """``(args, kwargs)`` for a task call, with values from :func:`values`."""
    inner = values(extended=extended, max_leaves=8)
    names = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True)
    return st.tuples(
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(names, inner, max_size=4),
    )


def values_equal(a: Any, b: Any) -> bool:
    """Exact equality: same types all the way down, NaN equals NaN, 0.0 differs from -0.0,
    Decimal compares by its text (so 1.0 differs from 1.00), dict key order matters, and
    aware datetimes must keep the same tzinfo, naive datetimes and times their ``fold``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return bool(a == b and math.copysign(1.0, a) == math.copysign(1.0, b))
    if isinstance(a, Decimal):
        return str(a) == str(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (set, frozenset)):
        return len(a) == len(b) and all(any(values_equal(x, y) for y in b) for x in a)
    if isinstance(a, (datetime, time)):
        if (a.tzinfo is None or isinstance(a, time)) and a.fold != b.fold:
            return False
        return bool(a == b and a.tzinfo == b.tzinfo and a.utcoffset() == b.utcoffset())
    if dataclasses.is_dataclass(a):
        return all(
            values_equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    from flowwire.transport.model.adapters import RecordAdapter, adapter_for

    adapter = adapter_for(type(a))
    if isinstance(adapter, RecordAdapter):  # attrs, pydantic, msgspec, ...: field by field
        return all(
            values_equal(getattr(a, f.name), getattr(b, f.name)) for f in adapter.fields(type(a))
        )
    return bool(a == b)
