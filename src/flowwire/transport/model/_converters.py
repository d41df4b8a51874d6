"""The converters that compile nothing themselves: scalars, containers and ``Literal``.

A converter is ``converter(value, path) -> value``: it returns ``value`` as the annotated type
or raises :class:`~flowwire.DecodeError` naming ``path``. The converters of scalar types are
plain functions; those of containers (``list_of``, ``dict_of``, ...) are built around the
already compiled converters of their items, ``None`` for items that need no work.
:mod:`flowwire.transport.model._typing` picks among them; the failure messages every converter
raises (``fail``, ``gone``) are made here.
"""

from __future__ import annotations

import base64
import binascii
import reprlib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any
from uuid import UUID

from flowwire.errors import DecodeError
from flowwire.transport.model import _model
from flowwire.transport.model._fast import MODE_DICT, MODE_LIST, RETRY, c_plan, fast_call, set_fast

__all__ = [
    "CompileHint",
    "Converter",
    "check",
    "compile_literal",
    "describe",
    "dict_of",
    "fail",
    "fixed_tuple",
    "gone",
    "list_of",
    "set_of",
    "to_bytes",
    "to_date",
    "to_datetime",
    "to_decimal",
    "to_float",
    "to_frozenset",
    "to_int",
    "to_set",
    "to_time",
    "to_timedelta",
    "to_tuple",
    "to_uuid",
    "tuple_of",
]

#: ``converter(value, path) -> value``; ``None`` stands for "return the value unchanged".
Converter = Callable[[Any, str], Any]

#: ``compile_hint``, handed to the compilers of annotations that contain annotations (their
#: members, items or fields), which compile those through it.
CompileHint = Callable[[Any], Converter | None]


_repr = reprlib.Repr()
_repr.maxlevel = 3
_repr.maxstring = _repr.maxother = _repr.maxlong = 48


def describe(value: Any) -> str:
    """A short text for ``value`` in messages; never raises (huge ints, deep nesting and
    hostile ``__repr__`` methods included)."""
    if type(value) is int and value.bit_length() > 160:
        return f"int of {value.bit_length():,} bits"
    try:
        text = _repr.repr(value)
    except Exception:
        text = "..."
    if len(text) > 48:
        text = text[:45] + "..."
    return f"{type(value).__name__} {text}"


def fail(expected: str, value: Any, path: str) -> DecodeError:
    return DecodeError(f"expected {expected}, got {describe(value)}", path=path)


def gone(name: str, path: str) -> DecodeError:
    # Only reachable through a converter kept past its class (a string annotation resolved to
    # a class that was dropped since): the class cannot be rebuilt any more.
    return DecodeError(f"class {name} no longer exists (it was garbage-collected)", path=path)


def check(expected: type, label: str) -> Converter:
    def check(value: Any, path: str) -> Any:
        if type(value) is expected:
            return value
        raise fail(label, value, path)

    if expected is str or expected is bool:  # checked inline by generated record plans
        check.__flowwire_kind__ = expected.__name__  # type: ignore[attr-defined]
    return check


# -- scalars ---------------------------------------------------------------------------------


def to_int(value: Any, path: str) -> Any:
    if type(value) is int:
        return value
    raise fail("integer", value, path)


def to_float(value: Any, path: str) -> Any:
    if type(value) is float:
        return value
    if type(value) is int:
        try:
            result = float(value)
        except OverflowError:
            raise fail("float (the integer is beyond the float range)", value, path) from None
        if result == value:
            return result
    raise fail("float", value, path)


def to_bytes(value: Any, path: str) -> Any:
    if type(value) is bytes:
        return value
    if type(value) is str:  # a foreign JSON writer may send base64 text where bytes are annotated
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise fail("bytes (base64 text)", value, path) from exc
    raise fail("bytes", value, path)


def to_tuple(value: Any, path: str) -> Any:
    if type(value) is tuple:
        return value
    if type(value) is list:
        return tuple(value)
    raise fail("array (for tuple)", value, path)


def _hashable_items(value: Any, path: str, label: str) -> list[Any]:
    if type(value) in (list, tuple, set, frozenset):
        return list(value)
    raise fail(f"array (for {label})", value, path)


def to_set(value: Any, path: str) -> Any:
    if type(value) is set:
        return value
    try:
        return set(_hashable_items(value, path, "set"))
    except TypeError as exc:
        raise DecodeError(f"set items must be hashable: {exc}", path=path) from exc


def to_frozenset(value: Any, path: str) -> Any:
    if type(value) is frozenset:
        return value
    try:
        return frozenset(_hashable_items(value, path, "frozenset"))
    except TypeError as exc:
        raise DecodeError(f"frozenset items must be hashable: {exc}", path=path) from exc


def _from_iso_text(kind: type, parse: Callable[[str, str], Any], label: str) -> Converter:
    """A converter that keeps a ``kind`` value and parses ISO 8601 text with ``parse``."""

    def conv(value: Any, path: str) -> Any:
        if type(value) is kind:
            return value
        if type(value) is str:
            return parse(value, path)
        raise fail(label, value, path)

    conv.__name__ = conv.__qualname__ = f"to_{kind.__name__}"
    return conv


