"""Strategies derived from annotations: any type the value model knows, adapted types too.

:func:`for_hint` maps an annotation to a strategy of values that every codec must rebuild
exactly under that annotation; a record class (dataclass, attrs, pydantic, msgspec, or a
user :class:`~flowwire.transport.model.adapters.RecordAdapter`) is built field by field from its
adapter, a simple adapter's class from ``hypothesis.strategies.from_type`` or a registered
strategy (:func:`register_strategy`).
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Union
from uuid import UUID

from hypothesis import strategies as st

from flowwire.errors import ConfigurationError
from flowwire.transport.model.adapters import RecordAdapter, adapter_for

__all__ = ["for_hint", "register_strategy"]

_registered: dict[type, st.SearchStrategy[Any]] = {}


def register_strategy(cls: type, strategy: st.SearchStrategy[Any]) -> None:
    """Use ``strategy`` for instances of ``cls`` wherever :func:`for_hint` meets it."""
    _registered[cls] = strategy


def _scalars() -> dict[Any, Callable[[], st.SearchStrategy[Any]]]:
    from flowwire.testing import strategies as s

    return {
        int: s._ints,
        float: s._floats,
        str: st.text,
        bytes: st.binary,
        bool: st.booleans,
        datetime: s._datetimes,
        date: st.dates,
        time: lambda: st.times() | st.times(timezones=st.just(UTC)),
        timedelta: st.timedeltas,
        UUID: st.uuids,
        Decimal: lambda: st.decimals(allow_nan=True, allow_infinity=True),
        type(None): st.none,
    }


def for_hint(hint: Any, *, _depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of the annotation ``hint``.

    Raises:
        ConfigurationError: for an annotation outside the value model.
    """
    if _depth > 6:
        return st.nothing()
    deeper = _depth + 1
    if hint is None:
        hint = type(None)
    if hint in _registered:
        return _registered[hint]
    scalars = _scalars()
    if hint in scalars:
        return scalars[hint]()
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return for_hint(args[0], _depth=_depth)
    if origin is Union or origin is types.UnionType:
        return st.one_of(*(for_hint(a, _depth=deeper) for a in args))
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is list:
        return st.lists(for_hint(args[0], _depth=deeper), max_size=3)
    if origin is dict:
        return st.dictionaries(
            for_hint(args[0], _depth=deeper), for_hint(args[1], _depth=deeper), max_size=3
        )
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(for_hint(args[0], _depth=deeper), max_size=3).map(tuple)
        return st.tuples(*(for_hint(a, _depth=deeper) for a in args))
    if origin in (set, frozenset):
        items = st.lists(for_hint(args[0], _depth=deeper), max_size=3)
        return items.map(origin)
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return st.sampled_from(list(hint))
        adapter = adapter_for(hint)
        if isinstance(adapter, RecordAdapter):
            return _record(hint, adapter, deeper)
        if adapter is not None:
            return st.from_type(hint)
    raise ConfigurationError(f"no strategy for annotation {hint!r} (register_strategy() one)")


def _record(cls: type, adapter: RecordAdapter, depth: int) -> st.SearchStrategy[Any]:
    fields = [f for f in adapter.fields(cls) if f.keyword is not None]
    if depth > 4:  # a recursive record: only the required fields, the rest take defaults
        fields = [f for f in fields if f.required]
    parts = {f.keyword: for_hint(f.hint, _depth=depth) for f in fields}

    def build(values: dict[str, Any]) -> Any:
        try:
            return adapter.create(cls, values)
        except Exception:  # the class's own validation refused these values: draw others
            return _REFUSED

    built = st.fixed_dictionaries(parts).map(build)  # type: ignore[arg-type]
    return built.filter(lambda value: value is not _REFUSED)


_REFUSED: Any = object()
