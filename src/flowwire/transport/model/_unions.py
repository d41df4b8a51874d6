"""Union annotations: their converter, and the error that says which member failed and why.

A value whose type is a member keeps that type; any other value is tried against each member
in order. When every member rejects it, the error names the one member that takes the
value's shape (an object for a dataclass) with that member's own reason and path, or else
lists what each plausible member said (if any).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Union
from uuid import UUID

from flowwire.errors import DecodeError
from flowwire.transport.model import _model
from flowwire.transport.model._converters import CompileHint, Converter, describe
from flowwire.transport.model._fast import MODE_OPTIONAL, c_plan, fast_call, set_fast

__all__ = ["compile_union"]

_NONE_TYPE = type(None)


def compile_union(members: tuple[Any, ...], compile_hint: CompileHint) -> Converter | None:
    if any(m is Any or m is object for m in members):
        return None
    non_none = [m for m in members if m is not None and m is not _NONE_TYPE]
    optional = len(non_none) != len(members)
    if optional and len(non_none) == 1:
        inner = compile_hint(non_none[0])

        def opt(value: Any, path: str) -> Any:
            if value is None:
                return None
            if inner is None:
                return value
            return inner(value, path)

        if inner is not None:
            fast_inner = fast_call(inner)

            def fast(value: Any) -> Any:
                return None if value is None else fast_inner(value)

            set_fast(opt, c_plan(MODE_OPTIONAL, [inner]) or fast)
        return opt
    convs = [compile_hint(m) for m in non_none]
    names = " | ".join(_hint_name(m) for m in members)
    # A value whose type is a member stays that type (1 as float | int stays int).
    by_type = {m: c for m, c in zip(non_none, convs, strict=True) if isinstance(m, type)}
    shapes = [_shapes(m) for m in non_none]
    member_names = [_hint_name(m) for m in non_none]

    def union(value: Any, path: str) -> Any:
        if value is None and optional:
            return None
        kind = type(value)
        if kind in by_type:
            exact = by_type[kind]
            return value if exact is None else exact(value, path)
        errors: list[DecodeError] = []
        for c in convs:
            if c is None:
                return value
            try:
                return c(value, path)
            except DecodeError as exc:
                errors.append(exc)
        raise _union_error(value, path, names, member_names, shapes, errors)

    return union


def _union_error(
    value: Any,
    path: str,
    names: str,
    member_names: list[str],
    shapes: list[tuple[type, ...] | None],
    errors: list[DecodeError],
) -> DecodeError:
    # A member is plausible when the value has a shape it takes (an object for a dataclass):
    # its error then says more than "expected A | B", and exactly where.
    # A member of unknown shape (an enum, ...) is plausible when it failed below the union.
    plausible = [
        i
        for i, shape in enumerate(shapes)
        if (errors[i].path != path if shape is None else isinstance(value, shape))
    ]
    if len(plausible) == 1:
        inner = errors[plausible[0]]
        return DecodeError(
            f"as {member_names[plausible[0]]} (the member of {names} that takes "
            f"{_kind_label(value)}): {inner.reason}",
            path=inner.path,
        )
    tried = "; ".join(f"{member_names[i]}: {errors[i]}" for i in plausible)
    message = f"expected {names}, got {describe(value)}"
    return DecodeError(f"{message}; tried {tried}" if tried else message, path=path)


def _kind_label(value: Any) -> str:
    labels = {
        dict: "an object",
        list: "an array",
        tuple: "an array",
        str: "a string",
        int: "an integer",
        float: "a float",
        bool: "a bool",
        bytes: "bytes",
    }
    return labels.get(type(value), f"a {type(value).__name__} value")


def _hint_name(hint: Any) -> str:
    """A short, readable name of an annotation: ``list[Order] | None``."""
    if hint is None or hint is _NONE_TYPE:
        return "None"
    if isinstance(hint, type) and not isinstance(hint, types.GenericAlias):
        return hint.__qualname__
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Union or origin is types.UnionType:
        return " | ".join(_hint_name(a) for a in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is typing.Annotated:
        return _hint_name(args[0])
    if origin is not None:
        base = getattr(origin, "__qualname__", None) or repr(origin)
        inner = ", ".join("..." if a is Ellipsis else _hint_name(a) for a in args)
        return f"{base}[{inner}]" if args else base
    return getattr(hint, "__qualname__", None) or getattr(hint, "__name__", None) or repr(hint)


_ARRAYS = (list, tuple, set, frozenset)
_SCALAR_SHAPES: dict[Any, tuple[type, ...]] = {
    bool: (bool,),
    int: (int,),
    float: (float, int),
    str: (str,),
    bytes: (bytes, str),
    datetime: (datetime, str),
    date: (date, str),
    time: (time, str),
    timedelta: (timedelta, int),
    UUID: (UUID, str, bytes),
    Decimal: (Decimal, str, int),
}


def _shapes(hint: Any) -> tuple[type, ...] | None:
    """The value types an annotation can take at its top level; ``None`` for "any"."""
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return _shapes(typing.get_args(hint)[0])
    if isinstance(hint, typing.NewType):
        return _shapes(hint.__supertype__)
    if origin is typing.Literal:
        values = typing.get_args(hint)
        if any(isinstance(v, Enum) for v in values):
            return None
        return tuple({type(v): None for v in values})
    if origin is not None:
        hint = origin if isinstance(origin, type) else hint
    if not isinstance(hint, type):
        return None  # TypeVar, ...: any shape may fit
    if hint in _SCALAR_SHAPES:
        return _SCALAR_SHAPES[hint]
    if issubclass(hint, Enum) or _model.is_protobuf_message_class(hint):
        return None  # enum values and well-known protobuf types have any shape
    if issubclass(hint, tuple) or issubclass(hint, (set, frozenset)):
        return (*_ARRAYS, hint)
    if issubclass(hint, list):
        return (list, tuple, hint)
    if typing.is_typeddict(hint):
        return (dict,)  # a TypedDict takes no isinstance() checks
    if issubclass(hint, dict) or dataclasses.is_dataclass(hint):
        return (dict, hint)
    import collections.abc as cabc

    if issubclass(hint, cabc.Mapping):
        return (dict,)
    from flowwire.transport.model.adapters import RecordAdapter, adapter_for

    adapter = adapter_for(hint)
    if isinstance(adapter, RecordAdapter):  # attrs, pydantic, msgspec, ...
        return (dict, hint)
    if adapter is not None:  # a simple adapter: what its shape takes, or an instance
        try:
            inner = _shapes(adapter.shape(hint))
        except Exception:  # built-in adapters describe no shape
            return None
        return None if inner is None else (*inner, hint)
    if issubclass(hint, cabc.Iterable) and not issubclass(hint, (str, bytes)):
        return _ARRAYS
    return (hint,)