to_datetime = _from_iso_text(datetime, _model.parse_datetime, "ISO 8601 datetime text")
to_date = _from_iso_text(date, _model.parse_date, "ISO 8601 date text")
to_time = _from_iso_text(time, _model.parse_time, "ISO 8601 time text")


def to_timedelta(value: Any, path: str) -> Any:
    if type(value) is timedelta:
        return value
    if type(value) is int:
        return _model.timedelta_from_micros(value, path)
    raise fail("integer microseconds (for timedelta)", value, path)


def to_uuid(value: Any, path: str) -> Any:
    if type(value) is UUID:
        return value
    if type(value) is str:
        try:
            return UUID(value)
        except ValueError as exc:
            raise fail("UUID text", value, path) from exc
    if type(value) is bytes and len(value) == 16:
        return UUID(bytes=value)
    raise fail("UUID text", value, path)


def to_decimal(value: Any, path: str) -> Any:
    if type(value) is Decimal:
        return value
    if type(value) is str:
        try:
            return Decimal(value)
        except InvalidOperation as exc:
            raise fail("decimal text", value, path) from exc
    if type(value) is int:
        return Decimal(value)
    raise fail("decimal text", value, path)


# -- containers ------------------------------------------------------------------------------


def list_of(item: Converter | None, *, tuple_ok: bool) -> Converter:
    def conv(value: Any, path: str) -> Any:
        if type(value) is not list:
            if tuple_ok and type(value) is tuple:
                value = list(value)
            else:
                raise fail("array", value, path)
        if item is None:
            return value
        return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]

    if item is not None:
        each = fast_call(item)

        def fast(value: Any) -> Any:
            if type(value) is not list:
                raise RETRY
            return [each(v) for v in value]

        set_fast(conv, c_plan(MODE_LIST, [item]) or fast)
    return conv


def tuple_of(item: Converter | None) -> Converter:
    def conv(value: Any, path: str) -> Any:
        if type(value) not in (list, tuple):
            raise fail("array (for tuple)", value, path)
        if item is None:
            return tuple(value)
        return tuple([item(v, f"{path}[{i}]") for i, v in enumerate(value)])

    if item is not None:
        each = fast_call(item)

        def fast(value: Any) -> Any:
            if type(value) is not list and type(value) is not tuple:
                raise RETRY
            return tuple([each(v) for v in value])

        set_fast(conv, fast)
    return conv


def fixed_tuple(items: list[Converter | None]) -> Converter:
    size = len(items)

    def conv(value: Any, path: str) -> Any:
        if type(value) not in (list, tuple):
            raise fail(f"array of {size} (for tuple)", value, path)
        if len(value) != size:
            raise DecodeError(f"expected {size} items for tuple, got {len(value)}", path=path)
        return tuple(
            v if c is None else c(v, f"{path}[{i}]")
            for i, (c, v) in enumerate(zip(items, value, strict=True))
        )

    return conv


def set_of(item: Converter | None, kind: type) -> Converter:
    label = kind.__name__

    def conv(value: Any, path: str) -> Any:
        if type(value) not in (list, tuple, set, frozenset):
            raise fail(f"array (for {label})", value, path)
        items = value if item is None else [item(v, f"{path}[{i}]") for i, v in enumerate(value)]
        try:
            return kind(items)
        except TypeError as exc:
            raise DecodeError(f"{label} items must be hashable: {exc}", path=path) from exc

    return conv


def dict_of(key: Converter | None, val: Converter | None) -> Converter:
    def conv(value: Any, path: str) -> Any:
        if type(value) is not dict:
            raise fail("object", value, path)
        if key is None and val is None:
            return value
        out = {}
        for k, v in value.items():
            sub = _model.path_key(path, k)
            out[k if key is None else key(k, sub)] = v if val is None else val(v, sub)
        return out

    if key is not None or val is not None:
        fast_key = None if key is None else fast_call(key)
        fast_val = None if val is None else fast_call(val)
        if getattr(key, "__flowwire_kind__", None) == "str":
            fast_key = None  # keys from every codec are str already; the check stays below

        def fast(value: Any) -> Any:
            if type(value) is not dict:
                raise RETRY
            if fast_key is None:
                if key is not None and not _all_str(value):
                    raise RETRY
                if fast_val is None:
                    return value
                return {k: fast_val(v) for k, v in value.items()}
            if fast_val is None:
                return {fast_key(k): v for k, v in value.items()}
            return {fast_key(k): fast_val(v) for k, v in value.items()}

        in_c = c_plan(MODE_DICT, [val]) if fast_key is None else None
        set_fast(conv, in_c or fast)
    return conv


def _all_str(value: dict[Any, Any]) -> bool:
    try:
        "".join(value)  # the C-speed way to ask "are all keys str?"
    except TypeError:
        return False
    return True


def compile_literal(values: tuple[Any, ...]) -> Converter:
    def conv(value: Any, path: str) -> Any:
        for allowed in values:
            try:
                if type(allowed) is type(value) and allowed == value:
                    return allowed
                if isinstance(allowed, Enum) and allowed.value == value:
                    return allowed
            except (ArithmeticError, TypeError, ValueError):  # a signalling NaN compared
                continue
        raise fail("one of " + ", ".join(repr(v) for v in values), value, path)

    return conv
