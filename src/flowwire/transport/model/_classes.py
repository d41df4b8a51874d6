"""Converters of classes: enums, named tuples, TypedDicts and protobuf messages.

A converter refers to its class through a weak reference (the caches of
:mod:`flowwire.transport.model._hint_cache` must not keep a dropped class alive), so a converter
kept past its class raises ``DecodeError`` saying the class is gone. Fields are compiled
through the ``compile_hint`` the caller passes.
"""

from __future__ import annotations

import contextlib
import typing
import weakref
from enum import Enum
from typing import Any

from flowwire.errors import ConfigurationError, DecodeError, EncodeError
from flowwire.transport.model import _model
from flowwire.transport.model._converters import CompileHint, Converter, fail, gone

__all__ = [
    "compile_enum",
    "compile_namedtuple",
    "compile_protobuf",
    "compile_typeddict",
    "hints_of",
]

_ref = weakref.ref


def hints_of(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception as exc:  # NameError for unresolved forward references, ...
        raise ConfigurationError(
            f"cannot resolve the annotations of {cls.__qualname__}: {exc}"
        ) from exc


def compile_enum(enum_cls: type[Enum]) -> Converter:
    # Member names, not members: a member refers to its class, which must stay collectable.
    names: dict[tuple[type, Any], str] = {}
    for member in enum_cls:
        with contextlib.suppress(TypeError):  # unhashable values: found by the scan below
            names.setdefault((type(member.value), member.value), member.name)
    ref = _ref(enum_cls)
    name = enum_cls.__qualname__
    label = f"a value of enum {name}"

    def conv(value: Any, path: str) -> Any:
        cls = ref()
        if cls is None:
            raise gone(name, path)
        if isinstance(value, cls):
            return value
        try:
            found = names.get((type(value), value))
        except (TypeError, ArithmeticError):  # unhashable, or a signalling NaN
            found = None
        if found is not None:
            return cls._member_map_[found]
        for member in cls:  # values lowered by JSON (tuples as lists, ...)
            try:
                if _model.lower_fully(member.value) == value:
                    return member
            except (ArithmeticError, TypeError, ValueError, EncodeError):
                continue
        missing = _missing_member(cls, value)
        if missing is not None:
            return missing
        raise fail(label, value, path)

    return conv


def _missing_member(cls: Any, value: Any) -> Any:
    """The member an enum's own ``_missing_`` picks for an unknown value (schema evolution:
    a member added by a newer writer), or None."""
    if "_missing_" not in {k for c in cls.__mro__ if c is not Enum for k in vars(c)}:
        return None
    try:
        member = cls._missing_(value)
    except Exception:
        return None
    return member if isinstance(member, cls) else None


def compile_namedtuple(cls: type, compile_hint: CompileHint) -> Converter:
    hints = hints_of(cls)
    fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    convs = [compile_hint(hints.get(f, Any)) for f in fields]
    name = cls.__qualname__
    least = len(fields) - len(getattr(cls, "_field_defaults", {}))  # trailing defaults
    ref = _ref(cls)

    def conv(value: Any, path: str) -> Any:
        cls = ref()
        if cls is None:
            raise gone(name, path)
        if isinstance(value, cls):
            return value
        if type(value) not in (list, tuple):
            raise fail(f"array (for {name})", value, path)
        if not least <= len(value) <= len(fields):
            raise DecodeError(
                f"expected {len(fields)} items for {name}, got {len(value)}", path=path
            )
        return cls(
            *(
                v if c is None else c(v, f"{path}[{i}]")
                for i, (c, v) in enumerate(zip(convs, value, strict=False))
            )
        )

    return conv


def _typeddict_required(cls: type) -> frozenset[str]:
    # Under ``from __future__ import annotations`` the class cannot see Required/NotRequired
    # when it is created, so __required_keys__ is wrong; the resolved annotations are not.
    required = set(getattr(cls, "__required_keys__", ()))
    try:
        extras = typing.get_type_hints(cls, include_extras=True)
    except Exception:  # hints_of already reported unresolvable annotations
        return frozenset(required)
    for key, hint in extras.items():
        origin = typing.get_origin(hint)
        if origin is typing.NotRequired:
            required.discard(key)
        elif origin is typing.Required:
            required.add(key)
    return frozenset(required)


def compile_typeddict(cls: type, compile_hint: CompileHint) -> Converter:
    hints = hints_of(cls)
    convs = {k: compile_hint(v) for k, v in hints.items()}
    required = _typeddict_required(cls)
    name = cls.__qualname__

    def conv(value: Any, path: str) -> Any:
        if type(value) is not dict:
            raise fail(f"object (for {name})", value, path)
        missing = required - value.keys()
        if missing:
            raise DecodeError(f"missing key(s) {', '.join(sorted(missing))} for {name}", path=path)
        out = {}
        for k, v in value.items():
            if k not in convs:
                raise DecodeError(f"unexpected key {k!r} for {name}", path=path)
            c = convs[k]
            out[k] = v if c is None else c(v, _model.path_key(path, k))
        return out

    return conv


def compile_protobuf(cls: type) -> Converter:
    from google.protobuf import json_format

    name = cls.__qualname__
    ref = _ref(cls)

    def conv(value: Any, path: str) -> Any:
        cls = ref()
        if cls is None:
            raise gone(name, path)
        if isinstance(value, cls):
            return value
        if type(value) is bytes:
            msg = cls()
            try:
                msg.ParseFromString(value)
            except Exception as exc:  # DecodeError, RecursionError (nesting), ...
                raise DecodeError(
                    f"invalid {name} protobuf message: {type(exc).__name__}: {exc!s:.200}",
                    path=path,
                ) from exc
            return msg
        # The canonical JSON form: an object, or for well-known types (Timestamp, Duration,
        # Value, ...) a string, number or array.
        if type(value) in (dict, str, list, int, float, bool) or value is None:
            try:
                return json_format.ParseDict(value, cls())
            except RecursionError:
                raise DecodeError(f"JSON for {name} nested too deeply", path=path) from None
            except Exception as exc:  # ParseError, TypeError, ValueError, ...
                raise DecodeError(f"invalid JSON for {name}: {exc!s:.200}", path=path) from exc
        raise fail(f"{name} message (bytes or its JSON form)", value, path)

    return conv
