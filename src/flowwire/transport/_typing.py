"""Rebuilding typed values from annotations, identically for every codec.

A codec returns base types plus whatever extended types its wire format preserves (msgpack and
protobuf keep tuples, datetimes, Decimals, ...; JSON gives their lowered forms). A *converter*
compiled from an annotation turns either form into the annotated type and checks it on the way:
a value that does not fit raises :class:`~flowwire.DecodeError` naming its path.

Converters are compiled once per annotation and cached. An annotation that needs no work
(``Any``, ``str``, ``list[int]`` ...) compiles to a cheap check or to nothing at all, so the
common case costs next to nothing.

The caches must not keep alive what a long-lived worker builds and drops (classes, functions):
classes and functions are held weakly (their entry goes when they do, and converters refer to
their class through a weak reference), other annotations (``list[Order]``, ``Order | None``,
``Literal[...]``: compared by value, so not weakly keyable) live in a bounded cache that drops
its oldest entry first. A hit in either cache is one dictionary lookup.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import inspect
import threading
import types
import typing
import weakref
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Generic, TypeVar, Union
from uuid import UUID

from flowwire.errors import ConfigurationError, DecodeError
from flowwire.transport import _model

__all__ = ["ArgumentTypes", "Converter", "compile_hint", "convert"]

#: ``converter(value, path) -> value``; ``None`` stands for "return the value unchanged".
Converter = Callable[[Any, str], Any]

#: Most annotations that are not classes kept at once (oldest dropped first).
_HINTS_MAX = 1024

_hints: dict[Any, Converter | None] = {}  # other annotations, bounded
_compiling: dict[Any, Converter] = {}  # trampolines of the compile in progress
_added: list[Any] = []  # hints cached during the outermost compile in progress
_lock = threading.RLock()
_ref = weakref.ref
_V = TypeVar("_V")
_NONE_TYPE = type(None)


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 48:
        text = text[:45] + "..."
    return f"{type(value).__name__} {text}"


def _fail(expected: str, value: Any, path: str) -> DecodeError:
    return DecodeError(f"expected {expected}, got {_describe(value)}", path=path)


def _gone(name: str, path: str) -> DecodeError:
    # Only reachable through a converter kept past its class (a string annotation resolved to
    # a class that was dropped since): the class cannot be rebuilt any more.
    return DecodeError(f"class {name} no longer exists (it was garbage-collected)", path=path)


def convert(value: Any, hint: Any, path: str = "$") -> Any:
    """Rebuild ``value`` as the annotated type ``hint``; raises DecodeError on mismatch."""
    conv = compile_hint(hint)
    return value if conv is None else conv(value, path)


def compile_hint(hint: Any) -> Converter | None:
    """Compile an annotation into a converter (cached). Raises ConfigurationError for an
    annotation outside the value model."""
    if type(hint) is type:  # most classes: one lookup
        try:
            return _classes[id(hint)]
        except KeyError:
            pass
    else:
        try:
            return _hints[hint]
        except KeyError:
            found = _classes.get(id(hint), _MISSING)  # classes with a metaclass (enums, ...)
            if found is not _MISSING:
                return found  # type: ignore[no-any-return]
        except TypeError:  # unhashable annotation (rare): compile without caching
            return _compile(hint)
    return _compile_and_cache(hint)


def _compile_and_cache(hint: Any) -> Converter | None:
    with _lock:
        found = _cached(hint)
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        pending = _compiling.get(hint)
        if pending is not None:  # a recursive reference inside this thread's compile
            return pending
        # Recursive types (a dataclass whose fields name itself) resolve through this
        # trampoline, visible only to the compiling thread until the converter is complete.
        slot: list[Converter | None] = [None]

        def trampoline(value: Any, path: str) -> Any:
            conv = slot[0]
            return value if conv is None else conv(value, path)

        outermost = not _compiling
        _compiling[hint] = trampoline
        try:
            conv = _compile(hint)
        except BaseException:
            if outermost:  # converters built on the way may refer to a failed trampoline
                for key in _added:
                    _uncache(key)
                _added.clear()
            raise
        finally:
            del _compiling[hint]
        slot[0] = conv
        _store(hint, conv)
        if outermost:
            _added.clear()
        else:
            _added.append(hint)
        return conv


class _WeakTable(Generic[_V]):
    """Values keyed by ``id(key)`` for keys that can be weakly referenced: an entry is removed
    by a weak reference callback when its key dies, which CPython runs before the key's memory
    (and so its id) can be reused. A hit is ``entries[id(key)]``, one dict lookup."""

    __slots__ = ("entries", "watchers")

    def __init__(self, entries: dict[int, _V] | None = None) -> None:
        self.entries: dict[int, _V] = {} if entries is None else entries
        self.watchers: dict[int, weakref.ref[Any]] = {}  # a callback runs only while its ref lives

    def store(self, key: Any, value: _V) -> None:
        """Raises TypeError if ``key`` cannot be weakly referenced."""
        ident = id(key)
        entries, watchers = self.entries, self.watchers

        def drop(_: object, ident: int = ident) -> None:
            entries.pop(ident, None)
            watchers.pop(ident, None)

        watchers[ident] = _ref(key, drop)
        entries[ident] = value

    def discard(self, key: Any) -> None:
        self.entries.pop(id(key), None)
        self.watchers.pop(id(key), None)


_MISSING: Any = object()
# Converters of classes, held weakly (see _WeakTable). A converter refers to its class through a
# weak reference too, or its entry would keep the class alive.
_class_table: _WeakTable[Converter | None] = _WeakTable()
_classes = _class_table.entries


def _is_class(hint: Any) -> bool:
    return isinstance(hint, type) and not isinstance(hint, types.GenericAlias)


def _cached(hint: Any) -> Any:
    if _is_class(hint):
        return _classes.get(id(hint), _MISSING)
    return _hints.get(hint, _MISSING)


def _store(hint: Any, conv: Converter | None) -> None:
    if _is_class(hint):
        _class_table.store(hint, conv)
        return
    while len(_hints) >= _HINTS_MAX:
        del _hints[next(iter(_hints))]  # the oldest entry (dicts keep insertion order)
    _hints[hint] = conv


def _uncache(hint: Any) -> None:
    if _is_class(hint):
        _class_table.discard(hint)
    else:
        _hints.pop(hint, None)


def _check(expected: type, label: str) -> Converter:
    def check(value: Any, path: str) -> Any:
        if type(value) is expected:
            return value
        raise _fail(label, value, path)

    return check


def _compile(hint: Any) -> Converter | None:
    if hint is Any or hint is object or hint is inspect.Parameter.empty:
        return None
    if hint is None or hint is _NONE_TYPE:
        return _check(_NONE_TYPE, "null")
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return compile_hint(typing.get_args(hint)[0])
    if origin is Union or origin is types.UnionType:
        return _compile_union(typing.get_args(hint))
    if origin is typing.Literal:
        return _compile_literal(typing.get_args(hint))
    if isinstance(hint, typing.NewType):
        return compile_hint(hint.__supertype__)
    if isinstance(hint, typing.TypeVar):
        return compile_hint(hint.__bound__) if hint.__bound__ is not None else None
    if origin is not None:
        return _compile_generic(hint, origin, typing.get_args(hint))
    if not isinstance(hint, type):
        raise ConfigurationError(f"annotation {hint!r} is not part of the value model")
    return _compile_class(hint)


def _compile_class(hint: type) -> Converter | None:
    if hint is bool:
        return _check(bool, "bool")
    if hint is int:
        return _to_int
    if hint is float:
        return _to_float
    if hint is str:
        return _check(str, "string")
    if hint is bytes:
        return _to_bytes
    if hint is list:
        return _check(list, "array")
    if hint is dict:
        return _check(dict, "object")
    if hint is tuple:
        return _to_tuple
    if hint is set:
        return _to_set
    if hint is frozenset:
        return _to_frozenset
    if hint is datetime:
        return _to_datetime
    if hint is date:
        return _to_date
    if hint is time:
        return _to_time
    if hint is timedelta:
        return _to_timedelta
    if hint is UUID:
        return _to_uuid
    if hint is Decimal:
        return _to_decimal
    if issubclass(hint, Enum):
        return _compile_enum(hint)
    if dataclasses.is_dataclass(hint):
        return _compile_dataclass(hint)
    if issubclass(hint, tuple) and hasattr(hint, "_fields"):
        return _compile_namedtuple(hint)
    if _model.is_protobuf_message_class(hint):
        return _compile_protobuf(hint)
    if typing.is_typeddict(hint):
        return _compile_typeddict(hint)
    hint_name = hint.__qualname__
    hint_ref = _ref(hint)
    for base in (str, int, float, bytes, list, dict):
        if issubclass(hint, base) and hint is not bool:
            base_conv = compile_hint(base)
            assert base_conv is not None

            def to_subclass(value: Any, path: str, _c: Any = base_conv, _r: Any = hint_ref) -> Any:
                cls = _r()
                if cls is None:
                    raise _gone(hint_name, path)
                if isinstance(value, cls):
                    return value
                return cls(_c(value, path))

            return to_subclass
    raise ConfigurationError(
        f"annotation {hint.__module__}.{hint.__qualname__} is not part of the value model "
        "(use base types, dataclasses, enums, protobuf messages or the documented extended types)"
    )


# -- scalars ---------------------------------------------------------------------------------


def _to_int(value: Any, path: str) -> Any:
    if type(value) is int:
        return value
    raise _fail("integer", value, path)


def _to_float(value: Any, path: str) -> Any:
    if type(value) is float:
        return value
    if type(value) is int:
        result = float(value)
        if result == value:
            return result
    raise _fail("float", value, path)


def _to_bytes(value: Any, path: str) -> Any:
    if type(value) is bytes:
        return value
    if type(value) is str:  # a foreign JSON writer may send base64 text where bytes are annotated
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _fail("bytes (base64 text)", value, path) from exc
    raise _fail("bytes", value, path)


def _to_tuple(value: Any, path: str) -> Any:
    if type(value) is tuple:
        return value
    if type(value) is list:
        return tuple(value)
    raise _fail("array (for tuple)", value, path)


def _hashable_items(value: Any, path: str, label: str) -> list[Any]:
    if type(value) in (list, tuple, set, frozenset):
        return list(value)
    raise _fail(f"array (for {label})", value, path)


def _to_set(value: Any, path: str) -> Any:
    if type(value) is set:
        return value
    try:
        return set(_hashable_items(value, path, "set"))
    except TypeError as exc:
        raise DecodeError(f"set items must be hashable: {exc}", path=path) from exc


def _to_frozenset(value: Any, path: str) -> Any:
    if type(value) is frozenset:
        return value
    try:
        return frozenset(_hashable_items(value, path, "frozenset"))
    except TypeError as exc:
        raise DecodeError(f"frozenset items must be hashable: {exc}", path=path) from exc


def _to_datetime(value: Any, path: str) -> Any:
    if type(value) is datetime:
        return value
    if type(value) is str:
        return _model.parse_datetime(value, path)
    raise _fail("ISO 8601 datetime text", value, path)


def _to_date(value: Any, path: str) -> Any:
    if type(value) is date:
        return value
    if type(value) is str:
        return _model.parse_date(value, path)
    raise _fail("ISO 8601 date text", value, path)


def _to_time(value: Any, path: str) -> Any:
    if type(value) is time:
        return value
    if type(value) is str:
        return _model.parse_time(value, path)
    raise _fail("ISO 8601 time text", value, path)


def _to_timedelta(value: Any, path: str) -> Any:
    if type(value) is timedelta:
        return value
    if type(value) is int:
        return _model.timedelta_from_micros(value, path)
    raise _fail("integer microseconds (for timedelta)", value, path)


def _to_uuid(value: Any, path: str) -> Any:
    if type(value) is UUID:
        return value
    if type(value) is str:
        try:
            return UUID(value)
        except ValueError as exc:
            raise _fail("UUID text", value, path) from exc
    if type(value) is bytes and len(value) == 16:
        return UUID(bytes=value)
    raise _fail("UUID text", value, path)


def _to_decimal(value: Any, path: str) -> Any:
    if type(value) is Decimal:
        return value
    if type(value) is str:
        try:
            return Decimal(value)
        except InvalidOperation as exc:
            raise _fail("decimal text", value, path) from exc
    if type(value) is int:
        return Decimal(value)
    raise _fail("decimal text", value, path)


# -- containers ------------------------------------------------------------------------------


def _compile_generic(hint: Any, origin: Any, args: tuple[Any, ...]) -> Converter | None:
    import collections.abc as cabc

    if origin in (list, cabc.Sequence, cabc.MutableSequence, cabc.Iterable, cabc.Collection):
        item = compile_hint(args[0]) if args else None
        return _list_of(item, tuple_ok=origin is not list)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _tuple_of(compile_hint(args[0]))
        if args == ((),):  # tuple[()]
            args = ()
        return _fixed_tuple([compile_hint(a) for a in args])
    if origin in (set, cabc.Set, cabc.MutableSet):
        item = compile_hint(args[0]) if args else None
        return _set_of(item, set)
    if origin is frozenset:
        item = compile_hint(args[0]) if args else None
        return _set_of(item, frozenset)
    if origin in (dict, cabc.Mapping, cabc.MutableMapping):
        key = compile_hint(args[0]) if args else None
        val = compile_hint(args[1]) if len(args) > 1 else None
        return _dict_of(key, val)
    if origin is type:
        raise ConfigurationError(f"annotation {hint!r}: classes cannot be carried as values")
    if isinstance(origin, type):  # a generic dataclass such as Box[int]
        return compile_hint(origin)
    raise ConfigurationError(f"annotation {hint!r} is not part of the value model")


def _list_of(item: Converter | None, *, tuple_ok: bool) -> Converter:
    def conv(value: Any, path: str) -> Any:
        if type(value) is not list:
            if tuple_ok and type(value) is tuple:
                value = list(value)
            else:
                raise _fail("array", value, path)
        if item is None:
            return value
        return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]

    return conv


def _tuple_of(item: Converter | None) -> Converter:
    def conv(value: Any, path: str) -> Any:
        if type(value) not in (list, tuple):
            raise _fail("array (for tuple)", value, path)
        if item is None:
            return tuple(value)
        return tuple(item(v, f"{path}[{i}]") for i, v in enumerate(value))

    return conv


def _fixed_tuple(items: list[Converter | None]) -> Converter:
    size = len(items)

    def conv(value: Any, path: str) -> Any:
        if type(value) not in (list, tuple):
            raise _fail(f"array of {size} (for tuple)", value, path)
        if len(value) != size:
            raise DecodeError(f"expected {size} items for tuple, got {len(value)}", path=path)
        return tuple(
            v if c is None else c(v, f"{path}[{i}]")
            for i, (c, v) in enumerate(zip(items, value, strict=True))
        )

    return conv


def _set_of(item: Converter | None, kind: type) -> Converter:
    label = kind.__name__

    def conv(value: Any, path: str) -> Any:
        if type(value) not in (list, tuple, set, frozenset):
            raise _fail(f"array (for {label})", value, path)
        items = value if item is None else [item(v, f"{path}[{i}]") for i, v in enumerate(value)]
        try:
            return kind(items)
        except TypeError as exc:
            raise DecodeError(f"{label} items must be hashable: {exc}", path=path) from exc

    return conv


def _dict_of(key: Converter | None, val: Converter | None) -> Converter:
    def conv(value: Any, path: str) -> Any:
        if type(value) is not dict:
            raise _fail("object", value, path)
        if key is None and val is None:
            return value
        out = {}
        for k, v in value.items():
            sub = _model.path_key(path, k)
            out[k if key is None else key(k, sub)] = v if val is None else val(v, sub)
        return out

    return conv


def _compile_union(members: tuple[Any, ...]) -> Converter | None:
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
    message = f"expected {names}, got {_describe(value)}"
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
    if issubclass(hint, dict) or dataclasses.is_dataclass(hint) or typing.is_typeddict(hint):
        return (dict, hint)
    import collections.abc as cabc

    if issubclass(hint, cabc.Mapping):
        return (dict,)
    if issubclass(hint, cabc.Iterable) and not issubclass(hint, (str, bytes)):
        return _ARRAYS
    return (hint,)


def _compile_literal(values: tuple[Any, ...]) -> Converter:
    def conv(value: Any, path: str) -> Any:
        for allowed in values:
            if type(allowed) is type(value) and allowed == value:
                return allowed
            if isinstance(allowed, Enum) and allowed.value == value:
                return allowed
        raise _fail("one of " + ", ".join(repr(v) for v in values), value, path)

    return conv


# -- classes ---------------------------------------------------------------------------------


def _hints_of(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception as exc:  # NameError for unresolved forward references, ...
        raise ConfigurationError(
            f"cannot resolve the annotations of {cls.__qualname__}: {exc}"
        ) from exc


def _compile_enum(enum_cls: type[Enum]) -> Converter:
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
            raise _gone(name, path)
        if isinstance(value, cls):
            return value
        try:
            found = names.get((type(value), value))
        except TypeError:
            found = None
        if found is not None:
            return cls._member_map_[found]
        for member in cls:  # values lowered by JSON (tuples as lists, ...)
            if _model.lower_fully(member.value) == value:
                return member
        raise _fail(label, value, path)

    return conv


def _compile_dataclass(cls: type) -> Converter:
    hints = _hints_of(cls)
    init_fields: list[tuple[str, Converter | None]] = []
    late_fields: list[tuple[str, Converter | None]] = []
    required = set()
    for f in dataclasses.fields(cls):
        field_conv = compile_hint(hints.get(f.name, Any))
        (init_fields if f.init else late_fields).append((f.name, field_conv))
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.add(f.name)
    by_name = dict(init_fields)
    late = dict(late_fields)
    name = cls.__qualname__
    ref = _ref(cls)

    def conv(value: Any, path: str) -> Any:
        cls = ref()
        if cls is None:
            raise _gone(name, path)
        if isinstance(value, cls):
            return value
        if type(value) is not dict:
            raise _fail(f"object (for {name})", value, path)
        kwargs = {}
        later = {}
        for key, item in value.items():
            sub = _model.path_key(path, key)
            if key in by_name:
                c = by_name[key]
                kwargs[key] = item if c is None else c(item, sub)
            elif key in late:
                c = late[key]
                later[key] = item if c is None else c(item, sub)
            else:
                raise DecodeError(f"unexpected field {key!r} for {name}", path=path)
        missing = required - kwargs.keys()
        if missing:
            raise DecodeError(
                f"missing field(s) {', '.join(sorted(missing))} for {name}", path=path
            )
        try:
            obj = cls(**kwargs)
        except Exception as exc:
            raise DecodeError(f"{name}(...) rejected the decoded fields: {exc}", path=path) from exc
        for key, item in later.items():
            object.__setattr__(obj, key, item)
        return obj

    return conv


def _compile_namedtuple(cls: type) -> Converter:
    hints = _hints_of(cls)
    fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    convs = [compile_hint(hints.get(f, Any)) for f in fields]
    name = cls.__qualname__
    least = len(fields) - len(getattr(cls, "_field_defaults", {}))  # trailing defaults
    ref = _ref(cls)

    def conv(value: Any, path: str) -> Any:
        cls = ref()
        if cls is None:
            raise _gone(name, path)
        if isinstance(value, cls):
            return value
        if type(value) not in (list, tuple):
            raise _fail(f"array (for {name})", value, path)
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
    except Exception:  # _hints_of already reported unresolvable annotations
        return frozenset(required)
    for key, hint in extras.items():
        origin = typing.get_origin(hint)
        if origin is typing.NotRequired:
            required.discard(key)
        elif origin is typing.Required:
            required.add(key)
    return frozenset(required)


def _compile_typeddict(cls: type) -> Converter:
    hints = _hints_of(cls)
    convs = {k: compile_hint(v) for k, v in hints.items()}
    required = _typeddict_required(cls)
    name = cls.__qualname__

    def conv(value: Any, path: str) -> Any:
        if type(value) is not dict:
            raise _fail(f"object (for {name})", value, path)
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


def _compile_protobuf(cls: type) -> Converter:
    from google.protobuf import json_format
    from google.protobuf.message import DecodeError as PbDecodeError

    name = cls.__qualname__
    ref = _ref(cls)

    def conv(value: Any, path: str) -> Any:
        cls = ref()
        if cls is None:
            raise _gone(name, path)
        if isinstance(value, cls):
            return value
        if type(value) is bytes:
            msg = cls()
            try:
                msg.ParseFromString(value)
            except (PbDecodeError, RuntimeError, ValueError) as exc:
                raise DecodeError(f"invalid {name} protobuf message: {exc}", path=path) from exc
            return msg
        # The canonical JSON form: an object, or for well-known types (Timestamp, Duration,
        # Value, ...) a string, number or array.
        if type(value) in (dict, str, list, int, float, bool) or value is None:
            try:
                return json_format.ParseDict(value, cls())
            except (json_format.ParseError, TypeError, ValueError, AttributeError) as exc:
                raise DecodeError(f"invalid JSON for {name}: {exc}", path=path) from exc
        raise _fail(f"{name} message (bytes or its JSON form)", value, path)

    return conv


# -- call signatures -------------------------------------------------------------------------


class ArgumentTypes:
    """Per-parameter converters of a callable (a task's ``run``), compiled once.

    ``self``/``cls`` of a plain function defined in a class body is skipped when its name says
    so, so both ``MyTask.run`` and ``my_task.run`` work.
    """

    __slots__ = ("keyword", "name", "positional", "trivial", "var_keyword", "var_positional")

    #: By ``id`` of the function, held weakly (an entry goes with its function): _WeakTable.
    _by_func: dict[int, ArgumentTypes] = {}

    def __init__(self, func: Callable[..., Any]) -> None:
        target = getattr(func, "__func__", func)
        self.name = getattr(target, "__qualname__", repr(target))
        try:
            sig = inspect.signature(target)
            hints = typing.get_type_hints(target)
        except Exception as exc:
            raise ConfigurationError(f"cannot read the annotations of {self.name}: {exc}") from exc
        params = list(sig.parameters.values())
        if params and params[0].name in ("self", "cls"):
            params = params[1:]
        self.positional: list[Converter | None] = []
        self.var_positional: Converter | None = None
        self.keyword: dict[str, Converter | None] = {}
        self.var_keyword: Converter | None = None
        for p in params:
            try:
                conv = compile_hint(hints.get(p.name, Any))
            except ConfigurationError as exc:
                raise ConfigurationError(f"parameter {p.name!r} of {self.name}: {exc}") from exc
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                self.positional.append(conv)
                if p.kind is p.POSITIONAL_OR_KEYWORD:
                    self.keyword[p.name] = conv
            elif p.kind is p.VAR_POSITIONAL:
                self.var_positional = conv
            elif p.kind is p.KEYWORD_ONLY:
                self.keyword[p.name] = conv
            else:
                self.var_keyword = conv
        self.trivial = (
            all(c is None for c in self.positional)
            and self.var_positional is None
            and all(c is None for c in self.keyword.values())
            and self.var_keyword is None
        )

    @classmethod
    def of(cls, func: Callable[..., Any]) -> ArgumentTypes:
        """The (cached) argument types of ``func``; raises ConfigurationError for an annotation
        outside the value model."""
        key = getattr(func, "__func__", func)
        try:
            return _by_func[id(key)]
        except KeyError:
            return _argument_types(key, func)

    def apply(
        self, args: list[Any], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if self.trivial:
            return tuple(args), kwargs
        npos = len(self.positional)
        out_args = []
        for i, value in enumerate(args):
            conv = self.positional[i] if i < npos else self.var_positional
            out_args.append(value if conv is None else conv(value, f"$.args[{i}]"))
        out_kwargs = {}
        for key, value in kwargs.items():
            conv = self.keyword.get(key, self.var_keyword)
            out_kwargs[key] = (
                value if conv is None else conv(value, _model.path_key("$.kwargs", key))
            )
        return tuple(out_args), out_kwargs


_by_func = ArgumentTypes._by_func
_func_table: _WeakTable[ArgumentTypes] = _WeakTable(_by_func)
_other_funcs: dict[Any, ArgumentTypes] = {}  # callables without weak references, bounded


def _argument_types(key: Any, func: Callable[..., Any]) -> ArgumentTypes:
    try:
        _ref(key)
    except TypeError:  # not weakly referable: the bounded table, if hashable at all
        try:
            return _other_funcs[key]
        except KeyError:
            types_ = ArgumentTypes(func)
            with _lock:
                while len(_other_funcs) >= _HINTS_MAX:
                    del _other_funcs[next(iter(_other_funcs))]
                _other_funcs[key] = types_
            return types_
        except TypeError:
            return ArgumentTypes(func)
    types_ = ArgumentTypes(func)
    _func_table.store(key, types_)
    return types_
