"""Rebuilding typed values from annotations, identically for every codec.

A codec returns base types plus whatever extended types its wire format preserves (msgpack and
protobuf keep tuples, datetimes, Decimals, ...; JSON gives their lowered forms). A *converter*
compiled from an annotation turns either form into the annotated type and checks it on the way:
a value that does not fit raises :class:`~flowwire.DecodeError` naming its path.

Converters are compiled once per annotation and cached. An annotation that needs no work
(``Any``, ``str``, ``list[int]`` ...) compiles to a cheap check or to nothing at all, so the
common case costs next to nothing.

This module is the surface (``compile_hint``, ``convert``, ``ArgumentTypes``) and the dispatch
from an annotation to its converter. The converters themselves are in
:mod:`~flowwire.transport.model._converters` (scalars, containers, ``Literal``),
:mod:`~flowwire.transport.model._classes` (enums, dataclasses, named tuples, TypedDicts, protobuf
messages) and :mod:`~flowwire.transport.model._unions` (unions and their error reports); the caches,
which must not keep alive the classes and functions a long-lived worker builds and drops, are
in :mod:`~flowwire.transport.model._hint_cache`.
"""

from __future__ import annotations

import inspect
import types
import typing
import weakref
from collections.abc import Callable
from typing import Any, Union

from flowwire.errors import ConfigurationError
from flowwire.transport.model import _model
from flowwire.transport.model._converters import (
    Converter,
    check,
    compile_literal,
    dict_of,
    fixed_tuple,
    list_of,
    set_of,
    to_bytes,
    to_float,
    to_int,
    tuple_of,
)
from flowwire.transport.model._fast import checked, fast_call, run
from flowwire.transport.model._hint_cache import HINTS_MAX as _HINTS_MAX
from flowwire.transport.model._hint_cache import MISSING as _MISSING
from flowwire.transport.model._hint_cache import WeakTable, compile_and_cache
from flowwire.transport.model._hint_cache import classes as _classes
from flowwire.transport.model._hint_cache import hints as _hints
from flowwire.transport.model._hint_cache import lock as _lock
from flowwire.transport.model._unions import compile_union
from flowwire.transport.model.adapters import adapter_for

__all__ = ["ArgumentTypes", "Converter", "clear_argument_types", "compile_hint", "convert"]

_ref = weakref.ref
_NONE_TYPE = type(None)


def convert(value: Any, hint: Any, path: str = "$") -> Any:
    """Rebuild ``value`` as the annotated type ``hint`` through its compiled plan; raises
    DecodeError (and nothing else) on mismatch."""
    conv = compile_hint(hint)
    return value if conv is None else run(conv, value, path)


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
    return compile_and_cache(hint, _compile)


def _compile(hint: Any) -> Converter | None:
    if hint is Any or hint is object or hint is inspect.Parameter.empty:
        return None
    if hint is None or hint is _NONE_TYPE:
        return check(_NONE_TYPE, "null")
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return compile_hint(typing.get_args(hint)[0])
    if origin is Union or origin is types.UnionType:
        return compile_union(typing.get_args(hint), compile_hint)
    if origin is typing.Literal:
        return compile_literal(typing.get_args(hint))
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
        return check(bool, "bool")
    if hint is int:
        return to_int
    if hint is float:
        return to_float
    if hint is str:
        return check(str, "string")
    if hint is bytes:
        return to_bytes
    if hint is list:
        return check(list, "array")
    if hint is dict:
        return check(dict, "object")
    adapter = adapter_for(hint)
    if adapter is not None:
        return adapter.compile(hint, compile_hint)  # type: ignore[no-any-return]
    raise ConfigurationError(
        f"annotation {hint.__module__}.{hint.__qualname__} is not part of the value model "
        "(use base types, dataclasses, enums, protobuf messages, the documented extended types, "
        "or register a type adapter)"
    )


# -- containers ------------------------------------------------------------------------------


def _compile_generic(hint: Any, origin: Any, args: tuple[Any, ...]) -> Converter | None:
    import collections.abc as cabc

    if origin in (list, cabc.Sequence, cabc.MutableSequence, cabc.Iterable, cabc.Collection):
        item = compile_hint(args[0]) if args else None
        return list_of(item, tuple_ok=origin is not list)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple_of(compile_hint(args[0]))
        if args == ((),):  # tuple[()]
            args = ()
        return fixed_tuple([compile_hint(a) for a in args])
    if origin in (set, cabc.Set, cabc.MutableSet):
        item = compile_hint(args[0]) if args else None
        return set_of(item, set)
    if origin is frozenset:
        item = compile_hint(args[0]) if args else None
        return set_of(item, frozenset)
    if origin in (dict, cabc.Mapping, cabc.MutableMapping):
        key = compile_hint(args[0]) if args else None
        val = compile_hint(args[1]) if len(args) > 1 else None
        return dict_of(key, val)
    if origin is type:
        raise ConfigurationError(f"annotation {hint!r}: classes cannot be carried as values")
    if isinstance(origin, type):  # a generic dataclass such as Box[int]
        return compile_hint(origin)
    raise ConfigurationError(f"annotation {hint!r} is not part of the value model")


