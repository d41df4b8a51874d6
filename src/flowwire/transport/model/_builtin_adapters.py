"""The built-in type adapters: the extended types of the value model, registered through the
same mechanism as user adapters (:mod:`flowwire.transport.model.adapters`).

``SCALARS`` are exact types (``datetime``, ``Decimal``, ...); ``ENUMS`` and ``NAMED_TUPLES``
are asked before user adapters (codecs write them natively, so they cannot be replaced);
``KINDS`` (dataclasses, protobuf messages, TypedDicts, subclasses of base types) after them.
"""

from __future__ import annotations

import dataclasses
import typing
import weakref
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from flowwire.errors import ConfigurationError
from flowwire.transport.model import _model
from flowwire.transport.model._classes import hints_of
from flowwire.transport.model._converters import (
    Converter,
    gone,
    to_date,
    to_datetime,
    to_decimal,
    to_frozenset,
    to_set,
    to_time,
    to_timedelta,
    to_tuple,
    to_uuid,
)
from flowwire.transport.model.adapters import MISSING, RecordAdapter, RecordField, TypeAdapter

__all__ = ["ENUMS", "KINDS", "NAMED_TUPLES", "SCALARS", "DataclassAdapter"]


class _Builtin(TypeAdapter):
    """A built-in adapter: a lowering function and a converter compiler."""

    def __init__(
        self,
        name: str,
        lower: Callable[[Any], Any],
        compile_: Callable[[type, Callable[[Any], Any]], Converter | None],
        *,
        types: tuple[type, ...] = (),
        matches: Callable[[type], bool] | None = None,
    ) -> None:
        self.name = name
        self.types = types
        self._lower = lower
        self._compile = compile_
        self._matches = matches

    def matches(self, cls: type) -> bool:
        return self._matches is not None and self._matches(cls)

    def lower(self, value: Any) -> Any:
        return self._lower(value)

    def lowerer(self, cls: type) -> Callable[[Any], Any]:
        return self._lower

    def compile(self, cls: type, compile_hint: Callable[[Any], Any]) -> Any:
        return self._compile(cls, compile_hint)


def _scalar(
    cls: type, lower: Callable[[Any], Any], conv: Converter, name: str | None = None
) -> _Builtin:
    return _Builtin(name or cls.__name__, lower, lambda c, h: conv, types=(cls,))


def _datetime(value: datetime) -> str:
    return _model.format_datetime(value, "$")


def _time(value: time) -> str:
    return _model.format_time(value, "$")


def _bytes(value: Any) -> bytes:
    return bytes(value)


def _no_converter(cls: type, compile_hint: Callable[[Any], Any]) -> Converter | None:
    raise ConfigurationError(
        f"annotation {cls.__qualname__} is not part of the value model (annotate bytes)"
    )


SCALARS: tuple[TypeAdapter, ...] = (
    _scalar(datetime, _datetime, to_datetime),
    _scalar(date, date.isoformat, to_date),
    _scalar(time, _time, to_time),
    _scalar(timedelta, _model.timedelta_micros, to_timedelta),
    _scalar(UUID, str, to_uuid),
    _scalar(Decimal, str, to_decimal),
    _scalar(set, _model.sorted_items, to_set),
    _scalar(frozenset, _model.sorted_items, to_frozenset),
    _scalar(tuple, list, to_tuple),
    _Builtin("bytearray", _bytes, _no_converter, types=(bytearray, memoryview)),
)


def _enum_value(value: Enum) -> Any:
    return value.value


def _compile_enum(cls: type, compile_hint: Callable[[Any], Any]) -> Converter:
    from flowwire.transport.model._classes import compile_enum

    return compile_enum(cls)


ENUMS = _Builtin(
    "enum",
    _enum_value,
    _compile_enum,
    matches=lambda cls: issubclass(cls, Enum),
)


def _is_named_tuple(cls: type) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


def _compile_named_tuple(cls: type, compile_hint: Callable[[Any], Any]) -> Converter:
    from flowwire.transport.model._classes import compile_namedtuple

    return compile_namedtuple(cls, compile_hint)


NAMED_TUPLES = _Builtin("named tuple", list, _compile_named_tuple, matches=_is_named_tuple)


class DataclassAdapter(RecordAdapter):
    """Dataclasses: fields by name; ``init=False`` fields are set after construction."""

    name = "dataclass"

    def matches(self, cls: type) -> bool:
        return dataclasses.is_dataclass(cls)

    def fields(self, cls: type) -> Sequence[RecordField]:
        hints = hints_of(cls)
        out = []
        for f in dataclasses.fields(cls):
            default = MISSING if f.default is dataclasses.MISSING else f.default
            factory = None if f.default_factory is dataclasses.MISSING else f.default_factory
            if not f.init and default is MISSING and factory is None:
                default = MISSING  # set by __post_init__, if at all: optional on the wire
                factory = _unset
            out.append(
                RecordField(
                    f.name,
                    hints.get(f.name, Any),
                    default=default,
                    factory=factory,
                    arg="" if f.init else None,
                )
            )
        return out

    def positional(self, cls: type) -> frozenset[str]:
        """Fields the generated ``__init__`` takes positionally (not ``kw_only``)."""
        return frozenset(f.name for f in dataclasses.fields(cls) if f.init and not f.kw_only)


def _unset() -> Any:  # pragma: no cover - never called: marks a field as not required
    return MISSING


def _protobuf_bytes(value: Any) -> bytes:
    return value.SerializeToString(deterministic=True)  # type: ignore[no-any-return]


def _compile_protobuf(cls: type, compile_hint: Callable[[Any], Any]) -> Converter:
    from flowwire.transport.model._classes import compile_protobuf

    return compile_protobuf(cls)


def _compile_typeddict(cls: type, compile_hint: Callable[[Any], Any]) -> Converter:
    from flowwire.transport.model._classes import compile_typeddict

    return compile_typeddict(cls, compile_hint)


_BASES: tuple[type, ...] = (str, int, float, bytes, list, dict)


def _base_of(cls: type) -> type | None:
    if cls is bool or issubclass(cls, bool):
        return None
    for base in (*_BASES, set, frozenset):
        if issubclass(cls, base):
            return base
    return None


def _lower_subclass(value: Any) -> Any:
    base = _base_of(type(value))
    if base is set or base is frozenset:
        return _model.sorted_items(value)
    assert base is not None
    return base(value)


def _compile_subclass(cls: type, compile_hint: Callable[[Any], Any]) -> Converter:
    base = _base_of(cls)
    if base is None or base in (set, frozenset):
        raise ConfigurationError(
            f"annotation {cls.__module__}.{cls.__qualname__} is not part of the value model"
        )
    base_conv = compile_hint(base)
    assert base_conv is not None
    name = cls.__qualname__
    ref = weakref.ref(cls)

    def to_subclass(value: Any, path: str) -> Any:
        target = ref()
        if target is None:
            raise gone(name, path)
        if isinstance(value, target):
            return value
        return target(base_conv(value, path))

    return to_subclass


KINDS: tuple[TypeAdapter, ...] = (
    DataclassAdapter(),
    _Builtin(
        "protobuf message",
        _protobuf_bytes,
        _compile_protobuf,
        matches=_model.is_protobuf_message_class,
    ),
    _Builtin("TypedDict", dict, _compile_typeddict, matches=typing.is_typeddict),
    _Builtin(
        "subclass of a base type",
        _lower_subclass,
        _compile_subclass,
        matches=lambda cls: _base_of(cls) is not None,
    ),
)