# -- call signatures -------------------------------------------------------------------------


class ArgumentTypes:
    """Per-parameter converters of a callable (a task's ``run``), compiled once.

    ``self``/``cls`` of a plain function defined in a class body is skipped when its name says
    so, so both ``MyTask.run`` and ``my_task.run`` work.
    """

    __slots__ = (
        "exact",
        "fast_keyword",
        "fast_positional",
        "fast_var_keyword",
        "fast_var_positional",
        "keyword",
        "name",
        "positional",
        "trivial",
        "var_keyword",
        "var_positional",
    )

    #: By ``id`` of the function, held weakly (an entry goes with its function): WeakTable.
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
        self.fast_positional = [None if c is None else fast_call(c) for c in self.positional]
        self.fast_var_positional = _fast_or_none(self.var_positional)
        self.fast_keyword = {k: _fast_or_none(c) for k, c in self.keyword.items()}
        self.fast_var_keyword = _fast_or_none(self.var_keyword)
        exact = [_exact_type(c) for c in self.positional]
        #: the types of the positional parameters when each is an int, str or bool (whose
        #: converter returns exactly such a value unchanged), else None: see read_exact
        self.exact: tuple[type, ...] | None = (
            None if None in exact else tuple(exact)  # type: ignore[arg-type]
        )
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

    def read_exact(self, value: Any) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        """``(args, kwargs)`` of a decoded arguments object ``value`` when it has the shape every
        writer produces, no keywords, and each argument is exactly its parameter's type (see
        ``exact``): what :meth:`apply` returns for it then. Else None (nothing is decided:
        the general path reads it). A codec also learns from a non-None answer that the value
        holds no float, no container beyond the arguments object, and nothing else."""
        exact = self.exact
        if exact is None or type(value) is not dict or len(value) != 2:
            return None
        args = value.get("args")
        kwargs = value.get("kwargs")
        if type(args) is not list or type(kwargs) is not dict or kwargs:
            return None
        if len(args) > len(exact):
            return None
        for kind, item in zip(exact, args):  # noqa: B905 - args may be shorter (defaults)
            if type(item) is not kind:
                return None
        return tuple(args), kwargs

    def apply(
        self, args: list[Any], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The arguments converted under the parameters' annotations; raises DecodeError
        (and nothing else) naming ``$.args[i]`` / ``$.kwargs["name"]``."""
        if self.trivial:
            return tuple(args), kwargs
        try:  # the compiled plans, no path text; anything unusual: the checked converters
            return self._fast(args, kwargs)
        except Exception:
            return self._checked(args, kwargs)

    def _fast(
        self, args: list[Any], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        fast = self.fast_positional
        if len(args) == 1 and fast:  # the most common call: no list comprehension
            conv, value = fast[0], args[0]
            out_args: tuple[Any, ...] = (value if conv is None else conv(value),)
        elif len(args) <= len(fast):
            out_args = tuple([v if c is None else c(v) for c, v in zip(fast, args)])  # noqa: B905
        else:
            rest = self.fast_var_positional
            head = [v if c is None else c(v) for c, v in zip(fast, args)]  # noqa: B905
            tail = args[len(fast) :] if rest is None else [rest(v) for v in args[len(fast) :]]
            out_args = (*head, *tail)
        if not kwargs:
            return out_args, kwargs
        keyword = self.fast_keyword
        out_kwargs = {}
        for key, value in kwargs.items():
            conv = keyword.get(key, self.fast_var_keyword)
            out_kwargs[key] = value if conv is None else conv(value)
        return out_args, out_kwargs

    def _checked(
        self, args: list[Any], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        npos = len(self.positional)
        out_args = []
        for i, value in enumerate(args):
            conv = self.positional[i] if i < npos else self.var_positional
            out_args.append(value if conv is None else checked(conv, value, f"$.args[{i}]"))
        out_kwargs = {}
        for key, value in kwargs.items():
            conv = self.keyword.get(key, self.var_keyword)
            out_kwargs[key] = (
                value if conv is None else checked(conv, value, _model.path_key("$.kwargs", key))
            )
        return tuple(out_args), out_kwargs


def _exact_type(conv: Converter | None) -> type | None:
    """The type ``conv`` returns values of exactly that type unchanged and refuses every
    other one (int, str or bool), or None."""
    if conv is to_int:
        return int
    kind = getattr(conv, "__flowwire_kind__", None)
    return str if kind == "str" else bool if kind == "bool" else None


def cached(func: Callable[..., Any]) -> ArgumentTypes | None:
    """The argument types of ``func`` if they are compiled already, else None (one lookup)."""
    return _by_func.get(id(getattr(func, "__func__", func)))


def _fast_or_none(conv: Converter | None) -> Callable[[Any], Any] | None:
    return None if conv is None else fast_call(conv)


def clear_argument_types() -> None:
    """Forget every compiled ``ArgumentTypes`` (their plans are rebuilt on next use)."""
    for ident in list(_by_func):
        _func_table.discard_id(ident)
    _other_funcs.clear()


_by_func = ArgumentTypes._by_func
_func_table: WeakTable[ArgumentTypes] = WeakTable(_by_func)
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
